"""Reference names (states, localities) in the reader's language, where the data or CLDR has them.

A state is named by the record itself for readers of its own language (``name_national``) and of
Russian (``name_ru``, as the reference data spells it: "Кыргызстан", where CLDR says "Киргизия");
otherwise by Babel's CLDR territory names in the reader's locale ("Тажикстан" for a Kyrgyz reader,
"Qirgʻiziston" for an Uzbek one), and by ``name_en`` when CLDR has none. A locality is written in its
state's national script for readers of that state's language and in Latin letters for everyone else.
Templates use the ``state_name`` and ``place_name`` filters; Python code calls the functions."""

from __future__ import annotations

import functools
from typing import Protocol

from babel import Locale, UnknownLocaleError
from flask import Flask
from flask_babel import get_locale

# the language of each state's own names (name_national): the partner languages of the agreements
STATE_LANGUAGE = {"TJ": "tg", "KG": "ky", "UZ": "uz"}


class NamedState(Protocol):
    code: str
    name_en: str
    name_ru: str
    name_national: str


class NamedPlace(Protocol):
    name_latin: str
    name_national: str

    @property
    def state(self) -> NamedState: ...


def reader_locale() -> str:
    return str(get_locale() or "en")


@functools.cache
def _territories(locale: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(locale).territories)
    except (UnknownLocaleError, ValueError):
        return {}


def state_name(state: NamedState, locale: str | None = None) -> str:
    """The state's name in the reader's language."""
    locale = locale or reader_locale()
    if STATE_LANGUAGE.get(state.code) == locale and state.name_national:
        return state.name_national
    if locale == "ru" and state.name_ru:
        return state.name_ru
    return _territories(locale).get(state.code) or state.name_en


def place_name(place: NamedPlace, locale: str | None = None) -> str:
    """A locality's name: in its state's script for readers of that state's language, else in Latin."""
    locale = locale or reader_locale()
    if STATE_LANGUAGE.get(place.state.code) == locale and place.name_national:
        return place.name_national
    return place.name_latin


def both_place_names(place: NamedPlace, locale: str | None = None) -> str:
    """Both spellings, the reader's first ("Vorukh — Ворух" or, for a Tajik reader, "Ворух — Vorukh")."""
    first = place_name(place, locale)
    second = place.name_latin if first == place.name_national else place.name_national
    return f"{first} — {second}" if second and second != first else first


def init_names(app: Flask) -> None:
    app.add_template_filter(state_name, "state_name")
    app.add_template_filter(place_name, "place_name")
    app.add_template_filter(both_place_names, "both_place_names")
