"""Border incidents, their place and what they involved, their links to meetings and decisions, and
the hand-over acts (persons, livestock, property returned) confirmed by both sides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.errors import N_, AccessDenied, ValidationFailed
from lbt.reference.models import BorderSection
from lbt.representatives.models import (
    Action,
    HandOverAct,
    HandOverKind,
    Incident,
    IncidentStatus,
    IncidentType,
    Meeting,
)
from lbt.representatives.services import (
    WrongStep,
    can_read,
    other_side,
    require_edit,
    require_read,
    require_side,
    side_in,
)
from lbt.representatives.sharing import outgoing


@dataclass(frozen=True)
class IncidentInput:
    type: IncidentType
    occurred_at: datetime
    description: str
    landmark: str = ""
    border_sign: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    persons_involved: int = 0
    animals_involved: int = 0
    property_involved: str = ""
    is_shared: bool = False


def _validate(data: IncidentInput, now: datetime) -> None:
    if data.occurred_at > now:
        raise ValidationFailed(N_("An incident cannot have happened in the future."), "occurred_at")
    if not data.description.strip():
        raise ValidationFailed(N_("Describe what happened."), "description")
    if not data.landmark.strip() and not data.border_sign.strip():
        raise ValidationFailed(N_("Give a landmark or the number of the border sign."), "landmark")
    if (data.latitude is None) != (data.longitude is None):
        raise ValidationFailed(N_("Give both latitude and longitude, or neither."), "latitude")
    if data.latitude is not None and not Decimal(-90) <= data.latitude <= Decimal(90):
        raise ValidationFailed(N_("Latitude lies between -90 and 90."), "latitude")
    if data.longitude is not None and not Decimal(-180) <= data.longitude <= Decimal(180):
        raise ValidationFailed(N_("Longitude lies between -180 and 180."), "longitude")
    if data.persons_involved < 0 or data.animals_involved < 0:
        raise ValidationFailed(N_("Counts cannot be negative."), "persons_involved")


def report_incident(
    session: Session, actor: User, section: BorderSection, data: IncidentInput, *, now: datetime
) -> Incident:
    """A side records an incident; the other side sees it once it is shared."""
    side = require_side(actor, section)
    outgoing.check_side(session, section, side)
    _validate(data, now)
    incident = Incident(
        section_id=section.id,
        reported_by_state_id=side,
        reported_by_id=actor.id,
        type=data.type,
        occurred_at=data.occurred_at,
        landmark=data.landmark.strip(),
        border_sign=data.border_sign.strip(),
        latitude=data.latitude,
        longitude=data.longitude,
        description=data.description.strip(),
        persons_involved=data.persons_involved,
        animals_involved=data.animals_involved,
        property_involved=data.property_involved.strip(),
        is_shared=data.is_shared,
        created_at=now,
    )
    session.add(incident)
    session.flush()
    outgoing.incident_changed(session, incident, now=now)
    return incident


def share_incident(
    session: Session, actor: User, incident: Incident, *, now: datetime | None = None
) -> Incident:
    require_edit(actor, incident)
    outgoing.check_side(session, incident.section, incident.reported_by_state_id)
    incident.is_shared = True
    session.flush()
    outgoing.incident_changed(session, incident, now=now)
    return incident


def set_incident_status(
    session: Session, actor: User, incident: Incident, status: IncidentStatus, *, now: datetime | None = None
) -> Incident:
    """The reporting side moves its incident on; a joint investigation or its end concerns both, so
    the incident must be shared first."""
    require_edit(actor, incident)
    outgoing.check_side(session, incident.section, incident.reported_by_state_id)
    if status is not IncidentStatus.REPORTED and not incident.is_shared:
        raise WrongStep(N_("Share the incident with the other side first."))
    incident.status = status
    session.flush()
    outgoing.incident_changed(session, incident, now=now)
    return incident


def meetings_of(incident: Incident) -> list[Meeting]:
    """The meetings that had the incident on their agenda, in order."""
    seen: dict[int, Meeting] = {}
    for item in incident.agenda_items:
        seen.setdefault(item.meeting_id, item.meeting)
    return sorted(seen.values(), key=lambda m: (m.starts_at, m.id))


def decisions_of(incident: Incident) -> list[Action]:
    """The actions decided on the incident's agenda items."""
    return [action for item in incident.agenda_items for action in item.actions]


def incident_of(action: Action) -> Incident | None:
    return action.agenda_item.incident


def visible_incidents(session: Session, user: User, section: BorderSection) -> Sequence[Incident]:
    """A section's incidents as the user's side sees them: shared ones and its own."""
    side = side_in(user, section)
    if side is None:
        return []
    rows = session.scalars(
        select(Incident).where(Incident.section_id == section.id).order_by(Incident.occurred_at.desc())
    ).all()
    return [incident for incident in rows if can_read(user, incident)]


def record_hand_over(
    session: Session,
    actor: User,
    *,
    section: BorderSection,
    kind: HandOverKind,
    count: int,
    handing_state_id: int,
    handed_over_at: datetime,
    description: str = "",
    incident: Incident | None = None,
    now: datetime,
) -> HandOverAct:
    """The standard act of return: what and how many, from which side to which; the recording side
    confirms its own part at once."""
    side = require_side(actor, section)
    outgoing.check_side(session, section, side)
    if incident is not None:
        require_read(actor, incident)
        if incident.section_id != section.id:
            raise ValidationFailed(N_("The incident belongs to another border section."), "incident_id")
    if handing_state_id not in (section.state_a_id, section.state_b_id):
        raise ValidationFailed(N_("The handing side must be one of the two sides."), "handing_state_id")
    if count < 1:
        raise ValidationFailed(N_("Count at least one."), "count")
    if handed_over_at > now:
        raise ValidationFailed(N_("A hand-over cannot be recorded ahead of time."), "handed_over_at")
    act = HandOverAct(
        section_id=section.id,
        incident=incident,
        kind=kind,
        count=count,
        description=description.strip(),
        handing_state_id=handing_state_id,
        receiving_state_id=other_side(section, handing_state_id),
        handed_over_at=handed_over_at,
    )
    session.add(act)
    _confirm(act, actor, side, now)
    session.flush()
    outgoing.hand_over_changed(session, act, now=now)
    return act


def _confirm(act: HandOverAct, actor: User, side: int, now: datetime) -> None:
    if side == act.handing_state_id:
        act.handing_confirmed_by_id, act.handing_confirmed_at = actor.id, now
    else:
        act.receiving_confirmed_by_id, act.receiving_confirmed_at = actor.id, now


def confirm_hand_over(session: Session, actor: User, act: HandOverAct, *, now: datetime) -> HandOverAct:
    """Each side confirms its own part of the act, never the other's."""
    side = require_side(actor, act.section_id)
    outgoing.check_side(session, session.get_one(BorderSection, act.section_id), side)
    if side not in (act.handing_state_id, act.receiving_state_id):
        raise AccessDenied(N_("You are not a party to this hand-over."))
    already = act.handing_confirmed_at if side == act.handing_state_id else act.receiving_confirmed_at
    if already is not None:
        raise WrongStep(N_("Your side has already confirmed this hand-over."))
    _confirm(act, actor, side, now)
    session.flush()
    outgoing.hand_over_changed(session, act, now=now)
    return act
