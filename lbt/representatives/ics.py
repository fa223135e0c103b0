"""A minimal iCalendar (RFC 5545) writer for the meetings feed: times in the place's zone (TZID, with
its VTIMEZONE) or in UTC (Z), escaped text, a reminder (VALARM), lines folded at 75 octets without
splitting a UTF-8 character, CRLF line ends. Flask-free.

A zone is written as a VTIMEZONE only when its offset is fixed around the event (Asia/Dushanbe,
Asia/Bishkek and Asia/Tashkent have had no daylight saving since the 1990s); a zone with daylight
saving would need its rules as RRULEs, so its events are written in UTC instead, which every calendar
shows correctly too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lbt.core.dates import is_time_zone, zone

PRODID = "-//LBT//Border representatives//EN"
LINE_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    confirmed: bool = True
    time_zone: str = ""  # IANA zone of the place; empty: UTC
    reminder: timedelta | None = timedelta(days=1)  # a VALARM this long before the start


def utc_stamp(moment: datetime) -> str:
    """DATE-TIME in UTC ("form #2"): 20261122T100000Z."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def local_stamp(moment: datetime, zone_name: str) -> str:
    """DATE-TIME with a time zone reference ("form #3"): the wall-clock time, no Z."""
    return moment.astimezone(zone(zone_name)).strftime("%Y%m%dT%H%M%S")


def fixed_offset(zone_name: str, around: datetime) -> timedelta | None:
    """The zone's offset when it is the same for a year either side of ``around`` (no DST), else None."""
    if not is_time_zone(zone_name):
        return None
    tz = zone(zone_name)
    offsets = {(around + timedelta(days=days)).astimezone(tz).utcoffset() for days in range(-366, 367, 15)}
    return offsets.pop() if len(offsets) == 1 else None


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{rest:02d}"


def timezone_lines(zone_name: str, offset: timedelta, around: datetime) -> list[str]:
    """A VTIMEZONE of one STANDARD part: the fixed offset, valid from 1970."""
    name = around.astimezone(zone(zone_name)).tzname() or zone_name
    return [
        "BEGIN:VTIMEZONE",
        f"TZID:{zone_name}",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        f"TZOFFSETFROM:{_offset_text(offset)}",
        f"TZOFFSETTO:{_offset_text(offset)}",
        f"TZNAME:{escape_text(name)}",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


def _when(name: str, moment: datetime, zone_name: str) -> str:
    if zone_name:
        return f"{name};TZID={zone_name}:{local_stamp(moment, zone_name)}"
    return f"{name}:{utc_stamp(moment)}"


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"-P{minutes // 1440}D" if minutes % 1440 == 0 else f"-PT{minutes}M"


def escape_text(value: str) -> str:
    """TEXT values escape backslash, semicolon, comma and newline (RFC 5545 §3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Content lines longer than 75 octets continue on lines starting with one space (§3.1)."""
    pieces: list[str] = []
    current, size, limit = "", 0, LINE_OCTETS
    for char in line:
        octets = len(char.encode())
        if size + octets > limit:
            pieces.append(current)
            current, size, limit = "", 0, LINE_OCTETS - 1  # the leading space counts
        current += char
        size += octets
    pieces.append(current)
    return "\r\n ".join(pieces)


def _event_lines(event: CalendarEvent, stamp: datetime, zone_name: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        _when("DTSTART", event.start, zone_name),
        _when("DTEND", event.end, zone_name),
        f"SUMMARY:{escape_text(event.summary)}",
        f"STATUS:{'CONFIRMED' if event.confirmed else 'TENTATIVE'}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    if event.reminder is not None:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"TRIGGER:{_duration(event.reminder)}",
            f"DESCRIPTION:{escape_text(event.summary)}",
            "END:VALARM",
        ]
    lines.append("END:VEVENT")
    return lines


def calendar(events: Sequence[CalendarEvent], *, stamp: datetime, name: str = "") -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    zones: dict[str, list[str]] = {}
    written: list[list[str]] = []
    for event in events:
        zone_name = ""
        offset = fixed_offset(event.time_zone, event.start) if event.time_zone else None
        if offset is not None:
            zone_name = event.time_zone
            zones.setdefault(zone_name, timezone_lines(zone_name, offset, event.start))
        written.append(_event_lines(event, stamp, zone_name))
    for zone_lines in zones.values():
        lines += zone_lines
    for event_lines in written:
        lines += event_lines
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
