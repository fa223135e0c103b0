"""Receiving the partner's register entries (kept here as received: read-only), its shared incidents,
the hand-over acts both sides confirm (each its own part), and the progress of follow-up actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.exchange.kinds import Received, handles
from lbt.representatives.models import (
    Action,
    ActionNote,
    ActionStatus,
    HandOverAct,
    HandOverKind,
    Incident,
    IncidentStatus,
    IncidentType,
    Post,
    Representative,
)
from lbt.representatives.sharing import outgoing
from lbt.representatives.sharing.inbound import named_in, not_theirs, section_named, sender_of, state_in
from lbt.representatives.sharing.wire import Reader, unknown


@handles(outgoing.APPOINTMENT)
def apply_appointment(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The partner's register entry, whole: a new one, a change, or this instance's own copy of it
    from the pilot (same post, name and first day), which takes the partner's id and becomes read-only."""
    reader = Reader(body, "body")
    uuid = reader.uuid("id")
    section = section_named(session, received, reader.code("section"))
    state = state_in(section, reader.code("state"))
    sender = sender_of(session, received)
    if state.id != sender.id:
        raise not_theirs(sender)
    values = {
        "post": reader.choice("post", Post),
        "full_name": reader.text("full_name", max_length=200),
        "credentials_number": reader.text("credentials_number", max_length=60),
        "contact": reader.text("contact", max_length=300, required=False),
        "appointed_from": reader.day("appointed_from"),
        "appointed_until": reader.optional_day("appointed_until"),
    }
    if values["appointed_until"] is not None and values["appointed_until"] < values["appointed_from"]:
        raise reader._bad("appointed_until")
    replaces_uuid = reader.optional_uuid("replaces")
    entry = session.scalar(select(Representative).where(Representative.uuid == uuid))
    if entry is None:
        entry = session.scalar(
            select(Representative)
            .where(
                Representative.section_id == section.id,
                Representative.state_id == state.id,
                Representative.post == values["post"],
                Representative.full_name == values["full_name"],
                Representative.appointed_from == values["appointed_from"],
                Representative.received_in == "",
            )
            .order_by(Representative.id)
            .limit(1)
        )
        if entry is not None:
            entry.uuid = uuid
    elif (entry.section_id, entry.state_id) != (section.id, state.id):
        raise unknown("register entry")
    if values["post"] is Post.BORDER_REPRESENTATIVE and values["appointed_until"] is None:
        # the partner's register has one border representative in office: any other here leaves office
        for other in session.scalars(
            select(Representative).where(
                Representative.section_id == section.id,
                Representative.state_id == state.id,
                Representative.post == Post.BORDER_REPRESENTATIVE,
                Representative.appointed_until.is_(None),
                Representative.uuid != uuid,
            )
        ):
            other.appointed_until = max(values["appointed_from"], other.appointed_from)
        session.flush()
    if entry is None:
        entry = Representative(uuid=uuid, section_id=section.id, state_id=state.id, user_id=None, **values)
        session.add(entry)
    else:
        for name, value in values.items():
            if getattr(entry, name) != value:
                setattr(entry, name, value)
    if replaces_uuid is not None:
        entry.replaces = session.scalar(select(Representative).where(Representative.uuid == replaces_uuid))
    entry.received_in = received.envelope.message_id
    session.flush()


@handles(outgoing.INCIDENT)
def apply_incident(session: Session, received: Received, body: dict[str, Any]) -> None:
    """An incident the partner reported and shared, whole (this side reads it, the partner keeps it)."""
    reader = Reader(body, "body")
    uuid = reader.uuid("id")
    section = section_named(session, received, reader.code("section"))
    sender = sender_of(session, received)
    if state_in(section, reader.code("reported_by")).id != sender.id:
        raise not_theirs(sender)
    latitude, longitude = reader.decimal("latitude"), reader.decimal("longitude")
    values = {
        "type": reader.choice("type", IncidentType),
        "occurred_at": reader.moment("occurred_at"),
        "landmark": reader.text("landmark", max_length=200, required=False),
        "border_sign": reader.text("border_sign", max_length=30, required=False),
        "latitude": latitude,
        "longitude": longitude,
        "description": reader.text("description", max_length=20_000),
        "persons_involved": reader.integer("persons_involved"),
        "animals_involved": reader.integer("animals_involved"),
        "property_involved": reader.text("property_involved", max_length=20_000, required=False),
        "status": reader.choice("status", IncidentStatus),
    }
    if not values["landmark"].strip() and not values["border_sign"].strip():
        raise reader._bad("landmark")
    if (latitude is None) != (longitude is None):
        raise reader._bad("latitude")
    if latitude is not None and longitude is not None and not (abs(latitude) <= 90 and abs(longitude) <= 180):
        raise reader._bad("latitude")
    incident = session.scalar(select(Incident).where(Incident.uuid == uuid))
    if incident is None:
        incident = Incident(
            uuid=uuid,
            section_id=section.id,
            reported_by_state_id=sender.id,
            reported_by_id=None,
            is_shared=True,
        )
        session.add(incident)
    elif incident.section_id != section.id or incident.reported_by_state_id != sender.id:
        raise not_theirs(sender)
    for name, value in values.items():
        if getattr(incident, name) != value:
            setattr(incident, name, value)
    session.flush()


@handles(outgoing.HAND_OVER)
def apply_hand_over(session: Session, received: Received, body: dict[str, Any]) -> None:
    """A hand-over act between the two sides: recorded as the partner made it, and the partner's own
    part of its confirmation (never this side's part: this side confirms that here)."""
    reader = Reader(body, "body")
    uuid = reader.uuid("id")
    section = section_named(session, received, reader.code("section"))
    sender = sender_of(session, received)
    handing, receiving = (
        state_in(section, reader.code("handing")),
        state_in(section, reader.code("receiving")),
    )
    if handing.id == receiving.id:
        raise reader._bad("receiving")
    incident = named_in(session, Incident, section, reader.optional_uuid("incident"), "incident")
    part = "handing" if sender.id == handing.id else "receiving"
    confirmed_at = reader.optional_moment(f"{part}_confirmed_at")
    act = session.scalar(select(HandOverAct).where(HandOverAct.uuid == uuid))
    if act is None:
        act = HandOverAct(
            uuid=uuid,
            section_id=section.id,
            incident=incident,
            kind=reader.choice("kind", HandOverKind),
            count=reader.integer("count", minimum=1),
            description=reader.text("description", max_length=20_000, required=False),
            handing_state_id=handing.id,
            receiving_state_id=receiving.id,
            handed_over_at=reader.moment("handed_over_at"),
        )
        session.add(act)
    elif act.section_id != section.id or (act.handing_state_id, act.receiving_state_id) != (
        handing.id,
        receiving.id,
    ):
        raise unknown("hand-over act")
    if confirmed_at is not None and getattr(act, f"{part}_confirmed_at") is None:
        setattr(act, f"{part}_confirmed_at", confirmed_at)
        setattr(act, f"{part}_confirmed_by_id", None)
    session.flush()


@handles(outgoing.PROGRESS)
def apply_progress(session: Session, received: Received, body: dict[str, Any]) -> None:
    """A progress note of the partner on a shared decision; a note that sets a status decides it when it
    is the latest (by its time, then by its state's code: both sides order the notes alike)."""
    reader = Reader(body, "body")
    action = session.scalar(select(Action).where(Action.uuid == reader.uuid("action")))
    if action is None or not action.agenda_item.meeting.is_exchanged:
        raise unknown("action")
    section = section_named(session, received, action.section.code)
    sender = sender_of(session, received)
    note = ActionNote(
        state_id=sender.id,
        user_id=None,
        at=reader.moment("at"),
        text=reader.text("text", max_length=20_000),
        status=reader.optional_choice("status", ActionStatus),
    )
    action.notes.append(note)
    session.flush()
    codes = {section.state_a_id: section.state_a.code, section.state_b_id: section.state_b.code}
    deciding = sorted(
        (n for n in action.notes if n.status is not None), key=lambda n: (n.at, codes[n.state_id])
    )
    if deciding:
        last = deciding[-1]
        assert last.status is not None
        action.status = last.status
        action.completed_at = last.at if last.status is ActionStatus.DONE else None
    session.flush()
