"""Send the outbox through the configured SMTP server.

``send_pending`` works in three steps:

1. Claim up to ``limit`` due messages (``services.claim_due``): one UPDATE moves their
   ``next_attempt_at`` a lease ahead, choosing the rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` on
   PostgreSQL. Another sender running at the same moment skips the locked rows, and after the claim is
   committed the moved ``next_attempt_at`` keeps them out of every other claim until the lease ends.
   On SQLite writers hold the whole database's write lock (BEGIN IMMEDIATE), so claims simply queue.
2. Send the claimed messages over ONE SMTP connection, outside any database transaction. If the
   connection (or STARTTLS, or the login) fails, every message of the batch is marked failed. A refused
   recipient or message fails alone; if the connection drops, the message being sent and the rest
   of the batch fail and are retried.
3. End the lease and record the outcome: ``mark_sent``, or ``mark_failed`` with an exponential
   backoff. Ending the lease is a write, so this transaction holds SQLite's write lock from its
   first statement and cannot collide with another sender's claim.

Given a session factory (``Database.session_factory``), steps 1 and 3 are two short transactions
committed here, so no lock is held while talking to the mail server: the right mode for ``lbt mail
send`` run every minute by cron or a systemd timer, even with several of them at once. Given a
``Session``, all steps share it and only flush; the caller commits (tests, or a caller that already
holds a transaction). Either way the row locks or the lease stop two senders from sending the same
message.

Delivery is at least once, never at most once: if the process dies after the server accepted a
message but before step 3 is committed, the lease runs out and the message is sent again. Its
Message-ID is derived from the outbox row, so it is the same on every attempt and mail clients can
recognise the duplicate. The lease lasts longer than a batch can take (every SMTP step is bounded by
the timeout), so a slow batch does not let a second sender take its messages.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr

from sqlalchemy.orm import Session

from lbt.core.settings import MailSettings
from lbt.notifications.models import OutboxMessage
from lbt.notifications.services import claim_due, end_lease, mark_failed, mark_sent

logger = logging.getLogger(__name__)

SessionSource = Session | Callable[[], Session]

# 7-bit transfer encodings only (base64 or quoted-printable, whichever is shorter), so a relay without
# 8BITMIME cannot mangle Cyrillic text; headers are RFC 2047 encoded words.
MESSAGE_POLICY = SMTP_POLICY.clone(cte_type="7bit")
MINIMUM_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    # "message 12: 550 5.1.1 Mailbox unavailable": ids, not addresses, as logs are read widely
    errors: tuple[str, ...]


@dataclass(frozen=True)
class Outgoing:
    """What the SMTP step needs from an outbox row, read while the claim's transaction was open."""

    id: int
    recipient: str
    subject: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, message: OutboxMessage) -> Outgoing:
        return cls(message.id, message.recipient, message.subject, message.body, message.created_at)


def send_pending(sessions: SessionSource, mail: MailSettings, now: datetime, limit: int = 100) -> SendReport:
    """Send up to ``limit`` due messages; see the module's docstring for how senders share the outbox."""
    with _unit_of_work(sessions) as session:
        claimed = claim_due(session, now=now, limit=limit, lease=lease_for(mail, limit))
        batch = [Outgoing.of(message) for message in claimed]
    if not batch:
        return SendReport(sent=0, failed=0, errors=())
    failures = _deliver(batch, mail)
    with _unit_of_work(sessions) as session:
        for message in end_lease(session, [outgoing.id for outgoing in batch], now=now):
            error = failures.get(message.id)
            if error is None:
                mark_sent(message, now)
            else:
                mark_failed(message, error, now)
    return SendReport(
        sent=len(batch) - len(failures),
        failed=len(failures),
        errors=tuple(f"message {message_id}: {error}" for message_id, error in failures.items()),
    )


def lease_for(mail: MailSettings, limit: int) -> timedelta:
    """Longer than a batch of ``limit`` messages can take: connecting, then one timeout per message at worst."""
    return max(MINIMUM_LEASE, timedelta(seconds=mail.timeout_seconds) * (limit + 3))


@contextmanager
def _unit_of_work(sessions: SessionSource) -> Iterator[Session]:
    if isinstance(sessions, Session):
        yield sessions
        sessions.flush()
        return
    session = sessions()
    try:
        with session.begin():
            yield session
    finally:
        session.close()


def build_message(outgoing: Outgoing, mail: MailSettings) -> EmailMessage:
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = mail.sender
    message["To"] = outgoing.recipient
    message["Subject"] = outgoing.subject
    message["Date"] = format_datetime(outgoing.created_at)
    message["Message-ID"] = f"<lbt.{outgoing.id}.{outgoing.created_at:%Y%m%d%H%M%S%f}@{_sender_domain(mail)}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    message.set_content(outgoing.body)
    return message


def _envelope_sender(mail: MailSettings) -> str:
    return parseaddr(mail.sender)[1] or mail.sender


def _sender_domain(mail: MailSettings) -> str:
    return _envelope_sender(mail).rpartition("@")[2] or "localhost"


def _deliver(batch: Sequence[Outgoing], mail: MailSettings) -> dict[int, str]:
    """Send the batch over one connection; return the error of each message that did not go out."""
    try:
        smtp = _connect(mail)
    except OSError as exc:  # smtplib.SMTPException is an OSError, as are ssl and socket errors
        error = f"no SMTP session with {mail.server}:{mail.port}: {_describe(exc)}"
        logger.warning("mail: %s; %d message(s) wait for the next run", error, len(batch))
        return {outgoing.id: error for outgoing in batch}
    failures: dict[int, str] = {}
    try:
        for index, outgoing in enumerate(batch):
            try:
                message = build_message(outgoing, mail)
            except ValueError as exc:  # only if a row was edited by hand into something unsendable
                failures[outgoing.id] = f"cannot build the message: {exc}"
                continue
            try:
                smtp.send_message(message, from_addr=_envelope_sender(mail), to_addrs=[outgoing.recipient])
            except smtplib.SMTPServerDisconnected as exc:
                failures.update(_fail_rest(batch[index:], f"connection lost: {_describe(exc)}"))
                break
            except smtplib.SMTPException as exc:  # this recipient or message was refused; the session goes on
                failures[outgoing.id] = _describe(exc)
            except OSError as exc:  # a timeout or a reset: the session's state is unknown
                failures.update(_fail_rest(batch[index:], f"connection lost: {_describe(exc)}"))
                break
    finally:
        _close(smtp)
    for message_id, error in failures.items():
        logger.warning("mail: message %d not sent: %s", message_id, error)
    return failures


def _fail_rest(rest: Sequence[Outgoing], error: str) -> dict[int, str]:
    return {outgoing.id: error for outgoing in rest}


def _connect(mail: MailSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if mail.use_ssl:
        smtp = smtplib.SMTP_SSL(mail.server, mail.port, timeout=mail.timeout_seconds, context=context)
    else:
        smtp = smtplib.SMTP(mail.server, mail.port, timeout=mail.timeout_seconds)
    try:
        if mail.use_tls and not mail.use_ssl:
            smtp.starttls(context=context)
        if mail.username:
            smtp.login(mail.username, mail.password)
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except OSError:
        smtp.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = [f"{code} {_text(reply)}" for code, reply in exc.recipients.values()]
        return "; ".join(replies) or "recipient refused"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
