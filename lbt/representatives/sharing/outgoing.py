"""What a change of the representatives' work sends to the partner's instance, in the transaction of
the change (``lbt.exchange.kinds.enqueue``): nothing when the section's two states have no linked
agreement (the single-instance pilot), nothing about a meeting the partner was never sent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lbt.core.db import session_clock
from lbt.core.errors import N_, ValidationFailed
from lbt.exchange.kinds import enqueue
from lbt.exchange.models import ExchangeLink
from lbt.exchange.outbox import home_state_of
from lbt.reference.models import BorderSection
from lbt.reference.names import StateName
from lbt.representatives.models import (
    Action,
    ActionNote,
    AgendaItem,
    ExchangeKind,
    HandOverAct,
    Incident,
    Meeting,
    MeetingParticipant,
    Protocol,
    ProtocolApproval,
    Representative,
)
from lbt.representatives.sharing import wire
from lbt.representatives.sharing.rounds import Base, base_body, base_of, protocol_of
from lbt.representatives.sharing.sides import (
    check_register_side,
    check_side,
    is_partner_state,
    link_for_section,
    refused_changes,
    shareable_actions,
)

__all__ = [  # the services call these through this module
    "check_register_side",
    "check_side",
    "is_partner_state",
    "link_for_section",
    "refused_changes",
    "shareable_actions",
]

APPOINTMENT = "representatives.appointment"
REQUEST = "meetings.request"
ANSWER = "meetings.answer"
HELD = "meetings.held"
AGENDA_ITEM = "meetings.agenda_item"
PARTICIPANT = "meetings.participant"
TEXT = "meetings.text"
ACTION = "meetings.action"
REFUSED = "meetings.refused"
FREEZE = "protocols.freeze"
REOPEN = "protocols.reopen"
APPROVAL = "protocols.approval"
PROGRESS = "actions.progress"
INCIDENT = "incidents.incident"
HAND_OVER = "incidents.hand_over"


def _send(session: Session, section: BorderSection, kind: str, body: dict[str, Any], now: datetime) -> None:
    link = link_for_section(session, section)
    if link is not None:
        enqueue(session, link.agreement_id, kind, body, now=now)


def _exchanged_link(session: Session, meeting: Meeting) -> ExchangeLink | None:
    return link_for_section(session, meeting.section) if meeting.is_exchanged else None


# --- the register, incidents, hand-overs: sent whole whenever what was last sent changed -------------


def _send_whole(
    session: Session,
    link: ExchangeLink,
    kind: str,
    record: Representative | Incident | HandOverAct,
    body: dict[str, Any],
    *,
    now: datetime,
    force: bool,
) -> bool:
    """``body`` goes to the partner when it differs from what was last sent of ``record`` (or ``force``)."""
    digest = wire.digest(body)
    if digest == record.sent_sha256 and not force:
        return False
    enqueue(session, link.agreement_id, kind, body, now=now)
    record.sent_sha256 = digest
    return True


def send_appointment(
    session: Session, link: ExchangeLink, entry: Representative, *, now: datetime, force: bool = False
) -> bool:
    """This side's register entry, whole, when it differs from what was last sent."""
    if entry.received_in or entry.state.code != home_state_of(link):
        return False
    return _send_whole(session, link, APPOINTMENT, entry, wire.appointment_body(entry), now=now, force=force)


def appointments_changed(
    session: Session, entries: Iterable[Representative | None], *, now: datetime | None
) -> None:
    for entry in entries:
        if entry is None:
            continue
        link = link_for_section(session, entry.section)
        if link is not None:
            session.flush()
            send_appointment(session, link, entry, now=now or session_clock(session)())


def send_incident(
    session: Session, link: ExchangeLink, incident: Incident, *, now: datetime, force: bool = False
) -> bool:
    """This side's shared incident, whole, when it differs from what was last sent."""
    if not incident.is_shared or incident.reported_by_state.code != home_state_of(link):
        return False
    return _send_whole(session, link, INCIDENT, incident, wire.incident_body(incident), now=now, force=force)


def incident_changed(session: Session, incident: Incident, *, now: datetime | None) -> None:
    link = link_for_section(session, incident.section)
    if link is not None:
        session.flush()
        send_incident(session, link, incident, now=now or session_clock(session)())


def send_hand_over(
    session: Session, link: ExchangeLink, act: HandOverAct, *, now: datetime, force: bool = False
) -> bool:
    section = session.get_one(BorderSection, act.section_id)
    if act.incident is not None and act.incident.is_shared:
        send_incident(session, link, act.incident, now=now)
    return _send_whole(session, link, HAND_OVER, act, wire.hand_over_body(act, section), now=now, force=force)


def hand_over_changed(session: Session, act: HandOverAct, *, now: datetime) -> None:
    section = session.get_one(BorderSection, act.section_id)
    link = link_for_section(session, section)
    if link is not None:
        session.flush()
        send_hand_over(session, link, act, now=now)


# --- meetings --------------------------------------------------------------------------------------


def _known_to_partner(
    session: Session, link: ExchangeLink, entry: Representative | None, *, now: datetime
) -> None:
    if entry is None:
        return
    if entry.state.code == home_state_of(link):
        send_appointment(session, link, entry, now=now)
    elif not entry.received_in:
        raise ValidationFailed(
            N_("%(name)s is this instance's own copy of a %(state)s entry; choose the entry %(state)s sent."),
            "representative_id",
            name=entry.full_name,
            state=StateName.of(entry.state),
        )


def _incident_known(
    session: Session, link: ExchangeLink, incident: Incident | None, *, now: datetime
) -> None:
    if incident is None:
        return
    if not incident.is_shared:
        raise ValidationFailed(
            N_("Share the incident with the other side before it goes on the agenda."), "incidents"
        )
    send_incident(session, link, incident, now=now)


def meeting_requested(session: Session, meeting: Meeting, *, now: datetime) -> None:
    """A request made on a linked section goes to the partner with its participants and agenda, after
    anything of this side they name that the partner was not sent yet."""
    link = link_for_section(session, meeting.section)
    if link is None:
        return
    for participant in meeting.participants:
        _known_to_partner(session, link, participant.representative, now=now)
    for item in meeting.agenda:
        _incident_known(session, link, item.incident, now=now)
    meeting.is_exchanged = True
    session.flush()
    enqueue(session, link.agreement_id, REQUEST, wire.request_body(meeting), now=now)


def meeting_answered(
    session: Session, meeting: Meeting, kind: ExchangeKind, reason: str, *, now: datetime
) -> None:
    if _exchanged_link(session, meeting) is None:
        return
    body = {
        "meeting": meeting.uuid,
        "answer": kind.value,
        "at": wire.iso(now),
        "reason": reason,
        **wire.venue_body(meeting),
    }
    _send(session, meeting.section, ANSWER, body, now)


def _draft_change(
    session: Session, meeting: Meeting, kind: str, body: dict[str, Any], *, now: datetime
) -> None:
    if _exchanged_link(session, meeting) is None:
        return
    base = base_of(protocol_of(meeting))
    _send(
        session,
        meeting.section,
        kind,
        {"meeting": meeting.uuid, "base": base_body(base), "at": wire.iso(now), **body},
        now,
    )


def meeting_held(session: Session, meeting: Meeting, *, now: datetime) -> None:
    _draft_change(session, meeting, HELD, {"held_at": wire.iso(meeting.held_at)}, now=now)


def agenda_item_added(session: Session, item: AgendaItem, *, now: datetime) -> None:
    link = _exchanged_link(session, item.meeting)
    if link is not None:
        _incident_known(session, link, item.incident, now=now)
        session.flush()
    _draft_change(session, item.meeting, AGENDA_ITEM, {"item": wire.item_body(item)}, now=now)


def participant_added(session: Session, participant: MeetingParticipant, *, now: datetime) -> None:
    link = _exchanged_link(session, participant.meeting)
    if link is not None:
        session.flush()
        _known_to_partner(session, link, participant.representative, now=now)
    _draft_change(
        session,
        participant.meeting,
        PARTICIPANT,
        {"participant": wire.participant_body(participant)},
        now=now,
    )


def text_written(session: Session, item: AgendaItem, language: str, previous: str, *, now: datetime) -> None:
    text = item.text_in(language)
    assert text is not None
    body = {
        "item": item.uuid,
        "language": language,
        "previous": previous,
        "summary": text.summary,
        "decision": text.decision,
    }
    _draft_change(session, item.meeting, TEXT, body, now=now)


def action_added(session: Session, action: Action, *, now: datetime) -> None:
    item = action.agenda_item
    _draft_change(
        session, item.meeting, ACTION, {"item": item.uuid, "action": wire.action_body(action)}, now=now
    )


# --- protocols -------------------------------------------------------------------------------------


def _protocol_body(protocol: Protocol, base: Base, now: datetime) -> dict[str, Any]:
    return {
        "meeting": protocol.meeting.uuid,
        "number": protocol.number,
        "base": base_body(base),
        "at": wire.iso(now),
    }


def protocol_frozen(session: Session, protocol: Protocol, previous: Base, *, now: datetime) -> None:
    """A new freeze round: its content travels whole, so the partner holds the very same bytes."""
    if _exchanged_link(session, protocol.meeting) is None:
        return
    body = {
        **_protocol_body(protocol, previous, now),
        "protocol": protocol.uuid,
        "round": len(protocol.freeze_hashes),
        "content": protocol.content,
        "sha256": protocol.content_sha256,
    }
    _send(session, protocol.meeting.section, FREEZE, body, now)


def protocol_reopened(
    session: Session, protocol: Protocol, base: Base, reason: str, *, now: datetime
) -> None:
    if _exchanged_link(session, protocol.meeting) is None:
        return
    _send(
        session,
        protocol.meeting.section,
        REOPEN,
        {**_protocol_body(protocol, base, now), "reason": reason},
        now,
    )


def protocol_approved(session: Session, approval: ProtocolApproval, *, now: datetime) -> None:
    protocol = approval.protocol
    if _exchanged_link(session, protocol.meeting) is None:
        return
    body = {**_protocol_body(protocol, base_of(protocol), now), "sha256": approval.content_sha256}
    _send(session, protocol.meeting.section, APPROVAL, body, now)


# --- follow-up -------------------------------------------------------------------------------------


def progress_noted(session: Session, note: ActionNote, *, now: datetime) -> None:
    meeting = note.action.agenda_item.meeting
    if _exchanged_link(session, meeting) is None:
        return
    _send(session, meeting.section, PROGRESS, wire.note_body(note), now)
