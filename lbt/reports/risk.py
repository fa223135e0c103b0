"""Risk indicators, in the spirit of Frontex's common integrated risk analysis model: per crossing point
(counted crossings, misuse cases, overstays), per border section (incidents) and per agreement
(refusals, alert-list hits), the last 7 days up to the period's last day against the 7 before
(week-on-week), against the same 7 days 52 weeks earlier (year-on-year, the same weekdays), and
against the usual band: the mean ± 2 standard deviations of the 8 weeks before. A figure outside its
band is flagged. Every count is a grouped query over those 10 weeks only (crossings from the
per-day summaries kept at write time), never over all the records."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from lbt.alerts.models import AlertHit
from lbt.applications.models import Application, ApplicationEvent, EventKind
from lbt.core.errors import N_
from lbt.crossings.models import (
    Crossing,
    CrossingDayCount,
    Direction,
    MisuseCase,
    MisuseKind,
    PatternKind,
    StayPatternFlag,
)
from lbt.crossings.patterns import RULES
from lbt.permits.models import Permit
from lbt.reference.models import Agreement, BorderSection, CrossingPoint
from lbt.reports.figures import Figure, Scope, applications_where
from lbt.reports.periods import Period
from lbt.representatives.models import Incident

HISTORY_WEEKS = 8  # the usual band: the weeks before the last one
YEAR_AGO_WEEK = 52  # 364 days back: the same weekdays a year before
BAND_WIDTH = 2  # standard deviations either side of the mean
NO_POINT = "—"  # a misuse case found away from a crossing


def week_of(day: date, end: date) -> int:
    """0 for the 7 days ending on ``end``, 1 for the 7 before, and so on."""
    return (end - day).days // 7


def weeks(end: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """The days counted: the last 1 + HISTORY_WEEKS weeks, and the week a year before the last one."""
    recent = (end - timedelta(days=7 * (HISTORY_WEEKS + 1) - 1), end)
    year_ago_end = end - timedelta(days=7 * YEAR_AGO_WEEK)
    return recent, (year_ago_end - timedelta(days=6), year_ago_end)


def _in_days(column: Any, ranges: Iterable[tuple[date, date]], zone: Any) -> ColumnElement[bool]:
    """A timestamp column inside any of the ranges of local days."""
    bounds = [Period(start, end, zone).bounds() for start, end in ranges]
    return or_(*(and_(column >= since, column < until) for since, until in bounds))


def band(history: list[int]) -> tuple[float, float]:
    """The usual band: mean ± 2 population standard deviations, never below zero."""
    mean, spread = statistics.fmean(history), statistics.pstdev(history)
    return max(0.0, round(mean - BAND_WIDTH * spread, 1)), round(mean + BAND_WIDTH * spread, 1)


def _row(indicator: str, subject: str, counts: Counter[int]) -> tuple[Any, ...]:
    """CIRAM-style trend: this week, week-on-week, year-on-year and the flag when outside the band."""
    this_week, previous, year_ago = counts[0], counts[1], counts[YEAR_AGO_WEEK]
    low, high = band([counts[week] for week in range(1, HISTORY_WEEKS + 1)])
    flag = "band_above" if this_week > high else "band_below" if this_week < low else ""
    return (
        indicator,
        subject,
        this_week,
        previous,
        this_week - previous,
        year_ago,
        this_week - year_ago,
        low,
        high,
        flag,
    )


def _tally(pairs: Iterable[tuple[Any, date, int]], end: date) -> dict[Any, Counter[int]]:
    """(subject, local day, count) rows into counts per subject and week."""
    tallies: dict[Any, Counter[int]] = {}
    for subject, day, count in pairs:
        week = week_of(day, end)
        if week <= HISTORY_WEEKS or week == YEAR_AGO_WEEK:
            tallies.setdefault(subject, Counter())[week] += count
    return tallies


def _tally_events(session: Session, query: Select[Any], scope: Scope) -> dict[Any, Counter[int]]:
    """A query of (subject, instant) rows, one per event, counted per subject and week."""
    local = scope.period.local_day
    return _tally(((subject, local(at), 1) for subject, at in session.execute(query)), scope.period.end)


def _codes(session: Session, model: Any, ids: Iterable[int]) -> dict[int, str]:
    """The codes of the sections or agreements in scope, by id, in code order."""
    return dict(
        session.execute(select(model.id, model.code).where(model.id.in_(ids)).order_by(model.code)).all()
    )


def risk_indicators(session: Session, scope: Scope) -> Figure:
    """Every indicator of the scope, a row per crossing point, section or agreement (with no events too)."""
    end, zone = scope.period.end, scope.period.zone
    ranges = weeks(end)
    local = scope.period.local_day

    points_query = select(CrossingPoint.id, CrossingPoint.code).where(
        CrossingPoint.agreement_id.in_(scope.agreement_ids)
    )
    if scope.crossing_point_id is not None:
        points_query = points_query.where(CrossingPoint.id == scope.crossing_point_id)
    points = dict(session.execute(points_query.order_by(CrossingPoint.code)).all())

    crossings = _tally(
        session.execute(
            select(CrossingDayCount.crossing_point_id, CrossingDayCount.day, func.sum(CrossingDayCount.count))
            .where(
                CrossingDayCount.crossing_point_id.in_(points),
                or_(*(CrossingDayCount.day.between(start, last) for start, last in ranges)),
            )
            .group_by(CrossingDayCount.crossing_point_id, CrossingDayCount.day)
        ).all(),
        end,
    )

    misuse_query = (
        select(MisuseCase.kind, Crossing.crossing_point_id, MisuseCase.detected_at)
        .join(Permit, Permit.id == MisuseCase.permit_id)
        .outerjoin(Crossing, Crossing.id == MisuseCase.crossing_id)
        .where(Permit.agreement_id.in_(scope.agreement_ids), _in_days(MisuseCase.detected_at, ranges, zone))
    )
    if scope.crossing_point_id is not None:
        misuse_query = misuse_query.where(Crossing.crossing_point_id == scope.crossing_point_id)
    cases = session.execute(misuse_query).all()
    misuse = _tally(((point, local(at), 1) for _kind, point, at in cases), end)
    overstays = _tally(
        ((point, local(at), 1) for kind, point, at in cases if kind is MisuseKind.OVERSTAY), end
    )

    incidents_query = select(Incident.section_id, Incident.occurred_at).where(
        Incident.section_id.in_(scope.section_ids), _in_days(Incident.occurred_at, ranges, zone)
    )
    if scope.home_state_id is not None:
        incidents_query = incidents_query.where(
            or_(Incident.reported_by_state_id == scope.home_state_id, Incident.is_shared)
        )
    incidents = _tally_events(session, incidents_query, scope)
    sections = _codes(session, BorderSection, scope.section_ids)

    refusals_query = (
        select(Application.agreement_id, ApplicationEvent.at)
        .join(Application, Application.id == ApplicationEvent.application_id)
        .where(ApplicationEvent.kind == EventKind.REFUSED, _in_days(ApplicationEvent.at, ranges, zone))
    )
    refusals = _tally_events(session, applications_where(refusals_query, scope), scope)
    hits_query = (
        select(Application.agreement_id, AlertHit.found_at)
        .join(Application, Application.id == AlertHit.application_id)
        .where(_in_days(AlertHit.found_at, ranges, zone))
    )
    hits = _tally_events(session, applications_where(hits_query, scope), scope)
    agreements = _codes(session, Agreement, scope.agreement_ids)

    no_point = [None] if any(None in tally for tally in (misuse, overstays)) else []
    rows = [
        *(_row("risk_crossings", code, crossings.get(point, Counter())) for point, code in points.items()),
        *(
            _row("risk_misuse", points.get(point, NO_POINT), misuse.get(point, Counter()))
            for point in [*points, *no_point]
        ),
        *(
            _row("risk_overstays", points.get(point, NO_POINT), overstays.get(point, Counter()))
            for point in [*points, *no_point]
        ),
        *(
            _row("risk_incidents", code, incidents.get(section, Counter()))
            for section, code in sections.items()
        ),
        *(
            _row("risk_refusals", code, refusals.get(agreement, Counter()))
            for agreement, code in agreements.items()
        ),
        *(
            _row("risk_alert_hits", code, hits.get(agreement, Counter()))
            for agreement, code in agreements.items()
        ),
    ]
    return Figure(
        "risk_indicators",
        N_("Risk indicators: the last 7 days against the usual band"),
        (
            N_("Indicator"),
            N_("Where"),
            N_("Last 7 days"),
            N_("7 days before"),
            N_("Week-on-week change"),
            N_("Same 7 days a year before"),
            N_("Year-on-year change"),
            N_("Usual band from"),
            N_("Usual band to"),
            N_("Flag"),
        ),
        tuple(rows),
        chart="",
        notes=(
            N_("The usual band is the mean ± 2 standard deviations of the 8 weeks before the last 7 days."),
        ),
    )


def stay_patterns(session: Session, scope: Scope, *, now: datetime) -> Figure:
    """Holders flagged now by their stay patterns (``lbt.crossings.patterns``: the flags the officers'
    list shows, kept at each counted exit), per crossing point of their latest exit and pattern. Counts
    only: the holders themselves are on the officers' list. One grouped query over the flags, each
    joined to its latest exit by the index on (permit, time)."""
    current = or_(
        *(
            and_(
                StayPatternFlag.kind == rule.kind,
                StayPatternFlag.last_exit_at > now - timedelta(days=rule.window_days),
            )
            for rule in RULES
        )
    )
    points_query = select(CrossingPoint.id, CrossingPoint.code).where(
        CrossingPoint.agreement_id.in_(scope.agreement_ids)
    )
    if scope.crossing_point_id is not None:
        points_query = points_query.where(CrossingPoint.id == scope.crossing_point_id)
    points = dict(session.execute(points_query.order_by(CrossingPoint.code)).all())
    counted = dict.fromkeys(((point, kind) for point in points for kind in PatternKind), 0)
    query = (
        select(
            Crossing.crossing_point_id,
            StayPatternFlag.kind,
            func.count(func.distinct(StayPatternFlag.permit_id)),
        )
        .select_from(StayPatternFlag)
        .join(
            Crossing,
            and_(
                Crossing.permit_id == StayPatternFlag.permit_id,
                Crossing.at == StayPatternFlag.last_exit_at,
                Crossing.direction == Direction.EXIT,
            ),
        )
        .where(
            StayPatternFlag.agreement_id.in_(scope.agreement_ids),
            Crossing.crossing_point_id.in_(list(points)),
            current,
        )
        .group_by(Crossing.crossing_point_id, StayPatternFlag.kind)
    )
    for point, kind, holders in session.execute(query):
        counted[(point, kind)] = holders
    return Figure(
        "stay_patterns",
        N_("Holders flagged by their stay patterns, by crossing point of their latest exit"),
        (N_("Crossing point"), N_("Pattern"), N_("Holders flagged")),
        tuple((points[point], kind.value, holders) for (point, kind), holders in counted.items()),
        notes=(
            N_(
                "A holder is flagged for many stays of a few hours in 30 days, or for stays ending near "
                "the limit again and again in a year. A flag is a reason to look, not a finding."
            ),
        ),
    )
