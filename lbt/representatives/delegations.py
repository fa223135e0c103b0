"""The two delegations of a meeting: participants taken from the register of representatives (plus
guests: interpreters, experts), the head of each delegation known from the register, and what the
meeting still needs at its present stage, and from whom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lbt.core.dates import local_day
from lbt.core.errors import N_, ValidationFailed
from lbt.reference.models import BorderSection, State
from lbt.representatives.models import (
    Meeting,
    MeetingParticipant,
    MeetingStatus,
    Post,
    Protocol,
    ProtocolKind,
    Representative,
)
from lbt.representatives.register import in_office

# the posts' names, the same texts as the register's labels (the PDF translates them per language)
POST_NAMES = {
    Post.BORDER_REPRESENTATIVE: N_("Border representative"),
    Post.DEPUTY: N_("Deputy border representative"),
    Post.ASSISTANT: N_("Assistant border representative"),
    Post.SECRETARY: N_("Secretary"),
    Post.INTERPRETER: N_("Interpreter"),
    Post.EXPERT: N_("Expert"),
}


@dataclass(frozen=True)
class ParticipantInput:
    """A participant to record: from the register (``representative_id``) or a guest."""

    state_id: int
    full_name: str
    role: str
    is_head: bool = False
    user_id: int | None = None
    representative_id: int | None = None


@dataclass(frozen=True)
class Head:
    """A side's head of delegation: the participant marked so, else the side's border representative
    in office on the meeting's day (the register says who he is; he need not add himself)."""

    state: State
    full_name: str
    post: Post | None
    user_id: int | None
    representative_id: int | None


@dataclass(frozen=True)
class Step:
    """What is still needed, from whom (a state, a person or nobody in particular), as a message."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)
    done: bool = False


def register_choices(session: Session, section: BorderSection, day: Any) -> Sequence[Representative]:
    """Both sides' appointments in office on a day, by side and rank."""
    return in_office(session, section, day)


def from_register(representative: Representative, *, is_head: bool = False) -> ParticipantInput:
    """A participant as the register names them: their name and post as they stand today."""
    return ParticipantInput(
        representative.state_id,
        representative.full_name,
        representative.post.value,
        is_head=is_head,
        user_id=representative.user_id,
        representative_id=representative.id,
    )


def guest(state_id: int, full_name: str, role: str) -> ParticipantInput:
    """An interpreter, an expert or anyone else not in the register, with their role."""
    return ParticipantInput(state_id, full_name, role)


def check_participant(
    session: Session, meeting_or_section: Meeting | BorderSection, person: ParticipantInput
) -> None:
    """A register participant holds an appointment on that side of the section; a head of delegation
    comes from the register (a representative or deputy); a guest has a name and a role."""
    section = meeting_or_section.section if isinstance(meeting_or_section, Meeting) else meeting_or_section
    if person.state_id not in (section.state_a_id, section.state_b_id):
        raise ValidationFailed(N_("Participants come from the two sides."), "state_id")
    if person.representative_id is None:
        if person.is_head:
            raise ValidationFailed(N_("The head of a delegation is chosen from the register."), "is_head")
        if not person.full_name.strip() or not person.role.strip():
            raise ValidationFailed(N_("Give the guest's name and role."), "full_name")
        return
    representative = session.get(Representative, person.representative_id)
    if representative is None or (representative.section_id, representative.state_id) != (
        section.id,
        person.state_id,
    ):
        raise ValidationFailed(N_("Choose someone from this section's register."), "representative_id")
    if isinstance(meeting_or_section, Meeting):
        if not representative.in_office_on(local_day(meeting_or_section.starts_at, section.zone_name)):
            raise ValidationFailed(
                N_("%(name)s is not in office on the day of the meeting."),
                "representative_id",
                name=representative.full_name,
            )
        if any(p.representative_id == representative.id for p in meeting_or_section.participants):
            raise ValidationFailed(
                N_("%(name)s is already a participant."), "representative_id", name=representative.full_name
            )
    if person.is_head and representative.post not in (Post.BORDER_REPRESENTATIVE, Post.DEPUTY):
        raise ValidationFailed(
            N_("A delegation is headed by the border representative or a deputy."), "is_head"
        )


def head_of(session: Session, meeting: Meeting, state: State) -> Head | None:
    """Art.: each side's delegation is headed by its border representative, or the deputy standing in."""
    marked = next((p for p in meeting.participants if p.is_head and p.state_id == state.id), None)
    if marked is not None:
        return _head_of_participant(marked)
    day = local_day(meeting.starts_at, meeting.section.zone_name)
    chief = session.scalars(
        select(Representative)
        .where(
            Representative.section_id == meeting.section_id,
            Representative.state_id == state.id,
            Representative.post == Post.BORDER_REPRESENTATIVE,
            Representative.appointed_from <= day,
            or_(Representative.appointed_until.is_(None), Representative.appointed_until > day),
        )
        .order_by(Representative.appointed_from.desc())
        .limit(1)
    ).first()
    if chief is None:
        return None
    return Head(state, chief.full_name, chief.post, chief.user_id, chief.id)


def _head_of_participant(participant: MeetingParticipant) -> Head:
    post = participant.representative.post if participant.representative is not None else None
    return Head(
        participant.state,
        participant.full_name,
        post,
        participant.user_id or (participant.representative.user_id if participant.representative else None),
        participant.representative_id,
    )


def heads(session: Session, meeting: Meeting) -> dict[int, Head | None]:
    section = meeting.section
    return {state.id: head_of(session, meeting, state) for state in (section.state_a, section.state_b)}


def is_frozen(protocol: Protocol | None) -> bool:
    """Frozen for approval: the record waits for the heads' approvals and takes no silent change."""
    return protocol is not None and not protocol.is_locked and protocol.frozen_at is not None


def _who(head: Head | None, state: State) -> dict[str, str]:
    return {"state": state.code, "name": head.full_name if head else ""}


def next_steps(session: Session, meeting: Meeting, now: datetime) -> list[Step]:
    """At each stage, what is still needed and from whom."""
    section = meeting.section
    if meeting.status is MeetingStatus.REQUESTED:
        assert meeting.awaiting_state is not None
        return [
            Step(
                N_("%(state)s answers the request: accept, decline or counter-propose."),
                {"state": meeting.awaiting_state.code},
            )
        ]
    if meeting.status in (MeetingStatus.DECLINED, MeetingStatus.CANCELLED):
        return []
    if meeting.status is MeetingStatus.SCHEDULED:
        if meeting.starts_at > now:
            return [Step(N_("The meeting takes place; then either side records it as held."))]
        return [Step(N_("Either side records the meeting as held."))]
    steps: list[Step] = []
    protocol = next((p for p in meeting.protocols if p.kind is ProtocolKind.PROTOCOL), None)
    the_heads = heads(session, meeting)
    if protocol is None or (not protocol.is_locked and protocol.frozen_at is None):
        for item in meeting.agenda:
            missing = [
                lang
                for lang in section.working_languages
                if item.text_in(lang) is None or not item.text_in(lang).summary  # type: ignore[union-attr]
            ]
            if missing:
                steps.append(
                    Step(
                        N_("Item %(position)d: the discussion in %(languages)s."),
                        {"position": item.position, "languages": ", ".join(lang.upper() for lang in missing)},
                    )
                )
        for state in (section.state_a, section.state_b):
            if the_heads[state.id] is None:
                steps.append(
                    Step(
                        N_(
                            "%(state)s: mark its head of delegation among the participants, or appoint its "
                            "border representative in the register."
                        ),
                        {"state": state.code},
                    )
                )
        steps.append(Step(N_("Either side freezes the protocol for approval.")))
        return steps
    from lbt.representatives.sharing.outgoing import is_partner_state  # it reads the register too

    remote = {
        state.id
        for state in (section.state_a, section.state_b)
        if meeting.is_exchanged and is_partner_state(session, section, state.id)
    }
    for document in meeting.protocols:
        steps += _approval_steps(document, the_heads, section, remote)
    return steps


def _approval_steps(
    protocol: Protocol, the_heads: dict[int, Head | None], section: BorderSection, remote: set[int]
) -> list[Step]:
    if protocol.is_locked:
        if protocol.number:
            return [Step(N_("Addendum %(n)d is signed by both sides."), {"n": protocol.number}, done=True)]
        return [Step(N_("The protocol is signed by both sides; corrections go into an addendum."), done=True)]
    steps: list[Step] = []
    live = {a.state_id for a in protocol.approvals if a.voided_at is None}
    for state in (section.state_a, section.state_b):
        head = the_heads[state.id]
        if state.id in live:
            steps.append(Step(N_("%(state)s has approved (%(name)s)."), _who(head, state), done=True))
        elif state.id in remote:  # linked instances: that head approves on his own state's instance
            steps.append(
                Step(
                    N_("%(name)s, head of delegation of %(state)s, approves on its own instance."),
                    _who(head, state),
                )
            )
        elif head is None or head.user_id is None:
            steps.append(
                Step(
                    N_(
                        "%(state)s: its head of delegation %(name)s has no account here; link one in the register."
                    ),
                    _who(head, state),
                )
            )
        else:
            steps.append(Step(N_("%(name)s, head of delegation of %(state)s, approves."), _who(head, state)))
    return steps
