"""Border representatives: who acts for which side, who may read and edit what, internal notes.

The work itself is split by subject: ``register`` (appointments), ``meetings`` (requests and the
exchange of replies), ``protocols`` (the meeting record, its approval and locking), ``actions``
(follow-up of decisions) and ``incidents`` (incidents and hand-over acts). Access rules are pure
functions over the user and the record, free of Flask, so views, the API and the CLI share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeAlias

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.core.errors import N_, AccessDenied, DomainError, ValidationFailed
from lbt.reference.models import BorderSection
from lbt.representatives.models import (
    Action,
    ActionNote,
    AgendaItem,
    AgendaItemText,
    HandOverAct,
    Incident,
    InternalNote,
    Meeting,
    MeetingExchange,
    MeetingParticipant,
    MeetingRules,
    Protocol,
    ProtocolApproval,
    ProtocolKind,
    Representative,
)


class WrongStep(DomainError):
    """The record is not at a step where this can be done."""


class NotYourTurn(DomainError):
    """The other side must answer first."""


class ProtocolLocked(DomainError):
    """Both heads of delegation signed: the record is read-only; corrections go into an addendum."""


Record: TypeAlias = (
    Representative
    | MeetingRules
    | Meeting
    | MeetingExchange
    | MeetingParticipant
    | AgendaItem
    | AgendaItemText
    | Protocol
    | ProtocolApproval
    | Action
    | ActionNote
    | Incident
    | HandOverAct
    | InternalNote
)


def section_id_of(record: Record) -> int:
    if isinstance(record, MeetingExchange | MeetingParticipant | AgendaItem | Protocol):
        return record.meeting.section_id
    if isinstance(record, AgendaItemText):
        return record.item.meeting.section_id
    if isinstance(record, ProtocolApproval):
        return record.protocol.meeting.section_id
    if isinstance(record, ActionNote):
        return record.action.section_id
    return record.section_id


def side_in(user: User, section: BorderSection | int) -> int | None:
    """The state a user acts for in a section: a representative appointed to it, of one of its states."""
    section_id = section if isinstance(section, int) else section.id
    if user.role is not Role.REPRESENTATIVE or user.state_id is None or not user.is_active:
        return None
    for own in user.border_sections:
        if own.id == section_id and user.state_id in (own.state_a_id, own.state_b_id):
            return user.state_id
    return None


def require_side(user: User, section: BorderSection | int) -> int:
    """Only a representative of one of the section's two sides acts in it."""
    side = side_in(user, section)
    if side is None:
        raise AccessDenied(N_("You are not a representative for this border section."))
    return side


def other_side(section: BorderSection, state_id: int) -> int:
    return section.state_b_id if state_id == section.state_a_id else section.state_a_id


def is_record_locked(meeting: Meeting) -> bool:
    """The meeting record is read-only once its protocol is signed."""
    return any(p.kind is ProtocolKind.PROTOCOL and p.is_locked for p in meeting.protocols)


def _meeting_of(record: Record) -> Meeting | None:
    if isinstance(record, MeetingParticipant | AgendaItem):
        return record.meeting
    if isinstance(record, AgendaItemText):
        return record.item.meeting
    return None


def can_read(user: User, record: Record) -> bool:
    """Both sides of a section read what they share; only the writing side reads its internal notes,
    and only the reporting side reads an incident until it is shared. An admin reads all but notes."""
    if isinstance(record, InternalNote):
        return side_in(user, record.section_id) == record.state_id
    if user.role is Role.ADMIN:
        return True
    side = side_in(user, section_id_of(record))
    if side is None:
        return False
    if isinstance(record, Incident):
        return record.is_shared or record.reported_by_state_id == side
    return True


def can_edit(user: User, record: Record) -> bool:
    """A representative edits only in their sections: their own side's appointments, notes and
    incidents, the joint records of meetings until the protocol is signed, and follow-up actions."""
    if user.role is Role.ADMIN and isinstance(record, Representative | MeetingRules):
        return True
    side = side_in(user, section_id_of(record))
    if side is None:
        return False
    if isinstance(record, Representative | InternalNote | ActionNote):
        return record.state_id == side
    if isinstance(record, Incident):
        return record.reported_by_state_id == side
    if isinstance(record, Protocol):
        return not record.is_locked
    if isinstance(record, MeetingExchange | ProtocolApproval):
        return False  # history: written once, never changed
    meeting = _meeting_of(record)
    return meeting is None or not is_record_locked(meeting)


def require_edit(user: User, record: Record) -> None:
    if not can_edit(user, record):
        raise AccessDenied(N_("You may not change this record."))


def require_read(user: User, record: Record) -> None:
    if not can_read(user, record):
        raise AccessDenied(N_("You may not see this record."))


# --- internal notes -------------------------------------------------------------------------------


def add_internal_note(
    session: Session,
    actor: User,
    subject: Meeting | Action | Incident,
    text: str,
    *,
    now: datetime,
) -> InternalNote:
    """A side's own note on a shared record; the other side never sees it."""
    require_read(actor, subject)
    side = require_side(actor, subject.section_id)
    from lbt.representatives.sharing.outgoing import check_side  # it reads these access rules

    meeting = (
        subject
        if isinstance(subject, Meeting)
        else subject.agenda_item.meeting
        if isinstance(subject, Action)
        else None
    )
    check_side(session, subject.section, side, meeting)
    if not text.strip():
        raise ValidationFailed(N_("Write the note."), "text")
    note = InternalNote(
        section_id=subject.section_id, state_id=side, user_id=actor.id, at=now, text=text.strip()
    )
    if isinstance(subject, Meeting):
        note.meeting_id = subject.id
    elif isinstance(subject, Action):
        note.action_id = subject.id
    else:
        note.incident_id = subject.id
    session.add(note)
    session.flush()
    return note


def internal_notes(
    session: Session, user: User, subject: Meeting | Action | Incident
) -> Sequence[InternalNote]:
    """The notes on a record that the user's own side wrote (none for anyone else)."""
    side = side_in(user, subject.section_id)
    if side is None:
        return []
    column = {
        Meeting: InternalNote.meeting_id,
        Action: InternalNote.action_id,
        Incident: InternalNote.incident_id,
    }[type(subject)]
    return session.scalars(
        select(InternalNote)
        .where(column == subject.id, InternalNote.state_id == side)
        .order_by(InternalNote.at, InternalNote.id)
    ).all()
