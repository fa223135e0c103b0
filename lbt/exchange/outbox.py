"""The outbox: messages are numbered per link when they are made and signed when first handed out
(pushed to the partner's inbox or fetched by the partner); a message counts as delivered once the
partner confirms it applied it (a signed receipt, or a signed fetch request saying how far it got).
A push that fails waits, doubling the wait each time (30 s up to an hour); a partner that answers
429 (too many requests) is offered them again after the wait it asks for, without doubling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lbt.core.errors import N_, DomainError
from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.messages import KIND_RE, Envelope, Message, payload_text, sign_payload
from lbt.exchange.models import ExchangeLink, OutgoingMessage
from lbt.permits.signing import canonical_json

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
BATCH_MESSAGES = 50
BATCH_CHARS = 4 * 1024 * 1024


class NotSendable(DomainError):
    """A message cannot be made: its kind or body is not one the format allows."""


def link_for(session: Session, agreement_id: int, *, lock: bool = False) -> ExchangeLink | None:
    """The agreement's active link; locked for this transaction when it numbers a message."""
    query = select(ExchangeLink).where(ExchangeLink.agreement_id == agreement_id, ExchangeLink.is_active)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def locked(session: Session, link: ExchangeLink) -> ExchangeLink:
    """``link`` read again under a row lock: numbering and the receive order need one writer a link."""
    found = session.scalar(
        select(ExchangeLink)
        .where(ExchangeLink.id == link.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


def home_state_of(link: ExchangeLink) -> str:
    """This side of the link: the agreement's other party."""
    home = link.agreement.partner_of(link.partner_state)
    if home is None:  # a link is made only for a party of the agreement
        raise NotSendable(N_("The link names a state that is not a party to its agreement."))
    return home.code


def enqueue_on_link(
    session: Session, link: ExchangeLink, kind: str, body: dict[str, Any], *, now: datetime
) -> OutgoingMessage:
    """Number and store a message on ``link``, which the caller holds locked (``link_for(lock=True)``)."""
    if not KIND_RE.fullmatch(kind) or len(kind) > 60:
        raise NotSendable(N_("%(kind)s is not a message kind."), kind=kind)
    try:
        canonical_json(body)
    except (TypeError, ValueError):
        raise NotSendable(
            N_("A message body must be plain JSON (no dates or numbers that are not finite).")
        ) from None
    link.out_sequence += 1
    envelope = Envelope.new(
        sender=home_state_of(link),
        recipient=link.partner_state,
        agreement=link.agreement.code,
        sequence=link.out_sequence,
        now=now,
        kind=kind,
    )
    message = OutgoingMessage(
        link_id=link.id,
        message_id=envelope.message_id,
        sequence=envelope.sequence,
        kind=kind,
        kid=link.own_kid,
        payload=payload_text(Message(envelope, body)),
        next_attempt_at=now,
    )
    session.add(message)
    session.flush()
    return message


def queued(session: Session, link: ExchangeLink, *, after: int = 0) -> Sequence[OutgoingMessage]:
    return session.scalars(
        select(OutgoingMessage)
        .where(
            OutgoingMessage.link_id == link.id,
            OutgoingMessage.delivered_at.is_(None),
            OutgoingMessage.sequence > after,
        )
        .order_by(OutgoingMessage.sequence)
        .limit(BATCH_MESSAGES)
    ).all()


def queued_count(session: Session, link: ExchangeLink) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(OutgoingMessage)
            .where(OutgoingMessage.link_id == link.id, OutgoingMessage.delivered_at.is_(None))
        )
        or 0
    )


def signed(messages: Sequence[OutgoingMessage], keys: ExchangeKeyStore) -> list[OutgoingMessage]:
    """The messages (in order) that fit one request, each signed with its key once and kept so."""
    batch, size = [], 0
    for message in messages:
        if message.token is None:
            message.token = sign_payload(message.payload, keys.key(message.kid))
        if batch and size + len(message.token) > BATCH_CHARS:
            break
        batch.append(message)
        size += len(message.token)
    return batch


def due(messages: Sequence[OutgoingMessage], now: datetime) -> bool:
    """Whether the oldest waiting message may be offered now (the rest go with it, in order)."""
    return bool(messages) and (messages[0].next_attempt_at is None or messages[0].next_attempt_at <= now)


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling up to an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def failed(messages: Sequence[OutgoingMessage], error: str, now: datetime) -> None:
    for message in messages:
        message.attempts += 1
        message.last_error = error[:500]
        message.next_attempt_at = now + retry_delay(message.attempts)


def postponed(messages: Sequence[OutgoingMessage], wait: timedelta, error: str, now: datetime) -> None:
    """The partner asked us to wait (429 Too Many Requests, its Retry-After): not a failed attempt, so
    the wait does not grow; it is kept between 30 s and an hour."""
    wait = min(max(wait, FIRST_RETRY), LONGEST_RETRY)
    for message in messages:
        message.last_error = error[:500]
        message.next_attempt_at = now + wait


def delivered(session: Session, link: ExchangeLink, message_ids: Sequence[str], now: datetime) -> int:
    if not message_ids:
        return 0
    result = session.execute(
        update(OutgoingMessage)
        .where(
            OutgoingMessage.link_id == link.id,
            OutgoingMessage.message_id.in_(list(message_ids)),
            OutgoingMessage.delivered_at.is_(None),
        )
        .values(delivered_at=now, last_error="")
        .execution_options(synchronize_session="fetch")
    )
    link.last_sent_at = now
    return int(getattr(result, "rowcount", 0) or 0)


def delivered_up_to(session: Session, link: ExchangeLink, sequence: int, now: datetime) -> int:
    """The partner says it applied every message up to ``sequence`` (in a signed fetch request)."""
    sequence = min(sequence, link.out_sequence)
    result = session.execute(
        update(OutgoingMessage)
        .where(
            OutgoingMessage.link_id == link.id,
            OutgoingMessage.sequence <= sequence,
            OutgoingMessage.delivered_at.is_(None),
        )
        .values(delivered_at=now, last_error="")
        .execution_options(synchronize_session="fetch")
    )
    link.last_sent_at = now
    return int(getattr(result, "rowcount", 0) or 0)


def trusted_kid(session: Session, link: ExchangeLink) -> str:
    """The key the partner trusts for us now: that of our oldest message it has not applied (before a
    rotation it applied, the old key), else the link's key. Receipts and fetch requests use it."""
    oldest = session.scalar(
        select(OutgoingMessage.kid)
        .where(OutgoingMessage.link_id == link.id, OutgoingMessage.delivered_at.is_(None))
        .order_by(OutgoingMessage.sequence)
        .limit(1)
    )
    return oldest or link.own_kid


def kids_in_use(session: Session) -> set[str]:
    """Every exchange key a link or a message not yet applied by the partner still needs."""
    links = set(session.scalars(select(ExchangeLink.own_kid)))
    waiting = set(session.scalars(select(OutgoingMessage.kid).where(OutgoingMessage.delivered_at.is_(None))))
    return links | waiting


def enqueue_in_flush(
    session: Session, agreement_id: int, kind: str, body: dict[str, Any], *, now: datetime
) -> bool:
    """``enqueue_on_link`` from inside a flush (an ``after_flush`` listener, where the ORM may not add
    rows): the same numbering under the same row lock, in Core statements on the flush's connection.
    False when the agreement has no active link."""
    from lbt.reference.models import Agreement, State

    links = ExchangeLink.__table__
    connection = session.connection()
    row = connection.execute(
        select(links.c.id, links.c.out_sequence, links.c.own_kid, links.c.partner_state)
        .where(links.c.agreement_id == agreement_id, links.c.is_active)
        .with_for_update()
    ).first()
    if row is None:
        return False
    agreement = connection.execute(
        select(Agreement.code, Agreement.state_a_id, Agreement.state_b_id).where(Agreement.id == agreement_id)
    ).one()
    codes = dict(
        connection.execute(
            select(State.id, State.code).where(State.id.in_([agreement.state_a_id, agreement.state_b_id]))
        ).all()
    )
    home = next(code for code in codes.values() if code != row.partner_state)
    sequence = row.out_sequence + 1
    envelope = Envelope.new(
        sender=home,
        recipient=row.partner_state,
        agreement=agreement.code,
        sequence=sequence,
        now=now,
        kind=kind,
    )
    connection.execute(update(links).where(links.c.id == row.id).values(out_sequence=sequence))
    connection.execute(
        OutgoingMessage.__table__.insert().values(
            link_id=row.id,
            message_id=envelope.message_id,
            sequence=sequence,
            kind=kind,
            kid=row.own_kid,
            payload=payload_text(Message(envelope, body)),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
            last_error="",
        )
    )
    return True
