"""The mail outbox: queue a message with the change that causes it, hand due ones to the mailer, and
record each attempt with an exponential backoff. Messages are never deleted; after ``MAX_ATTEMPTS``
failures a message is "stuck": kept, listed by ``stuck()``, and retried only when asked to."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ColumnElement, CursorResult, and_, func, select, update
from sqlalchemy.orm import Session

from lbt.core.errors import N_, ValidationFailed
from lbt.notifications.models import OutboxMessage

MAX_ATTEMPTS = 20
FIRST_RETRY_DELAY = timedelta(minutes=1)
LONGEST_RETRY_DELAY = timedelta(hours=6)
SUBJECT_MAX_LENGTH = 200  # the column's length
ERROR_MAX_LENGTH = 2000


@dataclass(frozen=True)
class OutboxStatus:
    waiting: int  # not sent, will be tried again automatically
    due: int  # of those, due now
    stuck: int  # not sent, no longer tried automatically
    sent: int
    oldest_waiting_since: datetime | None


def normalise_recipient(recipient: str) -> str:
    """One plain address (no display name, no second address, no line break): what the envelope needs."""
    candidate = recipient.strip()
    # the same msgid as the forms' e-mail check, so no new string needs translating
    invalid = ValidationFailed(N_("Invalid email address."), "email")
    if any(ch in candidate for ch in "\r\n,;<>"):
        raise invalid
    try:
        # an ASCII address only: an internationalised mailbox needs SMTPUTF8, which many relays refuse
        result = validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise invalid from None
    if result.ascii_email is None:  # not reached with allow_smtputf8=False; kept for the type
        raise invalid
    return result.ascii_email


def clean_subject(subject: str) -> str:
    """A subject is one line: line breaks and other control characters would start a new header."""
    one_line = " ".join(subject.split())  # str.split() also breaks on \v, \f, \x1c-\x1e, \x85, \u2028, \u2029
    printable = "".join(ch for ch in one_line if unicodedata.category(ch) != "Cc")
    if len(printable) > SUBJECT_MAX_LENGTH:
        printable = printable[: SUBJECT_MAX_LENGTH - 1].rstrip() + "…"
    return printable


def queue_message(
    session: Session, *, recipient: str, subject: str, body: str, now: datetime
) -> OutboxMessage:
    """Store a message in the same transaction as the change it reports, so both or neither persist."""
    subject = clean_subject(subject)
    if not subject:  # subjects come from the code, not from a form: a blank one is a bug
        raise ValueError("an outbox message needs a subject")
    message = OutboxMessage(
        recipient=normalise_recipient(recipient),
        subject=subject,
        body=body,
        created_at=now,
        next_attempt_at=now,
        attempts=0,
        last_error="",
    )
    session.add(message)
    session.flush()
    return message


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failure wait 1, 2, 4 ... minutes, never more than 6 hours."""
    if attempts < 1:
        return timedelta(0)
    # 2**9 minutes already exceeds the cap; bounding the exponent keeps the number small
    return min(FIRST_RETRY_DELAY * 2 ** min(attempts - 1, 16), LONGEST_RETRY_DELAY)


def _is_due(now: datetime) -> ColumnElement[bool]:
    return and_(
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.attempts < MAX_ATTEMPTS,
    )


def pending(session: Session, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
    """Unsent messages whose next attempt is due, the longest-waiting first (ix_outbox_messages_pending)."""
    return session.scalars(
        select(OutboxMessage)
        .where(_is_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()


def claim_due(session: Session, *, now: datetime, limit: int, lease: timedelta) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for one sender by moving their next attempt ``lease`` ahead.

    One statement, UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING: on PostgreSQL
    a concurrent claimer skips the rows this one is taking, and once committed the moved
    ``next_attempt_at`` keeps them out of every other claim until the lease runs out. SQLite has no row
    locks, but its writers queue (``lbt.core.db`` begins with BEGIN IMMEDIATE, and a lone writing statement
    would take the write lock before reading anyway), so a later claim no longer sees these rows as due.
    """
    chosen = (
        select(OutboxMessage.id)
        .where(_is_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(chosen.scalar_subquery()))
        .values(next_attempt_at=now + lease)
        .returning(OutboxMessage)
    ).all()
    return sorted(claimed, key=lambda message: (message.created_at, message.id))


def end_lease(session: Session, message_ids: Sequence[int], *, now: datetime) -> Sequence[OutboxMessage]:
    """Give claimed messages back, to record how sending went (``mark_sent`` or ``mark_failed``).

    A write comes first on purpose: even under a plain BEGIN, SQLite then takes the write lock before
    anything is read, so a claim committed meanwhile by another sender cannot make a later write fail.
    """
    if not message_ids:
        return []
    return session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.sent_at.is_(None))
        .values(next_attempt_at=now)
        .returning(OutboxMessage)
    ).all()


def mark_sent(message: OutboxMessage, now: datetime) -> None:
    message.sent_at = now
    message.last_error = ""


def mark_failed(message: OutboxMessage, error: str, now: datetime) -> None:
    """Count the attempt and wait longer each time; from MAX_ATTEMPTS on the message is stuck."""
    message.attempts += 1
    message.last_error = error[:ERROR_MAX_LENGTH]
    message.next_attempt_at = now + retry_delay(message.attempts)


def stuck(session: Session) -> Sequence[OutboxMessage]:
    """Messages that failed MAX_ATTEMPTS times: kept, but sent again only after ``retry_stuck``."""
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts >= MAX_ATTEMPTS)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()


def retry_stuck(session: Session, *, now: datetime) -> int:
    """Give every stuck message a fresh series of attempts (once the cause, say a wrong password, is fixed)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts >= MAX_ATTEMPTS)
        .values(attempts=0, next_attempt_at=now),
        execution_options={"synchronize_session": "fetch"},
    )
    return cast("CursorResult[Any]", result).rowcount


def outbox_status(session: Session, now: datetime) -> OutboxStatus:
    """Counts for the operator, in one query."""
    unsent = OutboxMessage.sent_at.is_(None)
    retried = and_(unsent, OutboxMessage.attempts < MAX_ATTEMPTS)
    row = session.execute(
        select(
            func.count().filter(retried),
            func.count().filter(_is_due(now)),
            func.count().filter(unsent, OutboxMessage.attempts >= MAX_ATTEMPTS),
            func.count().filter(OutboxMessage.sent_at.is_not(None)),
            func.min(OutboxMessage.created_at).filter(retried),
        ).select_from(OutboxMessage)
    ).one()
    return OutboxStatus(waiting=row[0], due=row[1], stuck=row[2], sent=row[3], oldest_waiting_since=row[4])
