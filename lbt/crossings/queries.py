"""Reading the crossing logs for border guards: daily counts per crossing point, the people inside,
misuse cases and one permit's history. Each list is one paginated query (no query per row), scoped
to the guard's crossing points or the agreements those points belong to. The counts and the people
inside come from the summaries (``summaries``: counted crossings only, held or rejected ones left
out); the history shows every crossing, marked."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.dates import FALLBACK_TIME_ZONE, STATE_TIME_ZONES, local_day
from lbt.core.pagination import Page, cut
from lbt.crossings.models import (
    Crossing,
    CrossingDayCount,
    CrossingStatus,
    Direction,
    MisuseCase,
    MisuseKind,
    PermitPresence,
)
from lbt.permits.models import Permit
from lbt.reference.models import CrossingPoint, State

PER_PAGE = 25
LOG_DAYS = 30


@dataclass(frozen=True)
class DayCount:
    day: date
    crossing_point: str
    entries: int
    exits: int


@dataclass(frozen=True)
class PersonInside:
    permit_id: int
    number: str
    surname_latin: str
    given_names_latin: str
    surname_national: str
    given_names_national: str
    entered_at: datetime
    crossing_point: str
    zone: str  # the crossing point's clock: the entry is shown, and its day counted, on it

    def days_inside(self, now: datetime) -> int:
        """Calendar days since the last entry, both ends counted (as the stay rules count), on the
        crossing point's clock."""
        return (local_day(now, self.zone) - local_day(self.entered_at, self.zone)).days + 1


@dataclass(frozen=True)
class MisuseRow:
    id: int
    permit_id: int
    number: str
    holder: str
    kind: MisuseKind
    detected_at: datetime
    days_over: int
    description: str


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    direction: Direction
    crossing_point: str
    verdict: str
    reason: str
    officer: str
    status: CrossingStatus = CrossingStatus.COUNTED
    zone: str = FALLBACK_TIME_ZONE  # the crossing point's clock, which the crossing is shown on


def point_zone() -> ColumnElement[str]:
    """SQL for a crossing point's zone (``CrossingPoint.zone_name``): its own, else its state's; the
    query joins ``State`` on the point's state."""
    by_state = case(STATE_TIME_ZONES, value=State.code, else_=FALLBACK_TIME_ZONE)
    return func.coalesce(func.nullif(CrossingPoint.time_zone, ""), by_state)


def rows_page(
    session: Session, query: Select[Any], page: int, per_page: int
) -> tuple[Sequence[Any], int, int | None, bool]:
    """One page of a query's rows, the page number, the total (None: more than the pagination's
    count limit, never a count over a whole big table) and whether a next page exists."""
    found = cut(session, query, page, per_page, rows=True)
    return found.rows, found.number, found.total, found.more


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def point_ids(user: User) -> list[int]:
    return [point.id for point in user.crossing_points]


def agreement_ids(user: User) -> set[int]:
    """The agreements a guard works under: those of the crossing points they are posted to."""
    return {point.agreement_id for point in user.crossing_points}


def daily_counts(
    session: Session,
    crossing_points: Collection[int],
    today: date,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[DayCount]:
    """Entries and exits per crossing point and day over the last ``LOG_DAYS`` days, newest first,
    read from ``crossing_day_counts`` (kept at every counted crossing), not from the crossings."""
    since = today - timedelta(days=LOG_DAYS - 1)
    entries = func.sum(case((CrossingDayCount.direction == Direction.ENTRY, CrossingDayCount.count), else_=0))
    exits = func.sum(case((CrossingDayCount.direction == Direction.EXIT, CrossingDayCount.count), else_=0))
    query = (
        select(CrossingDayCount.day, CrossingPoint.code, entries, exits)
        .join(CrossingPoint, CrossingPoint.id == CrossingDayCount.crossing_point_id)
        .where(CrossingDayCount.crossing_point_id.in_(list(crossing_points)), CrossingDayCount.day >= since)
        .group_by(CrossingDayCount.day, CrossingPoint.code)
        .order_by(CrossingDayCount.day.desc(), CrossingPoint.code)
    )
    rows, number, total, more = rows_page(session, query, page, per_page)
    items = [DayCount(_as_date(d), code, int(n_in), int(n_out)) for d, code, n_in, n_out in rows]
    return Page(items, number, per_page, total, more)


def people_inside(
    session: Session, agreements: Collection[int], *, page: int = 1, per_page: int = PER_PAGE
) -> Page[PersonInside]:
    """Holders whose last counted crossing is an entry, the longest inside first: read from
    ``permit_presence`` along its partial index, not recomputed from the crossings."""
    query = (
        select(
            Permit.id,
            Permit.number,
            Permit.surname_latin,
            Permit.given_names_latin,
            Permit.surname_national,
            Permit.given_names_national,
            PermitPresence.entered_at,
            CrossingPoint.code,
            point_zone(),
        )
        .select_from(PermitPresence)
        .join(Permit, Permit.id == PermitPresence.permit_id)
        .join(CrossingPoint, CrossingPoint.id == PermitPresence.last_crossing_point_id)
        .join(State, State.id == CrossingPoint.state_id)
        .where(PermitPresence.entered_at.is_not(None), PermitPresence.agreement_id.in_(list(agreements)))
        .order_by(PermitPresence.entered_at, PermitPresence.permit_id)
    )
    rows, number, total, more = rows_page(session, query, page, per_page)
    return Page([PersonInside(*row) for row in rows], number, per_page, total, more)


def misuse_cases(
    session: Session, agreements: Collection[int], *, page: int = 1, per_page: int = PER_PAGE
) -> Page[MisuseRow]:
    """Overstays and other misuse found at the crossing points, the newest first."""
    holder = Permit.surname_latin + " " + Permit.given_names_latin
    query = (
        select(
            MisuseCase.id,
            Permit.id,
            Permit.number,
            holder,
            MisuseCase.kind,
            MisuseCase.detected_at,
            MisuseCase.days_over,
            MisuseCase.description,
        )
        .join(Permit, Permit.id == MisuseCase.permit_id)
        .where(Permit.agreement_id.in_(list(agreements)))
        .order_by(MisuseCase.detected_at.desc(), MisuseCase.id.desc())
    )
    rows, number, total, more = rows_page(session, query, page, per_page)
    return Page([MisuseRow(*row) for row in rows], number, per_page, total, more)


def permit_crossings(
    session: Session, permit_id: int, *, page: int = 1, per_page: int = PER_PAGE
) -> Page[HistoryRow]:
    """One permit's entries and exits, the newest first, with where and by whom."""
    officer = func.coalesce(func.nullif(User.full_name, ""), User.username, "")
    query = (
        select(
            Crossing.at,
            Crossing.direction,
            CrossingPoint.code,
            Crossing.verdict,
            Crossing.reason,
            officer,
            Crossing.status,
            point_zone(),
        )
        .join(CrossingPoint, CrossingPoint.id == Crossing.crossing_point_id)
        .join(State, State.id == CrossingPoint.state_id)
        .outerjoin(User, User.id == Crossing.officer_id)
        .where(Crossing.permit_id == permit_id)
        .order_by(Crossing.at.desc(), Crossing.id.desc())
    )
    rows, number, total, more = rows_page(session, query, page, per_page)
    items = [
        HistoryRow(at, direction, code, verdict.value, reason, name, status, zone)
        for at, direction, code, verdict, reason, name, status, zone in rows
    ]
    return Page(items, number, per_page, total, more)
