"""Translations outside a web request (emails, PDFs, the CLI): gettext for a given locale."""

from __future__ import annotations

import functools
from typing import Any

from babel.support import Translations

from lbt.core.resources import PACKAGE_DIR

LOCALES = ("en", "ru", "tg")
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"


@functools.cache
def _translations(locale: str) -> Translations:
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def translate(locale: str, message: str, /, **params: Any) -> str:
    """``message`` (an English msgid) in ``locale``, with ``%(name)s`` parameters filled in."""
    text = _translations(locale if locale in LOCALES else "en").gettext(message)
    return text % params if params else text
