"""Crossing figures, read from the summaries kept at write time (lbt.crossings.summaries), never
from the crossings themselves: counted entries and exits per point and local day
(``crossing_day_counts``), and where each holder stands now (``permit_presence``: inside since when)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import DateTime, bindparam, case, func, select
from sqlalchemy.orm import Session

from lbt.core.errors import N_
from lbt.crossings.models import CrossingDayCount, Direction, PermitPresence
from lbt.reference.models import CrossingPoint
from lbt.reports.figures import Figure, Scope

STAY_BANDS = ((0, 1), (2, 7), (8, 30), (31, 60), (61, 90), (91, None))


def _points(session: Session, scope: Scope) -> list[CrossingPoint]:
    query = select(CrossingPoint).where(CrossingPoint.agreement_id.in_(scope.agreement_ids))
    if scope.crossing_point_id is not None:
        query = query.where(CrossingPoint.id == scope.crossing_point_id)
    return list(session.scalars(query.order_by(CrossingPoint.code)))


def bucket(day: date, days_in_period: int) -> str:
    """A day's place in the series: the day itself up to two months, its ISO week up to a year, else
    its month."""
    if days_in_period <= 62:
        return day.isoformat()
    if days_in_period <= 366:
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day:%Y-%m}"


def crossings(session: Session, scope: Scope) -> tuple[Figure, Figure]:
    """Counted entries and exits per crossing point over the period, and over time (by day, week or month
    as the period's length asks), by direction."""
    points = {point.id: point for point in _points(session, scope)}
    rows = session.execute(
        select(
            CrossingDayCount.crossing_point_id,
            CrossingDayCount.day,
            CrossingDayCount.direction,
            CrossingDayCount.count,
        ).where(
            CrossingDayCount.crossing_point_id.in_(points),
            CrossingDayCount.day >= scope.period.start,
            CrossingDayCount.day <= scope.period.end,
        )
    ).all()
    per_point: Counter[tuple[int, Direction]] = Counter()
    per_time: Counter[tuple[str, Direction]] = Counter()
    for point_id, day, direction, count in rows:
        per_point[point_id, direction] += count
        per_time[bucket(day, scope.period.days), direction] += count
    times = sorted({key for key, _direction in per_time})
    return (
        Figure(
            "crossings_by_point",
            N_("Crossings by crossing point"),
            (N_("Crossing point"), N_("Entries"), N_("Exits")),
            tuple(
                (point.code, per_point[point.id, Direction.ENTRY], per_point[point.id, Direction.EXIT])
                for point in points.values()
            ),
            series=(1, 2),
        ),
        Figure(
            "crossings_over_time",
            N_("Crossings over time"),
            (N_("Day, week or month"), N_("Entries"), N_("Exits")),
            tuple((key, per_time[key, Direction.ENTRY], per_time[key, Direction.EXIT]) for key in times),
            chart="line",
            series=(1, 2),
        ),
    )


def _stay_band(days: int) -> str:
    for low, high in STAY_BANDS:
        if high is None or days <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    raise AssertionError("unreachable")


def _inside(session: Session, scope: Scope, *, now: datetime) -> list[tuple[int, str, int, int]]:
    """The holders inside now as (point of entry, band of whole days inside, overstaying, people): one
    grouped query on PostgreSQL over ``permit_presence``'s index of the people inside, which carries
    each holder's point and the permit's longest stay (a row per point and band, however many are
    inside); elsewhere (SQLite, at demo size) a row per holder, counted here. A holder is in the band of
    ``(now - entered_at).days``: at most ``high`` days inside is entered after ``now - (high + 1)`` days."""
    query = select(
        PermitPresence.last_crossing_point_id, PermitPresence.entered_at, PermitPresence.max_stay_days
    ).where(PermitPresence.agreement_id.in_(scope.agreement_ids), PermitPresence.entered_at.is_not(None))
    if scope.crossing_point_id is not None:
        query = query.where(PermitPresence.last_crossing_point_id == scope.crossing_point_id)
    if session.get_bind().dialect.name == "postgresql":
        band = case(
            *(
                (PermitPresence.entered_at > now - timedelta(days=high + 1), f"{low}-{high}")
                for low, high in STAY_BANDS
                if high is not None
            ),
            else_=f"{STAY_BANDS[-1][0]}+",
        )
        since = bindparam("now", now, type_=DateTime(timezone=True))
        over = case(
            (
                PermitPresence.entered_at
                <= since - func.make_interval(0, 0, 0, PermitPresence.max_stay_days),
                1,
            ),
            else_=0,
        )
        grouped = query.with_only_columns(
            PermitPresence.last_crossing_point_id, band, func.sum(over), func.count()
        ).group_by(PermitPresence.last_crossing_point_id, band)
        return [
            (point_id, label, int(over), people) for point_id, label, over, people in session.execute(grouped)
        ]
    rows: list[tuple[int, str, int, int]] = []
    for point_id, entered_at, max_stay in session.execute(query):
        days = (now - entered_at).days
        rows.append((point_id, _stay_band(days), int(days >= max_stay), 1))
    return rows


def inside_now(session: Session, scope: Scope, *, now: datetime) -> tuple[Figure, Figure, Figure]:
    """People inside now, by the point they entered at; how long they have been inside; and those inside
    longer than their permit's longest stay (overstaying now). Whole days since the entry."""
    by_point: Counter[int] = Counter()
    bands: Counter[str] = Counter()
    overstaying: Counter[int] = Counter()
    for point_id, band, overstays, people in _inside(session, scope, now=now):
        by_point[point_id] += people
        bands[band] += people
        overstaying[point_id] += overstays
    codes = dict(
        session.execute(
            select(CrossingPoint.id, CrossingPoint.code).where(CrossingPoint.id.in_(by_point))
        ).all()
    )
    order = sorted(by_point, key=lambda point_id: codes[point_id])
    return (
        Figure(
            "inside_now",
            N_("People inside now, by crossing point of entry"),
            (N_("Crossing point"), N_("Inside now")),
            tuple((codes[point_id], by_point[point_id]) for point_id in order),
        ),
        Figure(
            "stay_lengths",
            N_("Stays under way, by days inside"),
            (N_("Days inside"), N_("People")),
            tuple(
                (band, bands[band])
                for band in (f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in STAY_BANDS)
            ),
        ),
        Figure(
            "overstaying_now",
            N_("Overstaying now (inside longer than the permit's longest stay)"),
            (N_("Crossing point"), N_("People")),
            tuple((codes[point_id], overstaying[point_id]) for point_id in order),
        ),
    )
