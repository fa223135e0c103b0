"""Reporting periods: whole local days, and the half-years of the six-monthly report (Art. 17)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from lbt.core.errors import N_, DomainError

HALF_RE = re.compile(r"(?P<year>\d{4})-(?P<half>[12])")


class InvalidPeriod(DomainError):
    """A period that cannot be reported on."""


@dataclass(frozen=True)
class Period:
    """The days ``start`` to ``end`` (both included), as lived in ``zone`` (the home state's time):
    a crossing at 23:30 on 30 June in Dushanbe belongs to the first half, though it is 18:30 UTC."""

    start: date
    end: date
    zone: tzinfo = UTC

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidPeriod(N_("The period ends before it starts."))

    @classmethod
    def half(cls, text: str, zone: tzinfo = UTC) -> Period:
        """``2026-1`` is January to June 2026, ``2026-2`` July to December."""
        match = HALF_RE.fullmatch(text.strip())
        if match is None or not 2000 <= int(match["year"]) <= 2999:
            raise InvalidPeriod(N_("Give the half-year as YYYY-1 or YYYY-2, e.g. 2026-1."))
        year = int(match["year"])
        if match["half"] == "1":
            return cls(date(year, 1, 1), date(year, 6, 30), zone)
        return cls(date(year, 7, 1), date(year, 12, 31), zone)

    @property
    def label(self) -> str:
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 6, 30):
            return f"{self.start.year}-1"
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (7, 1, 12, 31):
            return f"{self.start.year}-2"
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants: from the first day's local midnight to the midnight after the last."""
        since = datetime.combine(self.start, time(), self.zone).astimezone(UTC)
        until = datetime.combine(self.end + timedelta(days=1), time(), self.zone).astimezone(UTC)
        return since, until

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()
