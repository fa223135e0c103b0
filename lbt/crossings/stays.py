"""Stay rules computed from entries and exits (pure functions, no database).

Reg. (EC) No 1931/2006 Art. 5 and the agreement: one uninterrupted stay lasts at most the agreement's
maximum (each exit restarts the count, EU Court C-254/11 Shomodi); optionally, at most N days of
presence in any window of M days. Days are calendar days, both the entry day and the exit day count,
on the clock of the crossing point (``local_day``): an entry at 00:30 in Dushanbe (UTC+5) is on that
day, although UTC still counts the day before (19:30), and an exit at 23:30 local on a stay's last day
is on that last day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from lbt.core.dates import local_day
from lbt.crossings.models import Direction

__all__ = ["Stay", "StayPosition", "days_present", "local_day", "position", "stays_from"]


@dataclass(frozen=True)
class Stay:
    entered: date
    left: date | None  # None: still inside

    def days(self, today: date) -> int:
        """Days of this stay up to ``today`` (or its exit), both ends counted."""
        end = self.left if self.left is not None else today
        return (end - self.entered).days + 1


def stays_from(events: Iterable[tuple[Direction, date]]) -> list[Stay]:
    """Entries open stays, exits close them. A second entry without an exit in between continues the
    same stay (the missing exit cannot shorten it); an exit without an entry starts nothing."""
    stays: list[Stay] = []
    open_since: date | None = None
    for direction, day in events:
        if direction is Direction.ENTRY:
            if open_since is None:
                open_since = day
        elif open_since is not None:
            stays.append(Stay(open_since, day))
            open_since = None
    if open_since is not None:
        stays.append(Stay(open_since, None))
    return stays


def days_present(stays: Sequence[Stay], first: date, last: date) -> int:
    """Calendar days between ``first`` and ``last`` (inclusive) on which the holder was inside: the
    union of the stays' day ranges, counted by merging them (stays of the same day, an exit and the
    next entry, overlap on it), not by listing each day."""
    ranges = sorted(
        (max(stay.entered, first), min(stay.left if stay.left is not None else last, last)) for stay in stays
    )
    total, covered = 0, first - timedelta(days=1)  # ``covered``: the last day counted so far
    for start, end in ranges:
        start = max(start, covered + timedelta(days=1))
        if end >= start:
            total += (end - start).days + 1
            covered = end
    return total


@dataclass(frozen=True)
class StayPosition:
    """Where a holder stands on ``day``: the figures a border guard sees."""

    inside: bool
    current_stay_days: int  # 0 when outside
    max_stay_days: int
    window_days: int | None
    window_limit: int | None
    window_used: int | None  # days present in the window ending on ``day``

    @property
    def stay_days_left(self) -> int:
        return max(self.max_stay_days - self.current_stay_days, 0)

    @property
    def window_days_left(self) -> int | None:
        if self.window_limit is None or self.window_used is None:
            return None
        return max(self.window_limit - self.window_used, 0)


def position(
    stays: Sequence[Stay], day: date, *, max_stay_days: int, window_days: int | None, window_limit: int | None
) -> StayPosition:
    current = stays[-1] if stays and stays[-1].left is None else None
    used = None
    if window_days:
        used = days_present(stays, day - timedelta(days=window_days - 1), day)
    return StayPosition(
        inside=current is not None,
        current_stay_days=current.days(day) if current else 0,
        max_stay_days=max_stay_days,
        window_days=window_days,
        window_limit=window_limit,
        window_used=used,
    )


def entry_allowed_days(pos: StayPosition, day: date, stays: Sequence[Stay]) -> int:
    """How many days a stay starting on ``day`` may last under both rules (0: entry refused).

    A stay of ``length`` days, entered on ``day``, fills every day from ``day`` to its last; the
    window ending on that last day then holds those days and the days present before ``day`` that
    are still in it. The earlier days are flagged once, and each length reads their count from the
    window's start on (a suffix sum), instead of counting the whole window again for each length."""
    allowed = pos.max_stay_days
    if not pos.window_days or pos.window_limit is None:
        return allowed
    one_day = timedelta(days=1)
    first = day - timedelta(days=pos.window_days - 1)  # the window of a one-day stay starts here
    before = [False] * (day - first).days  # a flag for each day from ``first`` to the day before ``day``
    for stay in stays:
        start = max(stay.entered, first)
        end = min(stay.left if stay.left is not None else day - one_day, day - one_day)
        for offset in range((start - first).days, (end - first).days + 1):
            before[offset] = True
    earlier_in_window = [0] * (len(before) + 1)  # [i]: days present from first + i to the day before
    for index in range(len(before) - 1, -1, -1):
        earlier_in_window[index] = earlier_in_window[index + 1] + before[index]
    for length in range(1, allowed + 1):  # the window holds the stay's last window_days days at most
        in_window = min(length, pos.window_days)
        if earlier_in_window[min(length - 1, len(before))] + in_window > pos.window_limit:
            return length - 1
    return allowed


def overstay_days(
    stays: Sequence[Stay],
    exit_day: date,
    *,
    max_stay_days: int,
    window_days: int | None,
    window_limit: int | None,
) -> int:
    """Days beyond either limit at an exit on ``exit_day`` (0: no overstay)."""
    if not stays or stays[-1].left is not None:
        return 0
    over = max(stays[-1].days(exit_day) - max_stay_days, 0)
    if window_days and window_limit is not None:
        used = days_present(stays, exit_day - timedelta(days=window_days - 1), exit_day)
        over = max(over, used - window_limit)
    return over
