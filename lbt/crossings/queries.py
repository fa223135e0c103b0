"""Reading the crossing logs for border guards: daily counts per crossing point, the people inside,
misuse cases and one permit's history. Each list is one paginated query (no query per row), scoped
to the guard's crossing points or the agreements those points belong to. The counts and the people
inside leave out crossings held for review or rejected; the history shows them, marked."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.pagination import Page
from lbt.crossings.models import COUNTED_STATUSES, Crossing, CrossingStatus, Direction, MisuseCase, MisuseKind
from lbt.permits.models import Permit
from lbt.reference.models import CrossingPoint

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

    def days_inside(self, today: date) -> int:
        """Calendar days since the last entry, both ends counted (as the stay rules count)."""
        return (today - self.entered_at.date()).days + 1


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


def rows_page(
    session: Session, query: Select[Any], page: int, per_page: int
) -> tuple[Sequence[Any], int, int]:
    """One page of a query's rows, the page number (kept within range) and the total count."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    number = min(max(page, 1), max(1, -(-total // per_page)))
    rows = session.execute(query.limit(per_page).offset((number - 1) * per_page)).all()
    return rows, number, total


def _utc_day(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp (SQLite stores naive UTC text; PostgreSQL a timestamptz)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


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
    """Entries and exits per crossing point and UTC day over the last ``LOG_DAYS`` days, newest first."""
    since = today - timedelta(days=LOG_DAYS - 1)
    day = _utc_day(session, Crossing.at).label("day")
    is_entry = case((Crossing.direction == Direction.ENTRY, 1), else_=0)
    query = (
        select(
            day,
            CrossingPoint.code,
            func.sum(is_entry).label("entries"),
            func.count().label("total"),
        )
        .join(CrossingPoint, CrossingPoint.id == Crossing.crossing_point_id)
        .where(
            Crossing.crossing_point_id.in_(list(crossing_points)),
            Crossing.at >= datetime.combine(since, time.min, tzinfo=UTC),
            Crossing.status.in_(COUNTED_STATUSES),
        )
        .group_by(day, CrossingPoint.code)
        .order_by(day.desc(), CrossingPoint.code)
    )
    rows, number, total = rows_page(session, query, page, per_page)
    items = [
        DayCount(_as_date(d), code, int(entries), int(count) - int(entries))
        for d, code, entries, count in rows
    ]
    return Page(items, number, per_page, total)


def people_inside(
    session: Session, agreements: Collection[int], *, page: int = 1, per_page: int = PER_PAGE
) -> Page[PersonInside]:
    """Holders whose last counted crossing is an entry, the longest inside first."""
    ranked = (
        select(
            Crossing.permit_id,
            Crossing.direction,
            Crossing.at,
            Crossing.crossing_point_id,
            func.row_number()
            .over(partition_by=Crossing.permit_id, order_by=(Crossing.at.desc(), Crossing.id.desc()))
            .label("rank"),
        )
        .where(Crossing.status.in_(COUNTED_STATUSES))
        .subquery()
    )
    query = (
        select(
            Permit.id,
            Permit.number,
            Permit.surname_latin,
            Permit.given_names_latin,
            Permit.surname_national,
            Permit.given_names_national,
            ranked.c.at,
            CrossingPoint.code,
        )
        .join(ranked, and_(ranked.c.permit_id == Permit.id, ranked.c.rank == 1))
        .join(CrossingPoint, CrossingPoint.id == ranked.c.crossing_point_id)
        .where(ranked.c.direction == Direction.ENTRY, Permit.agreement_id.in_(list(agreements)))
        .order_by(ranked.c.at, Permit.number)
    )
    rows, number, total = rows_page(session, query, page, per_page)
    return Page([PersonInside(*row) for row in rows], number, per_page, total)


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
    rows, number, total = rows_page(session, query, page, per_page)
    return Page([MisuseRow(*row) for row in rows], number, per_page, total)


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
        )
        .join(CrossingPoint, CrossingPoint.id == Crossing.crossing_point_id)
        .outerjoin(User, User.id == Crossing.officer_id)
        .where(Crossing.permit_id == permit_id)
        .order_by(Crossing.at.desc(), Crossing.id.desc())
    )
    rows, number, total = rows_page(session, query, page, per_page)
    items = [
        HistoryRow(at, direction, code, verdict.value, reason, name, status)
        for at, direction, code, verdict, reason, name, status in rows
    ]
    return Page(items, number, per_page, total)
