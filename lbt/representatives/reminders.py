"""Mails to a meeting's participants: an invitation once a meeting is scheduled (again when its time
changes), and a reminder the day before. ``lbt representatives remind`` runs ``send_due`` (e.g. every
15 minutes from cron); each mail goes once, because the meeting keeps the start time its last
invitation and reminder announced, in the same transaction as the outbox rows. Times are on the
section's clock with the zone named, dates as the reader writes them. Flask-free."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from lbt.accounts.models import User
from lbt.core.catalogs import translate
from lbt.core.dates import format_moment
from lbt.core.errors import N_
from lbt.notifications.services import queue_message
from lbt.representatives.models import Meeting, MeetingParticipant, MeetingStatus

REMINDER_AHEAD = timedelta(hours=24)
DEFAULT_LOCALE = "ru"  # the representatives' common language when a user chose none

INVITATION_SUBJECT = N_("Meeting of border representatives, %(section)s: %(when)s")
INVITATION_BODY = N_(
    "A meeting of the border representatives of section %(section)s is scheduled.\n\n"
    "When: %(when)s\nWhere: %(place)s\n\nAgenda:\n%(agenda)s\n\n%(url)s"
)
REMINDER_SUBJECT = N_("Reminder: meeting of border representatives, %(section)s, %(when)s")
REMINDER_BODY = N_(
    "Reminder: the meeting of the border representatives of section %(section)s begins %(when)s.\n\n"
    "Where: %(place)s\n\n%(url)s"
)
SIGNATURE = N_("This message was sent by the local border traffic service. Do not reply to it.")


@dataclass(frozen=True)
class Sent:
    invitations: int
    reminders: int


def _recipients(meeting: Meeting) -> list[User]:
    """Participants who are users of this system with a mail address, each once."""
    seen: dict[int, User] = {}
    for participant in meeting.participants:
        user = participant.user
        if user is not None and user.email and user.is_active:
            seen.setdefault(user.id, user)
    return list(seen.values())


def _queue(
    session: Session, meeting: Meeting, subject: str, body: str, public_url: str, now: datetime
) -> int:
    zone_name = meeting.section.zone_name
    place = (
        f"{meeting.crossing_point.code} {meeting.crossing_point.name}"
        if meeting.crossing_point
        else meeting.venue_name or meeting.crossing_point_code
    )
    agenda = "\n".join(f"{item.position}. {item.title}" for item in meeting.agenda) or "-"
    count = 0
    for user in _recipients(meeting):
        locale = user.locale or DEFAULT_LOCALE
        params = {
            "section": f"{meeting.section.code} {meeting.section.name}",
            "when": format_moment(meeting.starts_at, locale, zone_name),
            "place": place or "-",
            "agenda": agenda,
            "url": f"{public_url}/representatives/meetings/{meeting.id}",
        }
        text = translate(locale, body, **params)
        queue_message(
            session,
            recipient=user.email,
            subject=translate(locale, subject, **params),
            body=f"{text}\n\n{translate(locale, SIGNATURE)}\n",
            now=now,
        )
        count += 1
    return count


def due_meetings(session: Session, now: datetime) -> Sequence[Meeting]:
    """Scheduled meetings still ahead whose invitation or reminder is not yet sent for their time."""
    return session.scalars(
        select(Meeting)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at > now,
            or_(
                Meeting.invitation_sent_for.is_(None),
                Meeting.invitation_sent_for != Meeting.starts_at,
                Meeting.starts_at <= now + REMINDER_AHEAD,
            ),
        )
        .options(selectinload(Meeting.participants).selectinload(MeetingParticipant.user))
        .order_by(Meeting.starts_at, Meeting.id)
        .with_for_update(skip_locked=True)  # two runs at once never mail twice (PostgreSQL)
    ).all()


def send_due(session: Session, *, public_url: str, now: datetime) -> Sent:
    """Queue the invitations and reminders that are due; a second run queues nothing new."""
    invitations = reminders = 0
    for meeting in due_meetings(session, now):
        soon = meeting.starts_at <= now + REMINDER_AHEAD
        if meeting.invitation_sent_for != meeting.starts_at:
            invitations += _queue(session, meeting, INVITATION_SUBJECT, INVITATION_BODY, public_url, now)
            meeting.invitation_sent_for = meeting.starts_at
            if soon:  # an invitation this close to the start is its own reminder
                meeting.reminder_sent_for = meeting.starts_at
        if soon and meeting.reminder_sent_for != meeting.starts_at:
            reminders += _queue(session, meeting, REMINDER_SUBJECT, REMINDER_BODY, public_url, now)
            meeting.reminder_sent_for = meeting.starts_at
    session.flush()
    return Sent(invitations, reminders)
