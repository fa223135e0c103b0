"""Every monitoring figure for one scope, in the order the pages and the report show them, and the
border representatives' figures (incidents by section and kind, meetings held, decisions open)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from lbt.core.errors import N_
from lbt.reference.models import Agreement, BorderSection
from lbt.reports import crossing_figures, decision_figures, figures
from lbt.reports.figures import Figure, Scope, in_period
from lbt.representatives.enums import UNFINISHED_ACTION_STATUSES, MeetingStatus
from lbt.representatives.models import Action, Incident, Meeting


def section_ids_of(session: Session, agreements: Iterable[Agreement]) -> tuple[int, ...]:
    """The border sections between the two states of each agreement."""
    pairs = [
        or_(
            and_(BorderSection.state_a_id == a.state_a_id, BorderSection.state_b_id == a.state_b_id),
            and_(BorderSection.state_a_id == a.state_b_id, BorderSection.state_b_id == a.state_a_id),
        )
        for a in agreements
    ]
    if not pairs:
        return ()
    return tuple(session.scalars(select(BorderSection.id).where(or_(*pairs)).order_by(BorderSection.id)))


def incidents(session: Session, scope: Scope) -> Figure:
    """Incidents that occurred in the period, by border section and kind."""
    query = (
        select(BorderSection.code, Incident.type, func.count())
        .join(BorderSection, BorderSection.id == Incident.section_id)
        .where(Incident.section_id.in_(scope.section_ids), in_period(Incident.occurred_at, scope))
        .group_by(BorderSection.code, Incident.type)
        .order_by(BorderSection.code, Incident.type)
    )
    if scope.home_state_id is not None:
        query = query.where(or_(Incident.reported_by_state_id == scope.home_state_id, Incident.is_shared))
    rows = tuple((code, kind.value, count) for code, kind, count in session.execute(query))
    return Figure(
        "incidents", N_("Incidents by section and kind"), (N_("Section"), N_("Kind"), N_("Incidents")), rows
    )


def meetings(session: Session, scope: Scope, *, now: datetime) -> Figure:
    """Per section: meetings held in the period; decisions (follow-up actions) unfinished now, and of
    those the ones past their due date."""
    held = dict(
        session.execute(
            select(Meeting.section_id, func.count())
            .where(
                Meeting.section_id.in_(scope.section_ids),
                Meeting.status == MeetingStatus.HELD,
                in_period(Meeting.held_at, scope),
            )
            .group_by(Meeting.section_id)
        ).all()
    )
    today = scope.period.local_day(now)
    unfinished = Action.status.in_(UNFINISHED_ACTION_STATUSES)
    open_actions = {
        section_id: (count, overdue or 0)
        for section_id, count, overdue in session.execute(
            select(
                Action.section_id,
                func.count(),
                func.sum(case((Action.due_on < today, 1), else_=0)),
            )
            .where(Action.section_id.in_(scope.section_ids), unfinished)
            .group_by(Action.section_id)
        )
    }
    sections = session.scalars(
        select(BorderSection).where(BorderSection.id.in_(scope.section_ids)).order_by(BorderSection.code)
    )
    rows = tuple(
        (section.code, held.get(section.id, 0), *open_actions.get(section.id, (0, 0))) for section in sections
    )
    return Figure(
        "meetings",
        N_("Meetings and their decisions"),
        (N_("Section"), N_("Meetings held"), N_("Decisions open"), N_("Decisions overdue")),
        rows,
    )


def monitoring_figures(
    session: Session, scope: Scope, *, now: datetime, deadline_days: int | None, only: str | None = None
) -> list[Figure]:
    """Every figure in order, or with ``only`` the queries of that figure's key alone (a download)."""
    groups: tuple[tuple[tuple[str, ...], Callable[[], Iterable[Figure]]], ...] = (
        (("applications",), lambda: [figures.applications(session, scope)]),
        (("refusal_reasons",), lambda: [figures.refusal_reasons(session, scope)]),
        (
            ("decision_times",),
            lambda: [decision_figures.decision_times(session, scope, now=now, deadline_days=deadline_days)],
        ),
        (
            ("permits_by_locality", "permits_by_sex", "permits_by_age"),
            lambda: figures.permits_issued(session, scope),
        ),
        (("withdrawals",), lambda: [figures.withdrawals(session, scope)]),
        (("misuse",), lambda: [figures.misuse(session, scope)]),
        (("alert_hits",), lambda: [figures.alert_hits(session, scope)]),
        (("crossings_by_point", "crossings_over_time"), lambda: crossing_figures.crossings(session, scope)),
        (
            ("inside_now", "stay_lengths", "overstaying_now"),
            lambda: crossing_figures.inside_now(session, scope, now=now),
        ),
        (("incidents",), lambda: [incidents(session, scope)]),
        (("meetings",), lambda: [meetings(session, scope, now=now)]),
    )
    return [figure for keys, make in groups if only is None or only in keys for figure in make()]
