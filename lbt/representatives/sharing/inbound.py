"""What every handler of the representatives' messages needs: the sender as a state, the section and
meeting a body names (refused when unknown), and how a change is refused without blocking the link:
kept as a refused change on this side and reported back, so the author's side keeps it too."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.core.errors import N_
from lbt.exchange.kinds import BodyRefused, Received, enqueue
from lbt.reference.models import BorderSection, State
from lbt.reference.names import StateName
from lbt.representatives.models import Action, Incident, Meeting, RefusalReason, RefusedChange
from lbt.representatives.sharing import wire
from lbt.representatives.sharing.outgoing import REFUSED
from lbt.representatives.sharing.rounds import Base, hashes_of, protocol_of

OfSection = TypeVar("OfSection", Incident, Action)


def sender_of(session: Session, received: Received) -> State:
    state = session.scalar(select(State).where(State.code == received.link.partner_state))
    if state is None:  # a link is made only for a party of its agreement, whose state exists
        raise wire.unknown("state")
    return state


def section_named(session: Session, received: Received, code: str) -> BorderSection:
    """A section of the link's two states (a message about another border is refused)."""
    section = session.scalar(select(BorderSection).where(BorderSection.code == code))
    agreement = received.link.agreement
    if section is None or {section.state_a_id, section.state_b_id} != {
        agreement.state_a_id,
        agreement.state_b_id,
    }:
        raise wire.unknown("border section")
    return section


def state_in(section: BorderSection, code: str) -> State:
    for state in (section.state_a, section.state_b):
        if state.code == code:
            return state
    raise BodyRefused(N_("%(state)s is not a side of this border section."), state=code)


def meeting_named(session: Session, received: Received, reader: wire.Reader, key: str = "meeting") -> Meeting:
    """A meeting both instances share, of a section of the link's two states."""
    meeting = session.scalar(select(Meeting).where(Meeting.uuid == reader.uuid(key)))
    if meeting is None or not meeting.is_exchanged:
        raise wire.unknown("meeting")
    section_named(session, received, meeting.section.code)
    return meeting


def named_in(
    session: Session, model: type[OfSection], section: BorderSection, uuid: str | None, record: str
) -> OfSection | None:
    """The ``model`` row of ``section`` that ``uuid`` names (None for no UUID); one unknown here, or of
    another section, refuses the message."""
    if uuid is None:
        return None
    row = session.scalar(select(model).where(model.uuid == uuid, model.section_id == section.id))
    if row is None:
        raise wire.unknown(record)
    return row


def not_theirs(state: State) -> BodyRefused:
    return BodyRefused(
        N_("%(state)s may not do this: it is the other side's to do."), state=StateName.of(state)
    )


def is_host(meeting: Meeting, state: State) -> bool:
    """Concurrent changes that cannot both stand are decided for the host (the host chairs)."""
    return meeting.host_state_id == state.id


def record_refusal(
    session: Session,
    meeting: Meeting,
    state: State,
    kind: str,
    message_id: str,
    reason: RefusalReason,
    at: datetime,
    against: str = "",
) -> None:
    exists = session.scalar(
        select(RefusedChange.id).where(
            RefusedChange.meeting_id == meeting.id, RefusedChange.message_id == message_id
        )
    )
    if exists is None:
        session.add(
            RefusedChange(
                meeting_id=meeting.id,
                state_id=state.id,
                kind=kind,
                message_id=message_id,
                reason=reason,
                at=at,
                against_sha256=against,
            )
        )
        session.flush()


def against(meeting: Meeting, base: Base, number: int = 0) -> str:
    """This side's own freeze that a change made on ``base`` came too late for: the first round this
    side has past the change's base, else its own version of the base's round ("" for none)."""
    hashes = hashes_of(protocol_of(meeting, number))
    if len(hashes) > base[0]:
        return hashes[base[0]]
    if base[0] >= 1 and len(hashes) >= base[0]:
        return hashes[base[0] - 1]
    return ""


def refuse_change(
    session: Session,
    received: Received,
    meeting: Meeting,
    reason: RefusalReason,
    *,
    at: datetime,
    against_sha256: str = "",
) -> None:
    """The partner's change does not become part of the record: nothing of it is applied, the refusal
    is kept here and sent back (the message itself is applied, so the link goes on)."""
    sender = sender_of(session, received)
    envelope = received.envelope
    record_refusal(session, meeting, sender, envelope.kind, envelope.message_id, reason, at, against_sha256)
    body = {
        "meeting": meeting.uuid,
        "message": envelope.message_id,
        "kind": envelope.kind,
        "reason": reason.value,
        "at": wire.iso(at),
        "against": against_sha256,
    }
    enqueue(session, received.link.agreement_id, REFUSED, body, now=received.now)


def refuse_late(
    session: Session,
    received: Received,
    meeting: Meeting,
    reason: RefusalReason,
    *,
    at: datetime,
    base: Base,
    number: int = 0,
) -> None:
    """A change made on ``base`` that this side has moved past: refused (``refuse_change``), naming this
    side's own freeze it came too late for (``against``)."""
    refuse_change(session, received, meeting, reason, at=at, against_sha256=against(meeting, base, number))


def void_refusals_against(session: Session, meeting: Meeting, state: State, hashes: set[str]) -> None:
    """This side's own freezes ``hashes`` gave way to the host's: the host's changes refused for coming
    too late for them are part of the host's freeze, so those refusals are void."""
    if not hashes:
        return
    for row in session.scalars(
        select(RefusedChange).where(
            RefusedChange.meeting_id == meeting.id,
            RefusedChange.state_id == state.id,
            RefusedChange.against_sha256.in_(hashes),
        )
    ):
        session.delete(row)
    session.flush()
