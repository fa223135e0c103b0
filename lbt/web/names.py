"""Reference names in the reader's language: the request's locale over ``lbt.reference.names``.
Templates use the ``state_name``, ``place_name`` and ``both_place_names`` filters."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

from lbt.reference import names
from lbt.reference.names import STATE_LANGUAGE, NamedPlace, NamedState

__all__ = ["STATE_LANGUAGE", "both_place_names", "init_names", "place_name", "reader_locale", "state_name"]


def reader_locale() -> str:
    return str(get_locale() or "en")


def state_name(state: NamedState, locale: str | None = None) -> str:
    """The state's name in the reader's language."""
    return names.state_name(state, locale or reader_locale())


def place_name(place: NamedPlace, locale: str | None = None) -> str:
    """A locality's name: in its state's script for readers of that state's language, else in Latin."""
    return names.place_name(place, locale or reader_locale())


def both_place_names(place: NamedPlace, locale: str | None = None) -> str:
    """Both spellings, the reader's first."""
    return names.both_place_names(place, locale or reader_locale())


def init_names(app: Flask) -> None:
    app.add_template_filter(state_name, "state_name")
    app.add_template_filter(place_name, "place_name")
    app.add_template_filter(both_place_names, "both_place_names")
