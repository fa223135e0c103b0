"""The meeting record and its protocol: participants, the discussion and decisions per agenda item in
every working language, decisions' follow-up actions; freezing, approval by both heads of delegation,
signature and locking; corrections after signature only as addenda approved the same way."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.dates import local_day
from lbt.core.errors import N_, AccessDenied, ValidationFailed
from lbt.reference.models import State
from lbt.representatives.canonical import content_of
from lbt.representatives.delegations import check_participant, head_of, heads, is_frozen
from lbt.representatives.meetings import ParticipantInput
from lbt.representatives.models import (
    Action,
    AgendaItem,
    AgendaItemText,
    AgendaKind,
    Incident,
    Meeting,
    MeetingParticipant,
    MeetingStatus,
    Protocol,
    ProtocolApproval,
    ProtocolKind,
    ProtocolStatus,
)
from lbt.representatives.services import (
    ProtocolLocked,
    WrongStep,
    is_record_locked,
    require_read,
    require_side,
)
from lbt.representatives.sharing import outgoing
from lbt.representatives.sharing.rounds import base_of
from lbt.representatives.sharing.wire import text_digest

EDITABLE_STATUSES = (MeetingStatus.REQUESTED, MeetingStatus.SCHEDULED, MeetingStatus.HELD)


def _editing(session: Session, actor: User, meeting: Meeting, now: datetime, *, held: bool = False) -> int:
    """A frozen record takes no change until a side reopens it (which says that it voids the approvals);
    a signed record refuses changes: corrections are addenda."""
    side = require_side(actor, meeting.section)
    outgoing.check_side(session, meeting.section, side, meeting)
    if is_record_locked(meeting):
        raise ProtocolLocked(N_("The protocol is signed; write corrections as an addendum."))
    if meeting.status not in EDITABLE_STATUSES or (held and meeting.status is not MeetingStatus.HELD):
        raise WrongStep(N_("This part of the record is written once the meeting has been held."))
    if is_frozen(the_protocol(meeting)):
        raise WrongStep(
            N_(
                "The protocol is frozen for approval: reopen it first (that voids the approvals given so far)."
            )
        )
    return side


def reopen_protocol(
    session: Session, actor: User, protocol: Protocol, *, reason: str, now: datetime
) -> Protocol:
    """A frozen, unsigned protocol (or addendum) opened again for changes, on purpose and with a reason:
    the approvals given so far are void (each says by whom and why) and both heads approve again."""
    outgoing.check_side(
        session, protocol.meeting.section, require_side(actor, protocol.meeting.section), protocol.meeting
    )
    if protocol.is_locked:
        raise ProtocolLocked(N_("The protocol is signed; write corrections as an addendum."))
    if not is_frozen(protocol):
        raise WrongStep(N_("The protocol is not frozen; it can be edited directly."))
    if not reason.strip():
        raise ValidationFailed(N_("Say why the protocol is reopened."), "reason")
    for approval in protocol.approvals:
        if approval.voided_at is None:
            approval.voided_at = now
            approval.voided_by_id = actor.id
            approval.void_reason = reason.strip()
    protocol.frozen_at = None
    session.flush()
    outgoing.protocol_reopened(session, protocol, base_of(protocol), reason.strip(), now=now)
    return protocol


def add_agenda_item(
    session: Session,
    actor: User,
    meeting: Meeting,
    title: str,
    *,
    incident: Incident | None = None,
    now: datetime,
) -> AgendaItem:
    _editing(session, actor, meeting, now)
    if incident is not None:
        require_read(actor, incident)
        if incident.section_id != meeting.section_id:
            raise ValidationFailed(N_("The incident belongs to another border section."), "incident_id")
    if not title.strip():
        raise ValidationFailed(N_("Give the agenda item a title."), "title")
    item = AgendaItem(
        position=max((i.position for i in meeting.agenda), default=0) + 1,
        kind=AgendaKind.INCIDENT if incident is not None else AgendaKind.ITEM,
        title=title.strip(),
        incident=incident,
    )
    meeting.agenda.append(item)
    session.flush()
    outgoing.agenda_item_added(session, item, now=now)
    return item


def record_participant(
    session: Session, actor: User, meeting: Meeting, person: ParticipantInput, *, now: datetime
) -> MeetingParticipant:
    _editing(session, actor, meeting, now)
    check_participant(session, meeting, person)
    if person.is_head and any(p.is_head and p.state_id == person.state_id for p in meeting.participants):
        raise ValidationFailed(N_("Each side has one head of delegation."), "is_head")
    participant = MeetingParticipant(
        state_id=person.state_id,
        full_name=person.full_name.strip(),
        role=person.role.strip(),
        is_head=person.is_head,
        user_id=person.user_id,
        representative_id=person.representative_id,
    )
    meeting.participants.append(participant)
    session.flush()
    outgoing.participant_added(session, participant, now=now)
    return participant


def write_item_text(
    session: Session,
    actor: User,
    item: AgendaItem,
    *,
    language: str,
    summary: str,
    decision: str = "",
    now: datetime,
) -> AgendaItemText:
    """The course of the discussion and the decision, in one of the section's working languages."""
    meeting = item.meeting
    _editing(session, actor, meeting, now, held=True)
    if language not in meeting.section.working_languages:
        raise ValidationFailed(
            N_("%(language)s is not a working language of this border section."),
            "language",
            language=language,
        )
    text = item.text_in(language)
    previous = text_digest(text)
    if text is None:
        text = AgendaItemText(language=language)
        item.texts.append(text)
    text.summary = summary.strip()
    text.decision = decision.strip()
    session.flush()
    outgoing.text_written(session, item, language, previous, now=now)
    return text


def add_action(
    session: Session,
    actor: User,
    item: AgendaItem,
    *,
    responsible_state_id: int,
    description: str,
    due_on: date,
    now: datetime,
) -> Action:
    """A decision names the side responsible and the deadline; it is followed up at later meetings."""
    meeting = item.meeting
    _editing(session, actor, meeting, now, held=True)
    if responsible_state_id not in (meeting.section.state_a_id, meeting.section.state_b_id):
        raise ValidationFailed(
            N_("The responsible side must be one of the two sides."), "responsible_state_id"
        )
    if not description.strip():
        raise ValidationFailed(N_("Describe what is to be done."), "description")
    if due_on < local_day(now, meeting.section.zone_name):  # a deadline is a day on the section's clock
        raise ValidationFailed(N_("The deadline cannot be in the past."), "due_on")
    action = Action(
        section_id=meeting.section_id,
        responsible_state_id=responsible_state_id,
        description=description.strip(),
        due_on=due_on,
        created_at=now,
    )
    item.actions.append(action)
    session.flush()
    outgoing.action_added(session, action, now=now)
    return action


def actor_state(meeting: Meeting, side: int) -> State:
    section = meeting.section
    return section.state_a if side == section.state_a_id else section.state_b


def the_protocol(meeting: Meeting) -> Protocol | None:
    return next((p for p in meeting.protocols if p.kind is ProtocolKind.PROTOCOL), None)


def _freeze(session: Session, protocol: Protocol, now: datetime) -> Protocol:
    """A freeze of a draft, or of a frozen record whose content changed since, is a new freeze round
    (docs/exchange.md, "Concurrent edits"); freezing the same content again changes nothing."""
    session.flush()  # new rows get their ids, which the document names
    previous = base_of(protocol)
    new_round = protocol.frozen_at is None
    content, digest = content_of(protocol)
    if digest != protocol.content_sha256:
        protocol.version = (protocol.version or 0) + 1
        protocol.content = content
        protocol.content_sha256 = digest
        protocol.frozen_at = now
        new_round = True
    protocol.frozen_at = protocol.frozen_at or now
    if new_round:
        protocol.freeze_hashes = [*(protocol.freeze_hashes or []), digest]
    session.flush()
    if new_round:
        outgoing.protocol_frozen(session, protocol, previous, now=now)
    return protocol


def freeze_protocol(session: Session, actor: User, meeting: Meeting, *, now: datetime) -> Protocol:
    """The record of a held meeting, complete in every working language, frozen into a canonical document."""
    outgoing.check_side(session, meeting.section, require_side(actor, meeting.section), meeting)
    if meeting.status is not MeetingStatus.HELD:
        raise WrongStep(N_("Only the record of a held meeting becomes a protocol."))
    if is_record_locked(meeting):
        raise ProtocolLocked(N_("The protocol is signed; write corrections as an addendum."))
    languages = meeting.section.working_languages
    for item in meeting.agenda:
        missing = [lang for lang in languages if item.text_in(lang) is None or not item.text_in(lang).summary]  # type: ignore[union-attr]
        if missing:
            raise ValidationFailed(
                N_("Item %(position)d has no summary in %(languages)s."),
                "texts",
                position=item.position,
                languages=", ".join(missing),
            )
    for state_id, head in heads(session, meeting).items():
        if head is None:
            state = (
                meeting.section.state_a if state_id == meeting.section.state_a_id else meeting.section.state_b
            )
            raise ValidationFailed(
                N_(
                    "%(state)s has no head of delegation: mark one among the participants or appoint its "
                    "border representative in the register."
                ),
                "participants",
                state=state.code,
            )
    protocol = the_protocol(meeting)
    if protocol is None:
        protocol = Protocol(number=0, kind=ProtocolKind.PROTOCOL, status=ProtocolStatus.DRAFT)
        meeting.protocols.append(protocol)
    return _freeze(session, protocol, now)


def approval_is_valid(approval: ProtocolApproval) -> bool:
    """An approval holds only while the content it hashed is exactly the protocol's content."""
    protocol = approval.protocol
    return (
        approval.voided_at is None
        and approval.content_sha256 == protocol.content_sha256
        and content_of(protocol)[1] == approval.content_sha256
    )


def approve_protocol(session: Session, actor: User, protocol: Protocol, *, now: datetime) -> ProtocolApproval:
    """Each side's head of delegation approves the frozen content; when both approved the same
    content, the protocol is signed (decisions take effect) and locked."""
    meeting = protocol.meeting
    side = require_side(actor, meeting.section)
    outgoing.check_side(session, meeting.section, side, meeting)
    if protocol.is_locked:
        raise ProtocolLocked(N_("The protocol is already signed."))
    head = head_of(session, meeting, actor_state(meeting, side))
    if head is None or head.user_id != actor.id:
        raise AccessDenied(N_("Only your side's head of delegation approves the protocol."))
    if not protocol.content_sha256 or protocol.frozen_at is None:
        raise WrongStep(N_("Freeze the protocol before approving it."))
    session.flush()
    if content_of(protocol)[1] != protocol.content_sha256:
        raise WrongStep(N_("The record changed after it was frozen; freeze it again before approving."))
    if any(a.voided_at is None and a.state_id == side for a in protocol.approvals):
        raise WrongStep(N_("Your side has already approved this version."))
    approval = ProtocolApproval(
        state_id=side, user_id=actor.id, content_sha256=protocol.content_sha256, approved_at=now
    )
    protocol.approvals.append(approval)
    live = [
        a for a in protocol.approvals if a.voided_at is None and a.content_sha256 == protocol.content_sha256
    ]
    if {a.state_id for a in live} == {meeting.section.state_a_id, meeting.section.state_b_id}:
        protocol.status = ProtocolStatus.SIGNED
        # the later approval's time: the same on both linked instances, whichever approved last here
        protocol.signed_at = max(a.approved_at for a in live)
    session.flush()
    outgoing.protocol_approved(session, approval, now=now)
    return approval


def _addendum_texts(meeting: Meeting, texts: Mapping[str, str]) -> dict[str, str]:
    languages = meeting.section.working_languages
    cleaned = {lang: texts.get(lang, "").strip() for lang in languages}
    missing = [lang for lang, text in cleaned.items() if not text]
    if missing:
        raise ValidationFailed(
            N_("Write the addendum in %(languages)s."), "texts", languages=", ".join(missing)
        )
    return cleaned


def add_addendum(
    session: Session, actor: User, meeting: Meeting, texts: Mapping[str, str], *, now: datetime
) -> Protocol:
    """A correction to a signed protocol, in every working language, frozen and approved like it."""
    outgoing.check_side(session, meeting.section, require_side(actor, meeting.section), meeting)
    protocol = the_protocol(meeting)
    if protocol is None or not protocol.is_locked:
        raise WrongStep(N_("Correct an unsigned protocol directly; addenda are for signed ones."))
    _addendum_texts(meeting, texts)
    addendum = Protocol(
        number=max(p.number for p in meeting.protocols) + 1,
        kind=ProtocolKind.ADDENDUM,
        status=ProtocolStatus.DRAFT,
    )
    meeting.protocols.append(addendum)
    return edit_addendum(session, actor, addendum, texts, now=now)


def edit_addendum(
    session: Session, actor: User, addendum: Protocol, texts: Mapping[str, str], *, now: datetime
) -> Protocol:
    outgoing.check_side(
        session, addendum.meeting.section, require_side(actor, addendum.meeting.section), addendum.meeting
    )
    if addendum.kind is not ProtocolKind.ADDENDUM:
        raise WrongStep(N_("This is not an addendum."))
    if addendum.is_locked:
        raise ProtocolLocked(N_("The addendum is signed; write a new addendum."))
    if any(a.voided_at is None for a in addendum.approvals):
        raise WrongStep(
            N_(
                "The protocol is frozen for approval: reopen it first (that voids the approvals given so far)."
            )
        )
    cleaned = _addendum_texts(addendum.meeting, texts)
    addendum.addendum_texts = cleaned
    return _freeze(session, addendum, now)
