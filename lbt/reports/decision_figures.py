"""Decision times: days from submission to the first decision in the period, median and 90th
percentile against the agreement's deadline (aggregated in SQL on PostgreSQL, in Python elsewhere)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lbt.applications.models import OPEN_STATUSES, Application
from lbt.core.errors import N_
from lbt.reports.figures import (
    Figure,
    Scope,
    applications_where,
    in_period,
    median,
    on_postgresql,
    percentile,
)


def _decided(session: Session, scope: Scope) -> tuple[int, float | None, float | None, int]:
    """How many applications had their first decision in the period (kept at write time:
    ``applications.first_decided_at``, lbt.applications.first_decisions), their median and 90th
    percentile (nearest rank) in days, and how many fell after the due day (on the application's
    clock, the one its due day is counted on). One range of the first decisions' index; PostgreSQL
    aggregates in the query (percentile_cont, percentile_disc), another database (SQLite, at demo
    size) returns the rows and Python counts them."""
    decided_at = Application.first_decided_at
    query = applications_where(
        select(Application.submitted_at, Application.decision_due, decided_at, Application.first_decided_on)
        .select_from(Application)
        .where(decided_at.is_not(None), in_period(decided_at, scope)),
        scope,
    )
    if on_postgresql(session):
        # date_part gives a double; extract gives a numeric since PostgreSQL 14, and sorting 900k
        # numerics for the percentiles took 2.7 times as long (3 years at 1 M: 1,130 -> 414 ms)
        days = func.date_part("epoch", decided_at - Application.submitted_at) / 86400
        late = case((Application.first_decided_on > Application.decision_due, 1), else_=0)
        rows = query.with_only_columns(days.label("days"), late.label("late")).subquery()
        count, middle, p90, late_count = session.execute(
            select(
                func.count(),
                func.percentile_cont(0.5).within_group(rows.c.days),
                func.percentile_disc(0.9).within_group(rows.c.days),
                func.coalesce(func.sum(rows.c.late), 0),
            )
        ).one()
        return (
            count,
            float(middle) if middle is not None else None,
            float(p90) if p90 is not None else None,
            int(late_count),
        )
    durations, late_count = [], 0
    for submitted_at, due, first_at, first_on in session.execute(query):
        durations.append((first_at - submitted_at).total_seconds() / 86400)
        late_count += first_on > due
    return len(durations), median(durations), percentile(durations, 0.9), late_count


def decision_times(session: Session, scope: Scope, *, now: datetime, deadline_days: int | None) -> Figure:
    """Days from submission to the first decision, for the decisions made in the period: median and
    90th percentile against the agreement's deadline, decisions made late, and applications open past
    their due date now."""
    decided, middle, p90, late = _decided(session, scope)
    overdue_query = select(func.count()).select_from(Application)
    overdue_query = applications_where(overdue_query, scope).where(
        Application.status.in_(OPEN_STATUSES), Application.decision_due < scope.period.local_day(now)
    )
    overdue = session.scalar(overdue_query) or 0
    rounded = [round(value, 1) if value is not None else None for value in (middle, p90)]
    return Figure(
        "decision_times",
        N_("Decision time (days)"),
        (N_("Measure"), N_("Value")),
        (
            ("decided", decided),
            ("median_days", rounded[0]),
            ("p90_days", rounded[1]),
            ("deadline_days", deadline_days),
            ("decided_late", late),
            ("open_overdue_now", overdue),
        ),
        chart="",
    )
