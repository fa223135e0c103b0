"""Stay patterns that suggest misuse (issue 12, risk indicators), kept at write time so officers read a
short table instead of the crossings:

- **short stays**: many stays of a few hours in a month (goods carried for resale, a permit lent);
- **stays near the limit**: stays that end on or just before the agreement's maximum, again and again
  (living on the other side on a permit meant for visits).

Each counted crossing of a permit re-reads its counted crossings (already loaded to judge the crossing)
and, when a pattern reaches its threshold in the window that ends at the latest exit, keeps a row in
``stay_pattern_flags`` (permit, kind: the count, the window, the latest exit). A flag is never removed by
a write: it is listed while its latest exit is inside its window, so it ages out by itself. Pure
functions here; ``keep_flags`` writes."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Table, and_, false, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lbt.core.dates import local_day
from lbt.core.pagination import Page, cut
from lbt.crossings.history import Counted
from lbt.crossings.models import Direction, PatternKind, StayPatternFlag
from lbt.permits.models import Permit
from lbt.reference.models import Agreement, CrossingPoint

FLAGS: Table = StayPatternFlag.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Rule:
    kind: PatternKind
    window_days: int  # the stays that ended in this many days up to the latest exit
    threshold: int  # this many of them raise the flag


SHORT_STAY = timedelta(hours=6)
NEAR_LIMIT_MARGIN_DAYS = 1  # a stay of the maximum, or one day less, "ends near the limit"
RULES = (
    Rule(PatternKind.SHORT_STAYS, window_days=30, threshold=8),
    Rule(PatternKind.NEAR_LIMIT, window_days=365, threshold=3),
)


@dataclass(frozen=True)
class Flag:
    permit_id: int
    agreement_id: int
    kind: PatternKind
    count: int
    window_days: int
    last_exit_at: datetime

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "permit_id": self.permit_id,
            "kind": self.kind,
            "agreement_id": self.agreement_id,
            "count": self.count,
            "window_days": self.window_days,
            "last_exit_at": self.last_exit_at,
            "flagged_at": now,
        }


def stays(counted: Iterable[Counted]) -> list[tuple[datetime, datetime]]:
    """The finished stays (entry, exit) as the stay rules pair them: a second entry continues a stay,
    an exit without an entry starts nothing."""
    found: list[tuple[datetime, datetime]] = []
    since: datetime | None = None
    for crossing in sorted(counted):
        if crossing.direction is Direction.ENTRY:
            since = since or crossing.at
        elif since is not None:
            found.append((since, crossing.at))
            since = None
    return found


def flags_of(
    permit_id: int, agreement_id: int, counted: Sequence[Counted], *, max_stay_days: int, zone_name: str
) -> list[Flag]:
    """The patterns this permit's counted crossings reach, in the windows ending at its latest exit."""
    finished = stays(counted)
    if not finished:
        return []
    last = finished[-1][1]

    def length_days(entered: datetime, left: datetime) -> int:
        return (local_day(left, zone_name) - local_day(entered, zone_name)).days + 1

    matches = {
        PatternKind.SHORT_STAYS: lambda entered, left: left - entered <= SHORT_STAY,
        PatternKind.NEAR_LIMIT: lambda entered, left: (
            length_days(entered, left) >= max_stay_days - NEAR_LIMIT_MARGIN_DAYS
        ),
    }
    flags = []
    for rule in RULES:
        since = last - timedelta(days=rule.window_days)
        count = sum(1 for entered, left in finished if left > since and matches[rule.kind](entered, left))
        if count >= rule.threshold:
            flags.append(Flag(permit_id, agreement_id, rule.kind, count, rule.window_days, last))
    return flags


def keep_flags(session: Session, flags: Sequence[Flag], now: datetime) -> None:
    """Insert or bring up to date the flags (one statement; none when nothing is flagged, the usual
    case); ``flagged_at`` stays the time the pattern was first seen."""
    if not flags:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    rows = [flag.row(now) for flag in sorted(flags, key=lambda f: (f.permit_id, f.kind.value))]
    statement = dialect.insert(FLAGS).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["permit_id", "kind"],
            set_={
                name: statement.excluded[name]
                for name in ("agreement_id", "count", "window_days", "last_exit_at")
            },
        )
    )


class _Exit(Protocol):
    direction: Direction

    @property
    def permit(self) -> Permit: ...

    @property
    def crossing_point(self) -> CrossingPoint: ...


def keep_for_exits(session: Session, exits: Sequence[tuple[_Exit, Sequence[Counted]]], now: datetime) -> None:
    """After counted crossings were stored: the flags of the permits that exited, each read from its
    counted crossings (those judged the crossing, so no query; one statement only when one is flagged)."""
    found: dict[tuple[int, PatternKind], Flag] = {}
    for crossing, counted in exits:
        if crossing.direction is not Direction.EXIT:
            continue
        permit = crossing.permit
        for flag in flags_of(
            permit.id,
            permit.agreement_id,
            counted,
            max_stay_days=permit.agreement.max_stay_days,
            zone_name=crossing.crossing_point.zone_name,
        ):
            found[(flag.permit_id, flag.kind)] = flag
    keep_flags(session, list(found.values()), now)


@dataclass(frozen=True)
class Listed:
    """A flagged holder as the officers' list shows them."""

    permit_id: int
    number: str
    holder: str
    holder_national: str
    kind: PatternKind
    count: int
    window_days: int
    max_stay_days: int
    last_exit_at: datetime
    flagged_at: datetime


def listed(
    session: Session, agreements: Collection[int], now: datetime, *, page: int, per_page: int = 25
) -> Page[Listed]:
    """The flags whose latest exit is inside their window, the latest first: one page along the index
    on (agreement, latest exit), the count capped as every list's."""
    current = or_(
        false(),
        *(
            and_(
                StayPatternFlag.kind == rule.kind,
                StayPatternFlag.last_exit_at > now - timedelta(days=rule.window_days),
            )
            for rule in RULES
        ),
    )
    query = (
        select(
            Permit.id,
            Permit.number,
            Permit.surname_latin + " " + Permit.given_names_latin,
            Permit.surname_national + " " + Permit.given_names_national,
            StayPatternFlag.kind,
            StayPatternFlag.count,
            StayPatternFlag.window_days,
            Agreement.max_stay_days,
            StayPatternFlag.last_exit_at,
            StayPatternFlag.flagged_at,
        )
        .join(Permit, Permit.id == StayPatternFlag.permit_id)
        .join(Agreement, Agreement.id == StayPatternFlag.agreement_id)
        .where(StayPatternFlag.agreement_id.in_(list(agreements)), current)
        .order_by(StayPatternFlag.last_exit_at.desc(), StayPatternFlag.permit_id, StayPatternFlag.kind)
    )
    found = cut(session, query, page, per_page, rows=True)
    return Page([Listed(*row) for row in found.rows], found.number, per_page, found.total, found.more)
