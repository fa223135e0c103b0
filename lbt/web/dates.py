"""Dates in forms and pages, whatever the browser's locale: typed date fields (never ``<input
type=date>``, whose format follows the phone's settings: mm/dd/yyyy on many), and the template filters
that show every date and time through Babel in the reader's locale (``lbt.core.dates``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from babel import Locale
from flask import Flask
from flask_babel import LazyString, get_locale, pgettext
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

from lbt.core import dates
from lbt.core.catalogs import localize
from lbt.web.state import settings

_TIME = re.compile(r"(\d{1,2})[:.h](\d{2})")


def instance_zone() -> str:
    """``LBT_TIME_ZONE``: the zone of things that have no place (audit entries, logins, decisions)."""
    return settings().instance_zone


def date_hint() -> str:
    """The format in the reader's letters: ДД.ММ.ГГГГ, DD/MM/YYYY."""
    pattern = dates.day_pattern(get_locale())
    return (
        pattern.replace("dd", pgettext("date format", "DD"))
        .replace("MM", pgettext("date format", "MM"))
        .replace("yyyy", pgettext("date format", "YYYY"))
    )


def date_example() -> str:
    return dates.format_day(dates.EXAMPLE_DAY, get_locale())


def format_help() -> str:
    return _(
        "Day, month, year: %(format)s, for example %(example)s.", format=date_hint(), example=date_example()
    )


def date_message() -> str:
    return _("Enter the date as %(example)s.", example=date_example())


def moment_message() -> str:
    return _("Enter the date and time as %(example)s.", example=f"{date_example()} 14:30")


class TypedDateField(Field):
    """A date typed as the reader writes it (14.03.1985, 14/03/1985, 14031985 or 1985-03-14), the format
    shown as a placeholder and in the help; whatever was typed is shown again as typed, so a page
    re-rendered after a mistake (and the apply form's review step) shows the person's own text."""

    widget = TextInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        own = kwargs.pop("description", "")
        kwargs["description"] = LazyString(lambda: " ".join(filter(None, (str(own), format_help()))))
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]) if valuelist else ""
        self.data = dates.parse_typed_date(text) if text.strip() else None

    def _typed(self) -> str:
        return str(self.raw_data[0]) if self.raw_data else ""

    def _value(self) -> str:
        if self.raw_data:
            return self._typed()
        return dates.format_day(self.data, get_locale()) if isinstance(self.data, date) else ""

    def pre_validate(self, form: Any) -> None:
        if self._typed().strip() and self.data is None:
            raise StopValidation(date_message())

    def __call__(self, **kwargs: Any) -> Markup:
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("placeholder", date_hint())
        kwargs.setdefault("maxlength", 20)
        kwargs["data-date"] = "day"
        kwargs["data-date-message"] = date_message()
        return super().__call__(**kwargs)


class LocalDateTimeField(Field):
    """A wall-clock time at a place, typed as ``14.03.2026 14:30``; ``data`` is naive and the view turns
    it into UTC with the place's zone (``lbt.core.dates.local_to_utc``)."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (str(valuelist[0]) if valuelist else "").strip()
        self.data = None
        if not text or len(text) > 30:
            return
        day_text, _sep, time_text = text.rpartition(" ")
        day = dates.parse_typed_date(day_text)
        match = _TIME.fullmatch(time_text.strip())
        if day is not None and match and int(match[1]) < 24 and int(match[2]) < 60:
            self.data = datetime(day.year, day.month, day.day, int(match[1]), int(match[2]))

    def _typed(self) -> str:
        return str(self.raw_data[0]) if self.raw_data else ""

    def _value(self) -> str:
        if self.raw_data:
            return self._typed()
        if isinstance(self.data, datetime):
            return f"{dates.format_day(self.data.date(), get_locale())} {self.data:%H:%M}"
        return ""

    def pre_validate(self, form: Any) -> None:
        if self._typed().strip() and self.data is None:
            raise StopValidation(moment_message())

    def __call__(self, **kwargs: Any) -> Markup:
        kwargs.setdefault("autocomplete", "off")
        hours = pgettext("date format", "HH:MM")
        kwargs.setdefault("placeholder", f"{date_hint()} {hours}")
        kwargs.setdefault("maxlength", 30)
        return super().__call__(**kwargs)


def localized_params(
    params: dict[str, Any], locale: Locale | None = None, zone: str | None = None
) -> dict[str, Any]:
    """A message's dates and times in the reader's form (services pass ``date``/``datetime`` values),
    and its states and places named in the reader's language (``lbt.reference.names``); the request's
    locale and the instance's zone unless given (the verify lane gives both)."""
    if not params:
        return {}
    locale = locale or get_locale()
    params = localize(params, str(locale or "en"))
    zone = zone or instance_zone()
    return {
        key: dates.format_moment(value, locale, zone)
        if isinstance(value, datetime)
        else dates.format_day(value, locale, zone)
        if isinstance(value, date)
        else value
        for key, value in params.items()
    }


# --- template filters -----------------------------------------------------------------------------


def day_filter(value: date | datetime | None, *_ignored: Any, zone: str | None = None) -> str:
    """``|dateformat``: a day, numeric, in the reader's locale (a moment's day in ``zone`` or the
    instance's zone)."""
    return dates.format_day(value, get_locale(), zone or instance_zone())


def moment_filter(value: datetime | None, *_ignored: Any, zone: str | None = None) -> str:
    """``|datetimeformat``: date and time in the reader's locale, in the zone of the place, named."""
    return dates.format_moment(value, get_locale(), zone or instance_zone())


def machine_time(value: date | datetime | None) -> str:
    """``|machine_time``: a ``datetime`` attribute as HTML reads it: an aware moment in UTC to the
    second (``2026-12-01T19:14:00Z``; ``.isoformat()`` gives six-digit fractions, which HTML refuses),
    a day as ``2026-12-01``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    return value.isoformat()


def init_date_filters(app: Flask) -> None:
    """Flask-Babel's filters of the same names are replaced, so every page's dates follow one rule."""
    app.jinja_env.filters["dateformat"] = day_filter
    app.jinja_env.filters["datetimeformat"] = moment_filter
    app.jinja_env.filters["localtime"] = moment_filter
    app.jinja_env.filters["machine_time"] = machine_time
    app.jinja_env.globals["date_hint"] = date_hint
    app.jinja_env.globals["date_pattern"] = lambda: dates.day_pattern(get_locale())
