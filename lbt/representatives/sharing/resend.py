"""Moving from the single-instance pilot to two linked instances: once the link is made, each side sends
its own register, its shared incidents and the hand-over acts of the linked sections whole (``lbt
representatives resend``); the partner adopts its pilot copies of them (same post, name and first day
for an appointment) and keeps them as received. Safe to run again: the partner applies each entry
as the latest state of that record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lbt.exchange.models import ExchangeLink
from lbt.reference.models import BorderSection
from lbt.representatives.models import HandOverAct, Incident, Representative
from lbt.representatives.sharing.outgoing import send_appointment, send_hand_over, send_incident


@dataclass(frozen=True)
class Resent:
    appointments: int
    incidents: int
    hand_overs: int


def linked_sections(session: Session, link: ExchangeLink) -> list[BorderSection]:
    agreement = link.agreement
    a, b = agreement.state_a_id, agreement.state_b_id
    return list(
        session.scalars(
            select(BorderSection)
            .where(
                or_(
                    (BorderSection.state_a_id == a) & (BorderSection.state_b_id == b),
                    (BorderSection.state_a_id == b) & (BorderSection.state_b_id == a),
                )
            )
            .order_by(BorderSection.code)
        )
    )


def resend(session: Session, link: ExchangeLink, *, now: datetime) -> Resent:
    """Queue, on ``link``, this side's register entries, shared incidents and hand-over acts of every
    section of the link's two states, whole (the partner's own copies are adopted or updated)."""
    ids = [section.id for section in linked_sections(session, link)]
    entries = session.scalars(
        select(Representative)
        .where(Representative.section_id.in_(ids))
        .order_by(Representative.appointed_from, Representative.id)
    ).all()
    appointments = sum(send_appointment(session, link, entry, now=now, force=True) for entry in entries)
    incidents = session.scalars(
        select(Incident).where(Incident.section_id.in_(ids), Incident.is_shared).order_by(Incident.id)
    ).all()
    shared = sum(send_incident(session, link, incident, now=now, force=True) for incident in incidents)
    acts = session.scalars(
        select(HandOverAct).where(HandOverAct.section_id.in_(ids)).order_by(HandOverAct.id)
    ).all()
    hand_overs = sum(send_hand_over(session, link, act, now=now, force=True) for act in acts)
    session.flush()
    return Resent(appointments, shared, hand_overs)
