"""Receiving the partner's meeting requests and answers, and its changes to a meeting's record while it
is a draft (held, agenda items, participants, texts, actions), each checked against the freeze round it
was made on; and the partner's report that it refused a change of ours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.core.errors import N_
from lbt.exchange.kinds import BodyRefused, Received, handles
from lbt.exchange.models import OutgoingMessage
from lbt.exchange.outbox import home_state_of
from lbt.reference.models import State
from lbt.representatives.models import (
    Action,
    AgendaItem,
    AgendaItemText,
    ExchangeKind,
    Meeting,
    MeetingExchange,
    MeetingKind,
    MeetingParticipant,
    MeetingStatus,
    RefusalReason,
)
from lbt.representatives.services import other_side
from lbt.representatives.sharing import outgoing
from lbt.representatives.sharing.inbound import (
    is_host,
    meeting_named,
    not_theirs,
    record_refusal,
    refuse_change,
    refuse_late,
    section_named,
    sender_of,
    state_in,
)
from lbt.representatives.sharing.record import (
    action_values,
    item_values,
    participant_values,
    place,
    withdraw_item,
)
from lbt.representatives.sharing.rounds import hashes_of, read_base, takes_draft_change
from lbt.representatives.sharing.wire import Reader, text_digest, unknown

ANSWERS = (ExchangeKind.ACCEPTED, ExchangeKind.DECLINED, ExchangeKind.COUNTER_PROPOSED)


def _venue(session: Session, meeting: Meeting, reader: Reader) -> None:
    """Time, host and place as the body gives them."""
    host = state_in(meeting.section, reader.code("host"))
    point, code = place(session, reader.optional_code("crossing_point"), host)
    venue = reader.text("venue", max_length=200, required=False)
    if point is None and not code and not venue.strip():
        raise reader._bad("venue")
    meeting.starts_at = reader.moment("starts_at")
    meeting.host_state_id = host.id
    meeting.crossing_point = point
    meeting.crossing_point_code = code
    meeting.venue_name = venue


def _step(meeting: Meeting, kind: ExchangeKind, state: State, reader: Reader, reason: str = "") -> None:
    meeting.exchanges.append(
        MeetingExchange(
            kind=kind,
            state_id=state.id,
            user_id=None,
            at=reader.moment("at"),
            starts_at=meeting.starts_at,
            crossing_point_id=meeting.crossing_point.id if meeting.crossing_point else None,
            venue_name=meeting.venue_name or meeting.crossing_point_code,
            host_state_id=meeting.host_state_id,
            reason=reason,
        )
    )


@handles(outgoing.REQUEST)
def apply_request(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The partner asks for a meeting: it is recorded as asked there, waiting for this side's answer."""
    reader = Reader(body, "body")
    uuid = reader.uuid("meeting")
    if session.scalar(select(Meeting.id).where(Meeting.uuid == uuid)) is not None:
        return  # sent again (after the move from a pilot): it is here already
    section = section_named(session, received, reader.code("section"))
    proposer = state_in(section, sender_of(session, received).code)
    meeting = Meeting(
        uuid=uuid,
        section=section,
        kind=reader.choice("kind", MeetingKind),
        status=MeetingStatus.REQUESTED,
        proposed_by_id=None,
        proposer_state_id=proposer.id,
        awaiting_state_id=other_side(section, proposer.id),
        reply_due_at=reader.moment("reply_due_at"),
        created_at=reader.moment("at"),
        is_exchanged=True,
    )
    _venue(session, meeting, reader)
    items = [
        (entry.uuid("id"), item_values(session, section, entry)) for entry in reader.items("agenda", most=200)
    ]
    if not items or len({values["position"] for _uuid, values in items}) != len(items):
        raise reader._bad("agenda")
    people = [
        (entry.uuid("id"), participant_values(session, section, entry))
        for entry in reader.items("participants")
    ]
    heads = [values["state_id"] for _uuid, values in people if values["is_head"]]
    registered = [values["representative_id"] for _uuid, values in people if values["representative_id"]]
    if len(set(heads)) != len(heads) or len(set(registered)) != len(registered):
        raise reader._bad("participants")
    session.add(meeting)
    with session.no_autoflush:
        for item_uuid, values in items:
            meeting.agenda.append(AgendaItem(uuid=item_uuid, **values))
        for person_uuid, values in people:
            meeting.participants.append(MeetingParticipant(uuid=person_uuid, **values))
        _step(meeting, ExchangeKind.PROPOSED, proposer, reader)
    session.flush()


@handles(outgoing.ANSWER)
def apply_answer(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The partner's answer to a request that waits for it: accepted, declined with a reason, or
    another time or place proposed (this side answers next)."""
    reader = Reader(body, "body")
    meeting = meeting_named(session, received, reader)
    sender = sender_of(session, received)
    if meeting.status is not MeetingStatus.REQUESTED or meeting.awaiting_state_id != sender.id:
        raise not_theirs(sender)
    answer = reader.choice("answer", ExchangeKind)
    if answer not in ANSWERS:
        raise reader._bad("answer")
    reason = reader.text("reason", max_length=5000, required=answer is ExchangeKind.DECLINED)
    if answer is ExchangeKind.COUNTER_PROPOSED:
        _venue(session, meeting, reader)
        meeting.awaiting_state_id = other_side(meeting.section, sender.id)
        meeting.reply_due_at = reader.moment("reply_due_at")
    else:
        meeting.status = (
            MeetingStatus.SCHEDULED if answer is ExchangeKind.ACCEPTED else MeetingStatus.DECLINED
        )
        meeting.awaiting_state_id = None
        meeting.reply_due_at = None
    _step(meeting, answer, sender, reader, reason.strip())
    session.flush()


def _draft(session: Session, received: Received, reader: Reader) -> tuple[Meeting, State, bool]:
    """The meeting a draft change is about, its sender, and whether the change may be taken: the record
    here must be a draft on the base it was made on, else it is refused and reported back."""
    meeting = meeting_named(session, received, reader)
    sender = sender_of(session, received)
    base = read_base(reader)
    at = reader.moment("at")
    if meeting.status not in (MeetingStatus.REQUESTED, MeetingStatus.SCHEDULED, MeetingStatus.HELD):
        raise BodyRefused(N_("This part of the record is written once the meeting has been held."))
    if not takes_draft_change(meeting, base):
        refuse_late(session, received, meeting, RefusalReason.FROZEN, at=at, base=base)
        return meeting, sender, False
    return meeting, sender, True


@handles(outgoing.HELD)
def apply_held(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The meeting took place; when both sides said so at once, the earlier time stands on both."""
    reader = Reader(body, "body")
    meeting, _sender, taken = _draft(session, received, reader)
    held_at = reader.moment("held_at")
    if not taken:
        return
    if meeting.status is MeetingStatus.SCHEDULED:
        meeting.status, meeting.held_at = MeetingStatus.HELD, held_at
    elif meeting.status is MeetingStatus.HELD:
        assert meeting.held_at is not None
        meeting.held_at = min(meeting.held_at, held_at)
    else:
        raise BodyRefused(N_("Only a scheduled meeting can be recorded as held."))
    session.flush()


def _item_named(meeting: Meeting, uuid: str) -> AgendaItem | None:
    return next((item for item in meeting.agenda if item.uuid == uuid), None)


@handles(outgoing.AGENDA_ITEM)
def apply_agenda_item(session: Session, received: Received, body: dict[str, Any]) -> None:
    """A new agenda item at the position its side gave it; when both sides added one at that position at
    once, the host's keeps it (the other side's is withdrawn on both instances)."""
    reader = Reader(body, "body")
    meeting, sender, taken = _draft(session, received, reader)
    item_reader = reader.object("item")
    uuid = item_reader.uuid("id")
    values = item_values(session, meeting.section, item_reader)
    if not taken or _item_named(meeting, uuid) is not None:
        return
    holder = next((item for item in meeting.agenda if item.position == values["position"]), None)
    if holder is not None:
        if not is_host(meeting, sender):
            refuse_change(session, received, meeting, RefusalReason.SUPERSEDED, at=reader.moment("at"))
            return
        withdraw_item(session, meeting, holder)  # ours, made at the same time: the host's stands
    meeting.agenda.append(AgendaItem(uuid=uuid, **values))
    session.flush()


@handles(outgoing.PARTICIPANT)
def apply_participant(session: Session, received: Received, body: dict[str, Any]) -> None:
    """A participant added by the partner; the same person (or a second head of one side) added on both
    sides at once: the host's entry stands."""
    reader = Reader(body, "body")
    meeting, sender, taken = _draft(session, received, reader)
    person = reader.object("participant")
    uuid = person.uuid("id")
    values = participant_values(session, meeting.section, person)
    if not taken or any(p.uuid == uuid for p in meeting.participants):
        return
    clashing = [
        p
        for p in meeting.participants
        if (values["representative_id"] and p.representative_id == values["representative_id"])
        or (values["is_head"] and p.is_head and p.state_id == values["state_id"])
    ]
    if clashing:
        if not is_host(meeting, sender):
            refuse_change(session, received, meeting, RefusalReason.SUPERSEDED, at=reader.moment("at"))
            return
        for participant in clashing:
            meeting.participants.remove(participant)
            session.delete(participant)
        session.flush()
    meeting.participants.append(MeetingParticipant(uuid=uuid, **values))
    session.flush()


def _item_or_withdrawn(
    session: Session, received: Received, meeting: Meeting, reader: Reader
) -> AgendaItem | None:
    item = _item_named(meeting, reader.uuid("item"))
    if item is None:
        if session.scalar(select(AgendaItem.id).where(AgendaItem.uuid == reader.uuid("item"))) is not None:
            raise unknown("agenda item")  # an item of another meeting
        refuse_change(session, received, meeting, RefusalReason.WITHDRAWN, at=reader.moment("at"))
    return item


@handles(outgoing.TEXT)
def apply_text(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The discussion and decision of an item in one language; when both sides changed the same text at
    once, the host's stands."""
    reader = Reader(body, "body")
    meeting, sender, taken = _draft(session, received, reader)
    language = reader.text("language", max_length=5)
    summary = reader.text("summary", max_length=100_000, required=False)
    decision = reader.text("decision", max_length=100_000, required=False)
    previous = reader.sha256("previous", empty=True)
    if language not in meeting.section.working_languages:
        raise reader._bad("language")
    if not taken:
        return
    if meeting.status is not MeetingStatus.HELD:
        raise BodyRefused(N_("This part of the record is written once the meeting has been held."))
    item = _item_or_withdrawn(session, received, meeting, reader)
    if item is None:
        return
    text = item.text_in(language)
    if text_digest(text) != previous and not is_host(meeting, sender):
        refuse_change(session, received, meeting, RefusalReason.CONFLICT, at=reader.moment("at"))
        return
    if text is None:
        text = AgendaItemText(language=language)
        item.texts.append(text)
    text.summary, text.decision = summary, decision
    session.flush()


@handles(outgoing.ACTION)
def apply_action(session: Session, received: Received, body: dict[str, Any]) -> None:
    """A decision's follow-up action, as the partner recorded it on an item."""
    reader = Reader(body, "body")
    meeting, _sender, taken = _draft(session, received, reader)
    action = reader.object("action")
    uuid = action.uuid("id")
    values = action_values(meeting.section, action)
    if not taken:
        return
    item = _item_or_withdrawn(session, received, meeting, reader)
    if item is None or any(existing.uuid == uuid for existing in item.actions):
        return
    if session.scalar(select(Action.id).where(Action.uuid == uuid)) is not None:
        raise unknown("action")
    item.actions.append(
        Action(uuid=uuid, section_id=meeting.section_id, created_at=reader.moment("at"), **values)
    )
    session.flush()


@handles(outgoing.REFUSED)
def apply_refused(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The partner refused a change of ours: kept here too, for the author to read why."""
    reader = Reader(body, "body")
    meeting = meeting_named(session, received, reader)
    message_id = reader.uuid("message")
    ours = session.scalar(
        select(OutgoingMessage.kind).where(
            OutgoingMessage.link_id == received.link.id, OutgoingMessage.message_id == message_id
        )
    )
    if ours is None:
        raise unknown("message")
    home = session.scalar(select(State).where(State.code == home_state_of(received.link)))
    assert home is not None
    reason = reader.choice("reason", RefusalReason)
    frozen_against = reader.sha256("against", empty=True)
    if frozen_against and frozen_against not in {h for p in meeting.protocols for h in hashes_of(p)}:
        return  # refused for coming too late for a freeze of theirs that gave way to ours: it is in ours
    record_refusal(session, meeting, home, ours, message_id, reason, reader.moment("at"), frozen_against)
