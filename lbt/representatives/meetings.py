"""Meeting requests: a written proposal, the other side's reply (accept, decline with a reason, or
counter-propose), each step kept, the side that must answer alternating, replies due within a deadline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.errors import N_, ValidationFailed
from lbt.reference.models import BorderSection, CrossingPoint
from lbt.representatives.delegations import ParticipantInput, check_participant
from lbt.representatives.models import (
    DEFAULT_MIN_NOTICE_DAYS,
    DEFAULT_REPLY_HOURS,
    UNFINISHED_ACTION_STATUSES,
    Action,
    AgendaItem,
    AgendaKind,
    ExchangeKind,
    Incident,
    Meeting,
    MeetingExchange,
    MeetingKind,
    MeetingParticipant,
    MeetingRules,
    MeetingStatus,
)
from lbt.representatives.services import NotYourTurn, WrongStep, other_side, require_read, require_side
from lbt.representatives.sharing import outgoing


@dataclass(frozen=True)
class Rules:
    min_notice_days: int = DEFAULT_MIN_NOTICE_DAYS
    reply_hours: int = DEFAULT_REPLY_HOURS


@dataclass(frozen=True)
class Venue:
    """A crossing point, or a named place; ``host_state_id`` None means "by alternation"."""

    crossing_point: CrossingPoint | None = None
    name: str = ""
    host_state_id: int | None = None


def rules_for(session: Session, section: BorderSection) -> Rules:
    """The section's own rules when its representatives agreed on them, else the defaults."""
    row = session.scalars(select(MeetingRules).where(MeetingRules.section_id == section.id)).first()
    return Rules(row.min_notice_days, row.reply_hours) if row else Rules()


def set_rules(
    session: Session, section: BorderSection, *, min_notice_days: int, reply_hours: int
) -> MeetingRules:
    row = session.scalars(select(MeetingRules).where(MeetingRules.section_id == section.id)).first()
    if row is None:
        row = MeetingRules(section_id=section.id)
        session.add(row)
    row.min_notice_days = min_notice_days
    row.reply_hours = reply_hours
    session.flush()
    return row


def proposed_host(session: Session, section: BorderSection, proposer_state_id: int) -> int:
    """Meetings alternate between the two territories: the side that did not host the last held
    meeting hosts the next; the first one is hosted by the side that asks for it."""
    last_host = session.scalars(
        select(Meeting.host_state_id)
        .where(Meeting.section_id == section.id, Meeting.status == MeetingStatus.HELD)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(1)
    ).first()
    return proposer_state_id if last_host is None else other_side(section, last_host)


def _check_time(rules: Rules, kind: MeetingKind, starts_at: datetime, now: datetime) -> None:
    """Ordinary meetings are proposed at least ``min_notice_days`` ahead; urgent ones may be at once."""
    if kind is MeetingKind.URGENT:
        if starts_at < now - timedelta(hours=1):
            raise ValidationFailed(N_("A meeting cannot be proposed in the past."), "starts_at")
        return
    if starts_at < now + timedelta(days=rules.min_notice_days):
        raise ValidationFailed(
            N_(
                "An ordinary meeting must be proposed at least %(days)d days ahead; ask for an urgent meeting."
            ),
            "starts_at",
            days=rules.min_notice_days,
        )


def _check_venue(section: BorderSection, venue: Venue, host_state_id: int) -> None:
    if host_state_id not in (section.state_a_id, section.state_b_id):
        raise ValidationFailed(N_("The host must be one of the two sides."), "host_state_id")
    if venue.crossing_point is None and not venue.name.strip():
        raise ValidationFailed(N_("Choose a crossing point or name the place."), "venue")
    if venue.crossing_point is not None and venue.crossing_point.state_id != host_state_id:
        raise ValidationFailed(N_("That crossing point is not on the host's territory."), "crossing_point_id")


def _reply_due(rules: Rules, starts_at: datetime, now: datetime) -> datetime:
    """The reply is due within ``reply_hours``, and never after the meeting would start."""
    return max(now, min(now + timedelta(hours=rules.reply_hours), starts_at))


def _exchange(
    meeting: Meeting, kind: ExchangeKind, actor: User, side: int, now: datetime, reason: str = ""
) -> None:
    meeting.exchanges.append(
        MeetingExchange(
            kind=kind,
            state_id=side,
            user_id=actor.id,
            at=now,
            starts_at=meeting.starts_at,
            crossing_point_id=meeting.crossing_point.id if meeting.crossing_point else None,
            venue_name=meeting.venue_name,
            host_state_id=meeting.host_state_id,
            reason=reason,
        )
    )


def unfinished_actions(session: Session, section: BorderSection) -> Sequence[Action]:
    return session.scalars(
        select(Action)
        .where(Action.section_id == section.id, Action.status.in_(UNFINISHED_ACTION_STATUSES))
        .order_by(Action.due_on, Action.id)
    ).all()


def request_meeting(
    session: Session,
    actor: User,
    *,
    section: BorderSection,
    kind: MeetingKind,
    starts_at: datetime,
    venue: Venue,
    agenda: Sequence[str],
    participants: Sequence[ParticipantInput] = (),
    incidents: Sequence[Incident] = (),
    now: datetime,
) -> Meeting:
    """A written proposal with agenda, participants, place and time; decisions not yet carried out
    come first on the agenda ("implementation of earlier decisions")."""
    side = require_side(actor, section)
    outgoing.check_side(session, section, side)
    rules = rules_for(session, section)
    _check_time(rules, kind, starts_at, now)
    host = venue.host_state_id if venue.host_state_id is not None else proposed_host(session, section, side)
    _check_venue(section, venue, host)
    titles = [title.strip() for title in agenda if title.strip()]
    if not titles and not incidents:
        raise ValidationFailed(N_("Give at least one agenda item."), "agenda")
    for person in participants:
        check_participant(session, section, person)
    if len({p.representative_id for p in participants if p.representative_id}) < len(
        [p for p in participants if p.representative_id]
    ):
        raise ValidationFailed(N_("Each person from the register takes part once."), "participants")
    meeting = Meeting(
        section=section,
        kind=kind,
        status=MeetingStatus.REQUESTED,
        proposed_by_id=actor.id,
        proposer_state_id=side,
        host_state_id=host,
        starts_at=starts_at,
        crossing_point=venue.crossing_point,
        venue_name=venue.name.strip(),
        awaiting_state_id=other_side(section, side),
        reply_due_at=_reply_due(rules, starts_at, now),
        created_at=now,
    )
    session.add(meeting)
    earlier = outgoing.shareable_actions(session, section, unfinished_actions(session, section))
    for incident in incidents:
        require_read(actor, incident)
        if incident.section_id != section.id:
            raise ValidationFailed(N_("The incident belongs to another border section."), "incidents")
    with session.no_autoflush:  # items join the meeting only once all of them are built
        items: list[AgendaItem] = [
            AgendaItem(
                kind=AgendaKind.EARLIER_DECISION, title=action.description, reviewed_action_id=action.id
            )
            for action in earlier
        ]
        items += [
            AgendaItem(kind=AgendaKind.INCIDENT, title=incident.description, incident=incident)
            for incident in incidents
        ]
        items += [AgendaItem(kind=AgendaKind.ITEM, title=title) for title in titles]
        for position, item in enumerate(items, start=1):
            item.position = position
            meeting.agenda.append(item)
    for person in participants:
        meeting.participants.append(
            MeetingParticipant(
                state_id=person.state_id,
                full_name=person.full_name.strip(),
                role=person.role.strip(),
                is_head=person.is_head,
                user_id=person.user_id,
                representative_id=person.representative_id,
            )
        )
    _exchange(meeting, ExchangeKind.PROPOSED, actor, side, now)
    session.flush()
    outgoing.meeting_requested(session, meeting, now=now)
    return meeting


def _require_turn(session: Session, actor: User, meeting: Meeting) -> int:
    side = require_side(actor, meeting.section)
    outgoing.check_side(session, meeting.section, side, meeting)
    if meeting.status is not MeetingStatus.REQUESTED:
        raise WrongStep(N_("This request has already been answered."))
    if side != meeting.awaiting_state_id:
        raise NotYourTurn(N_("The other side has to answer this request."))
    return side


def counter_propose(
    session: Session,
    actor: User,
    meeting: Meeting,
    *,
    starts_at: datetime | None = None,
    venue: Venue | None = None,
    reason: str = "",
    now: datetime,
) -> Meeting:
    """A refusal of the time or place comes with another; the proposer must now answer."""
    side = _require_turn(session, actor, meeting)
    rules = rules_for(session, meeting.section)
    new_start = starts_at or meeting.starts_at
    if starts_at is None and venue is None:
        raise ValidationFailed(N_("Propose another time or another place."), "starts_at")
    if starts_at is not None:
        _check_time(rules, meeting.kind, new_start, now)
    if venue is not None:
        host = venue.host_state_id if venue.host_state_id is not None else meeting.host_state_id
        _check_venue(meeting.section, venue, host)
        meeting.crossing_point = venue.crossing_point
        meeting.venue_name = venue.name.strip()
        meeting.host_state_id = host
    meeting.starts_at = new_start
    meeting.awaiting_state_id = other_side(meeting.section, side)
    meeting.reply_due_at = _reply_due(rules, new_start, now)
    _exchange(meeting, ExchangeKind.COUNTER_PROPOSED, actor, side, now, reason.strip())
    session.flush()
    outgoing.meeting_answered(session, meeting, ExchangeKind.COUNTER_PROPOSED, reason.strip(), now=now)
    return meeting


def _close_exchange(
    session: Session,
    meeting: Meeting,
    status: MeetingStatus,
    kind: ExchangeKind,
    actor: User,
    side: int,
    now: datetime,
    reason: str = "",
) -> Meeting:
    """The last answer: nobody has to reply any more."""
    meeting.status = status
    meeting.awaiting_state_id = None
    meeting.reply_due_at = None
    _exchange(meeting, kind, actor, side, now, reason)
    session.flush()
    outgoing.meeting_answered(session, meeting, kind, reason, now=now)
    return meeting


def accept(session: Session, actor: User, meeting: Meeting, *, now: datetime) -> Meeting:
    """The side that must answer agrees to the last proposal: the meeting is scheduled."""
    side = _require_turn(session, actor, meeting)
    return _close_exchange(session, meeting, MeetingStatus.SCHEDULED, ExchangeKind.ACCEPTED, actor, side, now)


def decline(session: Session, actor: User, meeting: Meeting, *, reason: str, now: datetime) -> Meeting:
    """A meeting cannot be refused without a valid reason."""
    side = _require_turn(session, actor, meeting)
    if not reason.strip():
        raise ValidationFailed(N_("A meeting cannot be refused without a reason."), "reason")
    return _close_exchange(
        session, meeting, MeetingStatus.DECLINED, ExchangeKind.DECLINED, actor, side, now, reason.strip()
    )


def mark_held(session: Session, actor: User, meeting: Meeting, *, now: datetime) -> Meeting:
    """A scheduled meeting took place; its record can now become a protocol."""
    outgoing.check_side(session, meeting.section, require_side(actor, meeting.section), meeting)
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise WrongStep(N_("Only a scheduled meeting can be recorded as held."))
    if meeting.starts_at > now:
        raise WrongStep(N_("The meeting has not started yet."))
    meeting.status = MeetingStatus.HELD
    meeting.held_at = now
    session.flush()
    outgoing.meeting_held(session, meeting, now=now)
    return meeting


def overdue_requests(
    session: Session, now: datetime, section_ids: Sequence[int] | None = None
) -> Sequence[Meeting]:
    """Requests whose reply deadline passed without an answer, the longest overdue first."""
    query = select(Meeting).where(Meeting.status == MeetingStatus.REQUESTED, Meeting.reply_due_at < now)
    if section_ids is not None:
        query = query.where(Meeting.section_id.in_(section_ids))
    return session.scalars(query.order_by(Meeting.reply_due_at, Meeting.id)).all()


def upcoming_meetings(session: Session, section: BorderSection, now: datetime) -> Sequence[Meeting]:
    """Scheduled meetings and open requests of a section from now on, soonest first (the calendar)."""
    return session.scalars(
        select(Meeting)
        .where(
            Meeting.section_id == section.id,
            Meeting.status.in_((MeetingStatus.SCHEDULED, MeetingStatus.REQUESTED)),
            Meeting.starts_at >= now,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
