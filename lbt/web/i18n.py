"""Languages: English, Russian, Tajik, Kyrgyz, Uzbek. The locale comes from the user's setting, then a cookie, then
the browser's Accept-Language. Catalogs live in ``lbt/translations`` as .po with compiled .mo beside
them (kept in step by a test), so nothing needs compiling at install time."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from babel import Locale
from flask import Flask, request
from flask_babel import Babel, force_locale, get_locale, get_translations, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from lbt.core.catalogs import LOCALES, TRANSLATIONS_DIR
from lbt.core.errors import DomainError, Message
from lbt.web.dates import localized_params
from lbt.web.names import STATE_LANGUAGE, init_names

LOCALE_NAMES = {"en": "English", "ru": "Русский", "tg": "Тоҷикӣ", "ky": "Кыргызча", "uz": "Oʻzbekcha"}
LOCALE_COOKIE = "lbt_locale"
# the language menu's order where no agreement says otherwise; Russian and English are shared by all
COMMON_LOCALES = ("ru", "en")
MAX_ACCEPT_LANGUAGE = 500  # a longer header is not kept in the lane's cache


def select_locale() -> str:
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in LOCALES:
        return str(user_locale)
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in LOCALES:
        return str(cookie)
    return request.accept_languages.best_match(LOCALES) or "en"


def languages_first(states: Sequence[str]) -> dict[str, str]:
    """The language menu with the languages of ``states`` first (the two states of an agreement, e.g.
    KG then TJ: Кыргызча, Тоҷикӣ), then Russian and English, then the others."""
    first = [STATE_LANGUAGE[code] for code in states if code in STATE_LANGUAGE]
    order = dict.fromkeys([*first, *COMMON_LOCALES, *LOCALE_NAMES])
    return {code: LOCALE_NAMES[code] for code in order if code in LOCALE_NAMES}


def translate_message(message: Message, params: dict[str, Any] | None = None) -> str:
    """A service's message (a msgid, or a plural pair counted by ``num``) in the reader's language."""
    params = localized_params(params or {})
    if isinstance(message, tuple):
        return str(ngettext(message[0], message[1], params.pop("num"), **params))
    return str(_(message, **params))


class Reader:
    """A reader's language outside a request (the verify lane, lbt/api/lane_views.py): the catalogs
    Flask-Babel reads for ``locale``, the message put in the same form as ``translate_message``."""

    def __init__(self, translations: Any, locale: Locale, zone: str) -> None:
        self.translations, self.locale, self.zone = translations, locale, zone

    def translate(self, message: Message, params: dict[str, Any] | None = None) -> str:
        params = localized_params(params or {}, self.locale, self.zone)
        if isinstance(message, tuple):
            text = self.translations.ungettext(message[0], message[1], params["num"])
        else:
            text = self.translations.ugettext(message)
        return str(text % params if params else text)


def readers(app: Flask, zone: str) -> dict[str, Reader]:
    """A ``Reader`` per language, with the app's own catalogs."""
    found = {}
    with app.test_request_context():
        for code in LOCALES:
            with force_locale(code):
                found[code] = Reader(get_translations(), Locale.parse(code), zone)
    return found


def best_language(accept_language: str) -> str:
    """``select_locale``'s choice for a reader known only by the ``Accept-Language`` header."""
    if len(accept_language) > MAX_ACCEPT_LANGUAGE:
        return _best_of(accept_language)
    return _best_of_header(accept_language)


def _best_of(value: str) -> str:
    return parse_accept_header(value, LanguageAccept).best_match(LOCALES) or "en"


_best_of_header = lru_cache(maxsize=256)(_best_of)  # devices send one header again and again


def translate_error(error: DomainError) -> str:
    """A service's message in the reader's language."""
    return translate_message(error.message, error.params)


class FormTranslations:
    """Gives WTForms' built-in messages ("This field is required.") from our own catalogs."""

    def gettext(self, string: str) -> str:
        return str(get_translations().gettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ngettext(singular, plural, n))


FORM_TRANSLATIONS = FormTranslations()


def init_i18n(app: Flask) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    Babel(app, locale_selector=select_locale)
    init_names(app)

    @app.context_processor
    def language_context() -> dict[str, Any]:
        return {
            "locale_names": LOCALE_NAMES,
            "get_locale": get_locale,
            "translate_message": translate_message,
        }
