"""Translations outside a web request (emails, PDFs, the CLI): gettext for a given locale."""

from __future__ import annotations

import functools
from typing import Any

from babel.support import Translations

from lbt.core.errors import Message
from lbt.core.resources import PACKAGE_DIR

LOCALES = ("en", "ru", "tg", "ky", "uz")
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"


@functools.cache
def _translations(locale: str) -> Translations:
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def localize(params: dict[str, Any], locale: str) -> dict[str, Any]:
    """Parameters that name themselves per language (``lbt.reference.names.StateName``: anything with a
    ``localized(locale)`` method) in ``locale``; the others as they are."""
    return {
        key: value.localized(locale) if callable(getattr(value, "localized", None)) else value
        for key, value in params.items()
    }


def translate(locale: str, message: Message, /, **params: Any) -> str:
    """``message`` (an English msgid, or a plural pair counted by ``num``) in ``locale``, with
    ``%(name)s`` parameters filled in."""
    translations = _translations(locale if locale in LOCALES else "en")
    params = localize(params, locale)
    if isinstance(message, tuple):
        text = translations.ngettext(message[0], message[1], params["num"])
    else:
        text = translations.gettext(message)
    return text % params if params else text
