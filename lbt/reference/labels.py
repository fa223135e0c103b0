"""Names of the reference area's codes as people read them, in their language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# one label for each code of lbt.reference.rules.WORKING_LANGUAGES
LANGUAGE_LABELS = {
    "tg": _l("Tajik"),
    "ky": _l("Kyrgyz"),
    "uz": _l("Uzbek"),
    "ru": _l("Russian"),
    "kk": _l("Kazakh"),
    "tk": _l("Turkmen"),
    "fa": _l("Persian"),
    "en": _l("English"),
}
