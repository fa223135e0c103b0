"""A frozen document applied to the records: on receiving a freeze, this instance makes its meeting
record exactly what the document says (participants, agenda items, texts, actions, time and place),
by the UUIDs both instances share; what the document does not hold is withdrawn. So a change made
here while the partner froze, and not part of its freeze, is undone here as it was refused there."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.core.errors import N_
from lbt.exchange.kinds import BodyRefused
from lbt.reference.models import BorderSection, CrossingPoint, State
from lbt.representatives.models import (
    Action,
    ActionNote,
    AgendaItem,
    AgendaItemText,
    AgendaKind,
    Incident,
    InternalNote,
    Meeting,
    MeetingKind,
    MeetingParticipant,
    MeetingStatus,
    Representative,
)
from lbt.representatives.sharing.inbound import named_in, state_in
from lbt.representatives.sharing.wire import Reader, unknown

log = logging.getLogger(__name__)
MOVED = 100_000  # positions are moved out of the way while an agenda is renumbered


def _set(record: Any, name: str, value: Any) -> None:
    """Assign only what differs, so the audit log names only real changes."""
    if getattr(record, name) != value:
        setattr(record, name, value)


def _set_moment(record: Any, name: str, value: datetime | None) -> None:
    current = getattr(record, name)
    if current is None or value is None or abs((current - value).total_seconds()) >= 1:
        _set(record, name, value)


def place(session: Session, code: str | None, host: State) -> tuple[CrossingPoint | None, str]:
    """A crossing point by its code: this instance's own record of it, else only its code (the partner's
    crossing points are not in this instance's reference data)."""
    if code is None:
        return None, ""
    point = session.scalar(select(CrossingPoint).where(CrossingPoint.code == code))
    if point is not None and point.state_id == host.id:
        return point, ""
    return None, code


def register_entry(
    session: Session, section: BorderSection, state: State, uuid: str | None
) -> Representative | None:
    if uuid is None:
        return None
    entry = session.scalar(select(Representative).where(Representative.uuid == uuid))
    if entry is None or (entry.section_id, entry.state_id) != (section.id, state.id):
        raise unknown("register entry")
    return entry


def participant_values(session: Session, section: BorderSection, reader: Reader) -> dict[str, Any]:
    side = state_in(section, reader.code("side"))
    entry = register_entry(session, section, side, reader.optional_uuid("register"))
    head = reader.flag("head")
    if head and entry is None:
        raise BodyRefused(N_("The head of a delegation is chosen from the register."))
    return {
        "state_id": side.id,
        "full_name": reader.text("name", max_length=200),
        "role": reader.text("role", max_length=120),
        "is_head": head,
        "representative_id": entry.id if entry is not None else None,
        # invitations go to this instance's own accounts only
        "user_id": entry.user_id if entry is not None and not entry.received_in else None,
    }


def item_values(session: Session, section: BorderSection, reader: Reader) -> dict[str, Any]:
    kind = reader.choice("kind", AgendaKind)
    incident_uuid, action_uuid = reader.optional_uuid("incident"), reader.optional_uuid("reviews_action")
    incident = named_in(session, Incident, section, incident_uuid, "incident")
    reviewed = named_in(session, Action, section, action_uuid, "action")
    if (kind is AgendaKind.INCIDENT and incident is None) or (
        kind is AgendaKind.EARLIER_DECISION and reviewed is None
    ):
        raise reader._bad("kind")
    return {
        "position": reader.integer("position", minimum=1, maximum=MOVED - 1),
        "kind": kind,
        "title": reader.text("title", max_length=500),
        "incident": incident,
        "reviewed_action": reviewed,
    }


def action_values(section: BorderSection, reader: Reader) -> dict[str, Any]:
    return {
        "responsible_state_id": state_in(section, reader.code("responsible")).id,
        "description": reader.text("description", max_length=20_000),
        "due_on": reader.day("due_on"),
    }


def withdraw_action(session: Session, action: Action) -> bool:
    """An action the frozen document does not hold goes, with the notes on it (unless another meeting's
    agenda already reviews it: then it stays, and this side's record differs until the next freeze)."""
    if session.scalar(select(AgendaItem.id).where(AgendaItem.reviewed_action_id == action.id)) is not None:
        log.warning("representatives exchange: action %s is reviewed elsewhere and kept", action.uuid)
        return False
    for note in session.scalars(select(ActionNote).where(ActionNote.action_id == action.id)):
        session.delete(note)
    for note in session.scalars(select(InternalNote).where(InternalNote.action_id == action.id)):
        session.delete(note)
    if action in action.agenda_item.actions:
        action.agenda_item.actions.remove(action)
    session.delete(action)
    return True


def withdraw_item(session: Session, meeting: Meeting, item: AgendaItem) -> None:
    for text in list(item.texts):
        item.texts.remove(text)
        session.delete(text)
    for action in list(item.actions):
        withdraw_action(session, action)
    meeting.agenda.remove(item)
    session.delete(item)
    session.flush()


def _participants(session: Session, meeting: Meeting, entries: list[Reader]) -> None:
    wanted = {entry.uuid("id"): participant_values(session, meeting.section, entry) for entry in entries}
    for participant in list(meeting.participants):
        if participant.uuid not in wanted:
            meeting.participants.remove(participant)
            session.delete(participant)
    session.flush()
    # heads and register links may move between rows: clear what changes first (unique indexes)
    for participant in meeting.participants:
        target = wanted[participant.uuid]
        if participant.is_head and not target["is_head"]:
            participant.is_head = False
        if participant.representative_id != target["representative_id"]:
            participant.representative_id = None
    session.flush()
    existing = {participant.uuid: participant for participant in meeting.participants}
    for uuid, values in wanted.items():
        participant = existing.get(uuid)
        if participant is None:
            meeting.participants.append(MeetingParticipant(uuid=uuid, **values))
            continue
        for name, value in values.items():
            _set(participant, name, value)
    session.flush()


def _texts(section: BorderSection, item: AgendaItem, reader: Reader, session: Session) -> None:
    texts = reader.value.get("texts")
    if not isinstance(texts, dict):
        raise reader._bad("texts")
    wanted: dict[str, tuple[str, str]] = {}
    for language, value in texts.items():
        if language not in section.working_languages:
            raise reader._bad("texts")
        text = Reader(value, f"{reader.what}.texts.{language}")
        wanted[language] = (
            text.text("summary", max_length=100_000, required=False),
            text.text("decision", max_length=100_000, required=False),
        )
    for text in list(item.texts):
        if text.language not in wanted:
            item.texts.remove(text)
            session.delete(text)
    for language, (summary, decision) in wanted.items():
        row = item.text_in(language)
        if row is None:
            row = AgendaItemText(language=language)
            item.texts.append(row)
        _set(row, "summary", summary)
        _set(row, "decision", decision)


def _actions(session: Session, meeting: Meeting, item: AgendaItem, entries: list[Reader]) -> None:
    wanted = {entry.uuid("id"): action_values(meeting.section, entry) for entry in entries}
    for action in list(item.actions):
        if action.uuid not in wanted:
            withdraw_action(session, action)
    existing = {action.uuid: action for action in item.actions}
    for uuid, values in wanted.items():
        action = existing.get(uuid)
        if action is None:
            if session.scalar(select(Action.id).where(Action.uuid == uuid)) is not None:
                raise unknown("action")  # an action of another item or meeting
            item.actions.append(Action(uuid=uuid, section_id=meeting.section_id, **values))
            continue
        for name, value in values.items():
            _set(action, name, value)


def _agenda(session: Session, meeting: Meeting, entries: list[Reader]) -> None:
    section = meeting.section
    wanted = {entry.uuid("id"): (entry, item_values(session, section, entry)) for entry in entries}
    if len({values["position"] for _entry, values in wanted.values()}) != len(wanted):
        raise BodyRefused(
            N_("The message's %(field)s is missing or not valid."), field="content.record.agenda"
        )
    for item in list(meeting.agenda):
        if item.uuid not in wanted:
            withdraw_item(session, meeting, item)
    existing = {item.uuid: item for item in meeting.agenda}
    if any(item.position != wanted[uuid][1]["position"] for uuid, item in existing.items()):
        for item in existing.values():
            item.position += MOVED
        session.flush()
    for uuid, (entry, values) in wanted.items():
        item = existing.get(uuid)
        if item is None:
            if session.scalar(select(AgendaItem.id).where(AgendaItem.uuid == uuid)) is not None:
                raise unknown("agenda item")
            item = AgendaItem(uuid=uuid, **values)
            meeting.agenda.append(item)
        else:
            for name, value in values.items():
                _set(item, name, value)
        _texts(section, item, entry, session)
        _actions(session, meeting, item, entry.items("actions"))
    session.flush()


def apply_record(session: Session, meeting: Meeting, record: Reader) -> None:
    """Make the meeting's record what a frozen document (format 3) says."""
    section = meeting.section
    if record.code("section") != section.code or record.uuid("meeting") != meeting.uuid:
        raise record._bad("meeting")
    held_at = record.moment("held_at")
    host = state_in(section, record.code("host"))
    point, code = place(session, record.optional_code("crossing_point"), host)
    _set(meeting, "kind", record.choice("kind", MeetingKind))
    _set_moment(meeting, "starts_at", record.moment("starts_at"))
    _set(meeting, "status", MeetingStatus.HELD)
    _set(meeting, "awaiting_state_id", None)
    _set(meeting, "reply_due_at", None)
    _set_moment(meeting, "held_at", held_at)
    _set(meeting, "host_state_id", host.id)
    _set(meeting, "crossing_point", point)
    _set(meeting, "crossing_point_code", code)
    _set(meeting, "venue_name", record.text("venue", max_length=200, required=False))
    _participants(session, meeting, record.items("participants"))
    _agenda(session, meeting, record.items("agenda"))
