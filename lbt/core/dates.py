"""Dates and times as people read and write them, and the local clocks of places (no Flask).

Shown dates are numeric, day first, in the reader's locale's separators (CLDR's short pattern with a
four-digit year: 14.03.1985 in Russian and Kyrgyz, 14/03/1985 in Tajik, Uzbek and English): the way
the regime's people write a date, and the way the date fields read one. Month abbreviations are left
out on purpose: Russian's "31 дек. 2026 г." ends with a dot and doubled it at a sentence's end.

Times are stored in UTC; a time that belongs to a place (a crossing, a meeting, an incident, a
deadline) is shown in that place's IANA zone, with the zone named ("14:30 (Asia/Dushanbe, UTC+5)"),
and a calendar day that a rule counts is the day on the place's clock, not in UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime as babel_format_datetime

# The zone of each state of the region (../shared/DOMAIN.md); the default of a place without one
STATE_TIME_ZONES = {"TJ": "Asia/Dushanbe", "KG": "Asia/Bishkek", "UZ": "Asia/Tashkent"}
FALLBACK_TIME_ZONE = "UTC"
MAX_ZONE_LENGTH = 64

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100  # births, documents, permits, agreements all fall inside
EXAMPLE_DAY = date(1985, 3, 14)


# --- zones ------------------------------------------------------------------------------------


def state_time_zone_sql(state_code: str) -> str:
    """``state_time_zone`` as SQL text over the column ``state_code`` (for the recounts' raw SQL)."""
    states = " ".join(f"WHEN '{code}' THEN '{name}'" for code, name in STATE_TIME_ZONES.items())
    return f"CASE {state_code} {states} ELSE '{FALLBACK_TIME_ZONE}' END"


def state_time_zone(state_code: str | None) -> str:
    return STATE_TIME_ZONES.get((state_code or "").upper(), FALLBACK_TIME_ZONE)


def is_time_zone(name: str | None) -> bool:
    """An IANA zone name the system knows (``Asia/Dushanbe``); not a path, not an abbreviation."""
    if (
        not name
        or len(name) > MAX_ZONE_LENGTH
        or not re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", name)
    ):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=64)
def zone(name: str | None) -> tzinfo:
    """The zone of that name; UTC for a missing or unknown one (a stored zone is validated first)."""
    return ZoneInfo(name) if name and is_time_zone(name) else UTC


def local_day(moment: datetime, zone_name: str | None) -> date:
    """The calendar day of ``moment`` on the clock of the place (a stay counts these days)."""
    return moment.astimezone(zone(zone_name)).date()


def state_today(state_code: str | None, moment: datetime) -> date:
    """The calendar day of ``moment`` in a state (its permits' validity dates and deadlines count these)."""
    return local_day(moment, state_time_zone(state_code))


def local_to_utc(value: datetime, zone_name: str | None) -> datetime:
    """A wall-clock time typed at a place (naive) as the UTC moment it names."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(zone_name))
    return value.astimezone(UTC)


def local_naive(moment: datetime, zone_name: str | None) -> datetime:
    """A stored moment as the wall-clock time at the place (what an edit form shows again)."""
    return moment.astimezone(zone(zone_name)).replace(tzinfo=None)


def end_of_local_day(day: date, zone_name: str | None) -> datetime:
    """The last moment of ``day`` at the place, in UTC: a deadline "by the 14th" ends there."""
    start_next = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone(zone_name))
    return (start_next - timedelta(microseconds=1)).astimezone(UTC)


def utc_offset(moment: datetime, zone_name: str | None) -> str:
    """``UTC+5``, ``UTC+5:30``, ``UTC``."""
    offset = moment.astimezone(zone(zone_name)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(moment: datetime, zone_name: str | None) -> str:
    """``Asia/Dushanbe, UTC+5``: the zone named, so two sides' clocks are never confused."""
    name = zone_name if zone_name and is_time_zone(zone_name) else FALLBACK_TIME_ZONE
    return f"{name}, {utc_offset(moment, name)}"


# --- formats ----------------------------------------------------------------------------------


def _locale(name: str | Locale | None) -> Locale:
    if isinstance(name, Locale):
        return name
    try:
        return Locale.parse(name or "en")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@lru_cache(maxsize=32)
def _day_pattern(locale_name: str) -> str:
    """The locale's short date pattern, day first, two-digit day and month, four-digit year."""
    locale = _locale(locale_name)
    if locale.language == "en":
        locale = Locale.parse("en_GB")  # day first: the order every date field here reads
    pattern = locale.date_formats["short"].pattern
    separator = next((c for c in pattern if c in "./-"), ".")
    return separator.join(("dd", "MM", "yyyy"))


def day_pattern(locale: str | Locale | None) -> str:
    return _day_pattern(str(_locale(locale)))


def format_day(
    value: date | datetime | None, locale: str | Locale | None, zone_name: str | None = None
) -> str:
    """A calendar day in the reader's locale (a moment's day at ``zone_name``)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_day(value, zone_name)
    pattern = day_pattern(locale)
    return (
        pattern.replace("dd", f"{value.day:02d}")
        .replace("MM", f"{value.month:02d}")
        .replace("yyyy", f"{value.year:04d}")
    )


def format_moment(
    value: datetime | None, locale: str | Locale | None, zone_name: str | None, *, named: bool = True
) -> str:
    """``14.03.2026 14:30 (Asia/Dushanbe, UTC+5)``: the time at the place, the zone named."""
    if value is None:
        return ""
    local = value.astimezone(zone(zone_name))
    shown = f"{format_day(local.date(), locale)} {local:%H:%M}"
    return f"{shown} ({zone_label(value, zone_name)})" if named else shown


def format_clock(value: datetime, locale: str | Locale | None, zone_name: str | None) -> str:
    """``14:30 (Asia/Dushanbe, UTC+5)``."""
    return f"{value.astimezone(zone(zone_name)):%H:%M} ({zone_label(value, zone_name)})"


def babel_moment(value: datetime, locale: str | Locale | None, zone_name: str | None) -> str:
    """A moment in the locale's own medium style (mails that read better in words)."""
    return babel_format_datetime(value, "medium", tzinfo=zone(zone_name), locale=_locale(locale))


# --- typed dates ------------------------------------------------------------------------------

_DAY_FIRST = re.compile(r"(\d{1,2})\s*[./\-]\s*(\d{1,2})\s*[./\-]\s*(\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DIGITS = re.compile(r"(\d{2})(\d{2})(\d{4})")


def parse_typed_date(text: str | None) -> date | None:
    """A date as people type it: 14.03.1985, 14/03/1985, 14-03-1985, 14031985, or ISO 1985-03-14.
    None for anything else (31.02.1985, 21985, a year outside 1900-2100)."""
    value = (text or "").strip()
    if len(value) > 20:
        return None
    parts: tuple[str, str, str] | None = None
    if match := _YEAR_FIRST.fullmatch(value):
        year, month, day = match.groups()
        parts = (day, month, year)
    elif (match := _DAY_FIRST.fullmatch(value)) or (match := _DIGITS.fullmatch(value)):
        parts = match.groups()  # type: ignore[assignment]
    if parts is None:
        return None
    day, month, year = (int(part) for part in parts)
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_instant(value: object) -> datetime | None:
    """An ISO 8601 time with its offset, as devices and partners send it, in UTC; None when it is
    not one, has no offset, or falls outside years 1-9999 once in UTC."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None
