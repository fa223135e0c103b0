"""How a permit was used, for the officer who decides its renewal, suspension or a misuse case: where
the holder stands now (read from ``permit_presence``, kept at every counted crossing), the days of the
current stay and of the rolling window against the agreement's limits, and the permit's misuse cases.
The crossings themselves are the guard's history (``lbt.crossings.queries.permit_crossings``) and the
partner's records (``lbt.exchange.received.recorded_by_partner``). Every read is bounded: one row of
the presence, the counted crossings of one window, a page of cases (no count over a whole table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lbt.core.dates import local_day, local_to_utc
from lbt.core.pagination import Page
from lbt.crossings.models import COUNTED_STATUSES, Crossing, Direction, MisuseCase, MisuseKind, PermitPresence
from lbt.crossings.queries import point_zone, rows_page
from lbt.crossings.stays import days_present, stays_from
from lbt.permits.models import Permit
from lbt.reference.models import CrossingPoint, State

CASES_PER_PAGE = 10
# a crossing point's clock is at most this far from another's: the window's crossings are read from
# this much before its first day, and the days then counted on the point's clock
ZONE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Usage:
    """Where the holder stands on ``day`` (the day on the clock of the last crossing's point)."""

    crossed: bool  # any counted crossing at all
    inside: bool
    last_at: datetime | None  # the last counted crossing: the entry when inside, else the exit
    crossing_point: str
    zone: str  # that crossing point's clock
    stay_days: int  # days of the current stay so far, both ends counted (0: outside)
    max_stay_days: int
    window_days: int | None
    window_limit: int | None
    window_used: int | None  # days present in the window ending today (None: no rolling limit)


@dataclass(frozen=True)
class CaseRow:
    id: int
    kind: MisuseKind
    detected_at: datetime
    days_over: int
    description: str
    penalty: str
    zone: str | None  # the clock of the crossing point where it was found, if found at a crossing


def usage(session: Session, permit: Permit, now: datetime) -> Usage:
    """Art. 5 and the agreement: the current stay against the longest one, and the days present in
    the rolling window against its limit, counted as the guard's verdict counts them."""
    agreement = permit.agreement
    found = session.execute(
        select(PermitPresence.entered_at, PermitPresence.last_at, CrossingPoint.code, point_zone())
        .join(CrossingPoint, CrossingPoint.id == PermitPresence.last_crossing_point_id)
        .join(State, State.id == CrossingPoint.state_id)
        .where(PermitPresence.permit_id == permit.id)
    ).one_or_none()
    window_days, window_limit = agreement.rolling_window_days, agreement.rolling_limit_days
    if found is None:
        no_days = 0 if window_days else None
        return Usage(False, False, None, "", "", 0, permit.max_stay_days, window_days, window_limit, no_days)
    entered_at, last_at, code, zone = found
    today = local_day(now, zone)
    stay_days = (today - local_day(entered_at, zone)).days + 1 if entered_at is not None else 0
    used = None
    if window_days:
        used = _window_used(session, permit.id, today - timedelta(days=window_days - 1), today, zone)
    inside = entered_at is not None
    return Usage(
        True, inside, last_at, code, zone, stay_days, permit.max_stay_days, window_days, window_limit, used
    )


def _window_used(session: Session, permit_id: int, first: date, last: date, zone: str) -> int:
    """Days present from ``first`` to ``last``: the counted crossings of the window and the last one
    before it (an entry before the window is a stay that runs into it), in one query."""
    since = local_to_utc(datetime.combine(first, time.min), zone) - ZONE_MARGIN
    counted = (Crossing.permit_id == permit_id) & Crossing.status.in_(COUNTED_STATUSES)
    before = (
        select(Crossing.id)
        .where(counted, Crossing.at < since)
        .order_by(Crossing.at.desc(), Crossing.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Crossing.direction, Crossing.at)
        .where(counted, or_(Crossing.at >= since, Crossing.id == before))
        .order_by(Crossing.at, Crossing.id)
    ).all()
    stays = stays_from((Direction(direction), local_day(at, zone)) for direction, at in rows)
    return days_present(stays, first, last)


def misuse_cases(
    session: Session, permit_id: int, *, page: int = 1, per_page: int = CASES_PER_PAGE
) -> Page[CaseRow]:
    """The permit's misuse cases and their penalties, the latest found first."""
    query = (
        select(
            MisuseCase.id,
            MisuseCase.kind,
            MisuseCase.detected_at,
            MisuseCase.days_over,
            MisuseCase.description,
            MisuseCase.penalty,
            point_zone(),
            CrossingPoint.id,
        )
        .outerjoin(Crossing, Crossing.id == MisuseCase.crossing_id)
        .outerjoin(CrossingPoint, CrossingPoint.id == Crossing.crossing_point_id)
        .outerjoin(State, State.id == CrossingPoint.state_id)
        .where(MisuseCase.permit_id == permit_id)
        .order_by(MisuseCase.detected_at.desc(), MisuseCase.id.desc())
    )
    rows, number, total, more = rows_page(session, query, page, per_page)
    items = [
        CaseRow(id_, kind, at, days_over, description, penalty, zone if point_id else None)
        for id_, kind, at, days_over, description, penalty, zone, point_id in rows
    ]
    return Page(items, number, per_page, total, more)
