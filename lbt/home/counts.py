"""The numbers on each role's home page (issue 14 item 8): what waits for the user now, each figure
one bounded count (at most ``COUNT_LIMIT`` rows read, then "more than 1000") along an index or a
summary table, never a scan of the applications, permits or crossings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from lbt.accounts import policy
from lbt.accounts.models import Role, User
from lbt.alerts.models import AlertHit
from lbt.applications.models import OPEN_STATUSES, Application, ApplicationStatus
from lbt.core.dates import local_day, state_time_zone
from lbt.core.pagination import COUNT_LIMIT
from lbt.crossings.models import Crossing, CrossingDayCount, CrossingStatus, PermitPresence
from lbt.permits.models import Permit, PermitStatus
from lbt.reference.models import Agreement
from lbt.representatives.enums import UNFINISHED_ACTION_STATUSES, MeetingStatus
from lbt.representatives.models.actions import Action
from lbt.representatives.models.meetings import Meeting

NEAR_LIMIT_DAYS = 7  # "near the stay limit": inside for at least the agreement's limit less this


@dataclass(frozen=True)
class Figure:
    key: str  # what is counted; the template names it and links it
    count: int | None  # None: more than ``COUNT_LIMIT``


def bounded_count(session: Session, query: Select[Any]) -> int | None:
    """How many rows ``query`` gives, reading at most ``COUNT_LIMIT`` + 1 of them."""
    capped = query.limit(COUNT_LIMIT + 1).subquery()
    counted = session.scalar(select(func.count()).select_from(capped)) or 0
    return None if counted > COUNT_LIMIT else counted


def _applications(user: User, *condition: Any) -> Select[Any]:
    return select(Application.id).where(Application.agreement_id.in_(policy.agreement_ids(user)), *condition)


def officer_figures(session: Session, user: User, now: datetime, home_state: str) -> list[Figure]:
    """The queue, the overdue among it, those waiting for the applicant, and the cards to print."""
    today = local_day(now, state_time_zone(home_state))
    to_print = select(Permit.id).where(
        Permit.agreement_id.in_(policy.agreement_ids(user)),
        Permit.card_printed_at.is_(None),
        Permit.status == PermitStatus.ACTIVE,
    )
    return [
        Figure(
            "queue",
            bounded_count(session, _applications(user, Application.status == ApplicationStatus.SUBMITTED)),
        ),
        Figure(
            "overdue",
            bounded_count(
                session,
                _applications(user, Application.status.in_(OPEN_STATUSES), Application.decision_due < today),
            ),
        ),
        Figure(
            "information",
            bounded_count(
                session, _applications(user, Application.status == ApplicationStatus.INFO_REQUESTED)
            ),
        ),
        Figure("to_print", bounded_count(session, to_print)),
    ]


def supervisor_figures(session: Session, user: User) -> list[Figure]:
    """Reconsiderations to decide, alert-list hits to clear, crossings held for a decision."""
    agreements = policy.agreement_ids(user)
    hits = (
        select(AlertHit.id)
        .join(Application, Application.id == AlertHit.application_id)
        .where(Application.agreement_id.in_(agreements), AlertHit.cleared_at.is_(None))
    )
    held = (
        select(Crossing.id)
        .join(Permit, Permit.id == Crossing.permit_id)
        .where(Crossing.status == CrossingStatus.HELD, Permit.agreement_id.in_(agreements))
    )
    return [
        Figure(
            "reconsiderations",
            bounded_count(
                session, _applications(user, Application.status == ApplicationStatus.RECONSIDERATION)
            ),
        ),
        Figure("hits", bounded_count(session, hits)),
        Figure("held", bounded_count(session, held)),
    ]


def guard_figures(session: Session, user: User, now: datetime) -> list[Figure]:
    """Today's counted crossings at the guard's points (each point's own calendar day, from the day
    counts) and the people inside near their agreement's stay limit (from the presence summary)."""
    points = list(user.crossing_points)
    today_at_points = [
        and_(
            CrossingDayCount.crossing_point_id == point.id,
            CrossingDayCount.day == local_day(now, point.zone_name),
        )
        for point in points
    ]
    crossed = session.scalar(
        select(func.coalesce(func.sum(CrossingDayCount.count), 0)).where(or_(false(), *today_at_points))
    )
    agreements = session.scalars(
        select(Agreement).where(Agreement.id.in_({point.agreement_id for point in points}))
    ).all()
    near = [
        and_(
            PermitPresence.agreement_id == agreement.id,
            PermitPresence.entered_at
            <= now - timedelta(days=max(agreement.max_stay_days - NEAR_LIMIT_DAYS, 0)),
        )
        for agreement in agreements
    ]
    near_limit = select(PermitPresence.permit_id).where(
        PermitPresence.entered_at.is_not(None), or_(false(), *near)
    )
    return [
        Figure("crossings_today", int(crossed or 0)),
        Figure("near_limit", bounded_count(session, near_limit)),
    ]


def representative_figures(session: Session, user: User, now: datetime) -> list[Figure]:
    """Meeting requests waiting for this side's answer, and unfinished actions past their deadline."""
    sections = [section.id for section in user.border_sections]
    replies = select(Meeting.id).where(
        Meeting.status == MeetingStatus.REQUESTED,
        Meeting.awaiting_state_id == user.state_id,
        Meeting.section_id.in_(sections),
    )
    # past their deadline on each section's own clock: one condition per section, one bounded count
    overdue = select(Action.id).where(
        Action.status.in_(UNFINISHED_ACTION_STATUSES),
        or_(
            false(),
            *(
                and_(Action.section_id == section.id, Action.due_on < local_day(now, section.zone_name))
                for section in user.border_sections
            ),
        ),
    )
    return [
        Figure("replies", bounded_count(session, replies)),
        Figure("actions_overdue", bounded_count(session, overdue)),
    ]


def figures(session: Session, user: User, now: datetime, home_state: str) -> list[Figure]:
    if user.role is Role.OFFICER:
        return officer_figures(session, user, now, home_state)
    if user.role is Role.SUPERVISOR:
        return supervisor_figures(session, user)
    if user.role is Role.BORDER_GUARD:
        return guard_figures(session, user, now)
    if user.role is Role.REPRESENTATIVE:
        return representative_figures(session, user, now)
    return []
