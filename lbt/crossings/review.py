"""Crossings held for review: an offline record older than ``LBT_OFFLINE_MAX_AGE_HOURS`` is kept but does
not count in the holder's stays until an officer or supervisor of its agreement accepts it; a rejected
one never counts. Each decision is an audited ``CrossingReview``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts import policy
from lbt.accounts.models import Role, User
from lbt.core.errors import N_, AccessDenied, NotFound, ValidationFailed
from lbt.core.pagination import Page
from lbt.crossings import summaries
from lbt.crossings.history import histories
from lbt.crossings.models import Crossing, CrossingReview, CrossingStatus, Direction, ReviewDecision, Verdict
from lbt.crossings.queries import PER_PAGE, rows_page
from lbt.crossings.services import lock_permits
from lbt.permits.models import Permit
from lbt.reference.models import CrossingPoint

REVIEWERS = (Role.OFFICER, Role.SUPERVISOR)
NOTE_LENGTH = 1000


@dataclass(frozen=True)
class HeldRow:
    id: int
    permit_id: int
    number: str
    holder: str
    direction: Direction
    at: datetime
    recorded_at: datetime
    crossing_point: str
    verdict: Verdict
    reason: str


def held_crossings(
    session: Session, agreements: Collection[int], *, page: int = 1, per_page: int = PER_PAGE
) -> Page[HeldRow]:
    """Crossings waiting for a decision, under the given agreements, the oldest sent first."""
    query = (
        select(
            Crossing.id,
            Permit.id,
            Permit.number,
            Permit.surname_latin + " " + Permit.given_names_latin,
            Crossing.direction,
            Crossing.at,
            Crossing.recorded_at,
            CrossingPoint.code,
            Crossing.verdict,
            Crossing.reason,
        )
        .join(Permit, Permit.id == Crossing.permit_id)
        .join(CrossingPoint, CrossingPoint.id == Crossing.crossing_point_id)
        .where(Crossing.status == CrossingStatus.HELD, Permit.agreement_id.in_(list(agreements)))
        .order_by(Crossing.recorded_at, Crossing.id)
    )
    rows, number, total, more = rows_page(session, query, page, per_page)
    return Page([HeldRow(*row) for row in rows], number, per_page, total, more)


def decide(
    session: Session,
    crossing_id: int,
    decision: ReviewDecision,
    *,
    officer: User,
    note: str,
    now: datetime,
) -> CrossingReview:
    """Accept a held crossing (from now on it counts in the stays, at its own time) or reject it (it
    never counts; a note says why)."""
    crossing = session.get(Crossing, crossing_id)
    if crossing is None:
        raise NotFound(N_("No such crossing."))
    if officer.role not in REVIEWERS or not policy.can_see_agreement(officer, crossing.permit.agreement_id):
        raise AccessDenied(N_("Only an officer or supervisor of this agreement reviews its crossings."))
    lock_permits(session, [crossing.permit_id])  # the stays change: not beside a crossing being recorded
    session.refresh(crossing)
    if crossing.status is not CrossingStatus.HELD:
        raise ValidationFailed(N_("This crossing was already reviewed."))
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise ValidationFailed(N_("The note is longer than %(max)s characters."), "note", max=NOTE_LENGTH)
    if decision is ReviewDecision.REJECTED and not note:
        raise ValidationFailed(N_("Say why the crossing is rejected."), "note")
    crossing.status = (
        CrossingStatus.ACCEPTED if decision is ReviewDecision.ACCEPTED else CrossingStatus.REJECTED
    )
    review = CrossingReview(
        crossing=crossing, decision=decision, note=note, reviewed_by_id=officer.id, reviewed_at=now
    )
    session.add(review)
    session.flush()
    if crossing.status is CrossingStatus.ACCEPTED:  # it counts from now on: so do the summaries
        counted = histories(session, [crossing.permit_id]).of(crossing.permit_id)
        accepted = next(c for c in counted if c.id == crossing.id)
        summaries.counted_added(session, crossing.permit, counted, accepted)
    return review
