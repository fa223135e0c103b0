"""Receiving: every message is checked before anything of it is used (the signature with the partner's
pinned key, the envelope, the time, its number in the link's order), applied exactly once and in
order (a message whose predecessor has not come is held until it does), and anything refused is logged
and stored as a refusal that changes nothing else."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lbt.core.errors import DomainError
from lbt.exchange.kinds import Received, kind_named
from lbt.exchange.messages import MESSAGE_TYP, Message, peek, token_digest, verify_with
from lbt.exchange.models import ExchangeLink, ExchangeRefusal, IncomingMessage, IncomingStatus
from lbt.exchange.outbox import home_state_of, locked
from lbt.permits.signing import InvalidSignature, MalformedToken, UnknownKey
from lbt.reference.models import Agreement

log = logging.getLogger(__name__)

# a message's time may be this far ahead of our clock (the two instances' clocks differ a little)
CLOCK_SKEW = timedelta(minutes=5)
# the replay window: an older message is refused (a link down longer than this is linked again)
MAX_AGE = timedelta(days=30)
# how far ahead of the next expected number a message may be held
MAX_AHEAD = 10_000


@dataclass(frozen=True)
class Outcome:
    """What became of one message: applied, held (waits for an earlier one), duplicate (applied
    before: changes nothing) or refused (``reason`` says why)."""

    status: str
    message_id: str = ""
    sequence: int | None = None
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.message_id, "seq": self.sequence, "status": self.status}
        if self.reason:
            body["reason"] = self.reason
        return body


def _claimed(payload: Mapping[str, Any] | None) -> tuple[str, int | None, str]:
    """What an unverified message says it is, cut to shape, for the refusal record."""
    if payload is None:
        return "", None, ""
    message_id = payload.get("id") if isinstance(payload.get("id"), str) else ""
    sequence = payload.get("seq")
    kind = payload.get("kind") if isinstance(payload.get("kind"), str) else ""
    valid_sequence = sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else None
    if valid_sequence is not None and not 0 <= valid_sequence < 2**62:
        valid_sequence = None
    return str(message_id)[:36], valid_sequence, str(kind)[:60]


def refuse(
    session: Session,
    *,
    link: ExchangeLink | None,
    reason: str,
    detail: str,
    token: str,
    source: str,
    payload: Mapping[str, Any] | None = None,
    status: str = "refused",
) -> Outcome:
    """Log and store a refusal (its reason and what the message claimed to be, never its body)."""
    message_id, sequence, kind = _claimed(payload)
    session.add(
        ExchangeRefusal(
            link_id=link.id if link is not None else None,
            reason=reason,
            detail=detail[:500],
            message_id=message_id,
            sequence=sequence,
            kind=kind,
            token_sha256=token_digest(token) if isinstance(token, str) else "",
            source=source[:120],
        )
    )
    log.warning(
        "exchange: %s message refused (%s): %s [link %s, id %s, seq %s, kind %s, from %s]",
        "duplicate" if status == "duplicate" else "a",
        reason,
        detail,
        link.id if link is not None else "-",
        message_id or "-",
        sequence if sequence is not None else "-",
        kind or "-",
        source,
    )
    return Outcome(status, message_id, sequence, reason)


def find_link(session: Session, agreement_code: object, partner_state: object) -> ExchangeLink | None:
    if not isinstance(agreement_code, str) or not isinstance(partner_state, str):
        return None
    return session.scalar(
        select(ExchangeLink)
        .join(Agreement, Agreement.id == ExchangeLink.agreement_id)
        .where(
            Agreement.code == agreement_code,
            ExchangeLink.partner_state == partner_state,
            ExchangeLink.is_active,
        )
    )


def receive(session: Session, token: str, *, home_state: str, now: datetime, source: str) -> Outcome:
    """Check one message and apply it (with any held ones it unblocks), hold it, or refuse it."""
    try:
        claimed = peek(token)
    except MalformedToken as error:
        return refuse(session, link=None, reason="malformed", detail=str(error), token=token, source=source)
    link = find_link(session, claimed.get("agr"), claimed.get("from"))
    if link is None:
        return refuse(
            session,
            link=None,
            reason="unknown_link",
            detail="no active link for the agreement and sender it names",
            token=token,
            source=source,
            payload=claimed,
        )

    def refused(reason: str, detail: str, status: str = "refused") -> Outcome:
        return refuse(
            session,
            link=link,
            reason=reason,
            detail=detail,
            token=token,
            source=source,
            payload=claimed,
            status=status,
        )

    try:
        message = Message.from_payload(verify_with(token, link.partner_jwk, MESSAGE_TYP))
    except UnknownKey:
        return refused("wrong_key", "not signed with the partner's pinned exchange key")
    except InvalidSignature:
        return refused("bad_signature", "the signature does not match: changed or forged")
    except MalformedToken as error:
        return refused("malformed", str(error))
    envelope = message.envelope
    if envelope.recipient != home_state or envelope.sender != link.partner_state:
        return refused("wrong_recipient", f"addressed from {envelope.sender} to {envelope.recipient}")
    if envelope.sent_at > now + CLOCK_SKEW:
        return refused("from_the_future", "its time is ahead of this instance's clock")
    if envelope.sent_at < now - MAX_AGE:
        return refused("too_old", "older than the replay window")

    link = locked(session, link)  # one receiver a link at a time from here: the order is decided here
    digest = token_digest(token)
    same_id = session.scalar(
        select(IncomingMessage).where(
            IncomingMessage.link_id == link.id, IncomingMessage.message_id == envelope.message_id
        )
    )
    if same_id is not None:
        if same_id.token_sha256 != digest:
            return refused("id_reused", "another message came before with this id")
        if same_id.status is IncomingStatus.HELD:
            return Outcome("held", envelope.message_id, envelope.sequence)
        return refused("duplicate", "applied before: nothing changes", status="duplicate")
    if envelope.sequence <= link.in_sequence:
        return refused(
            "replayed", f"number {envelope.sequence} is already used (applied up to {link.in_sequence})"
        )
    if envelope.sequence > link.in_sequence + MAX_AHEAD:
        return refused("too_far_ahead", "too many numbers ahead of what was applied")
    if session.scalar(
        select(IncomingMessage.id).where(
            IncomingMessage.link_id == link.id, IncomingMessage.sequence == envelope.sequence
        )
    ):
        return refused("sequence_taken", f"another message holds number {envelope.sequence}")
    if kind_named(envelope.kind) is None:
        return refused("unknown_kind", f"this instance does not know the kind {envelope.kind}")

    if envelope.sequence != link.in_sequence + 1:
        session.add(_held(link, message, token, digest))
        session.flush()
        return Outcome("held", envelope.message_id, envelope.sequence)
    problem = _apply(session, link, message, _held(link, message, token, digest), now)
    if problem is not None:
        return refused("not_applicable", problem)
    apply_held(session, link, now=now)
    return Outcome("applied", envelope.message_id, envelope.sequence)


def _held(link: ExchangeLink, message: Message, token: str, digest: str) -> IncomingMessage:
    envelope = message.envelope
    return IncomingMessage(
        link_id=link.id,
        message_id=envelope.message_id,
        sequence=envelope.sequence,
        kind=envelope.kind,
        sent_at=envelope.sent_at,
        token=token,
        token_sha256=digest,
        status=IncomingStatus.HELD,
    )


def _apply(
    session: Session, link: ExchangeLink, message: Message, stored: IncomingMessage, now: datetime
) -> str | None:
    """Run the kind's handler and mark the message applied, in one savepoint: all of it or nothing.
    Returns why it could not be applied (None: applied)."""
    kind = kind_named(message.envelope.kind)
    if kind is None:
        return f"this instance does not know the kind {message.envelope.kind}"
    try:
        with session.begin_nested():
            if stored not in session:
                session.add(stored)
            kind.apply(session, Received(link, message.envelope, now), message.body)
            stored.status = IncomingStatus.APPLIED
            stored.applied_at = now
            link.in_sequence = message.envelope.sequence
            link.last_received_at = now
            session.flush()
    except DomainError as error:
        return f"the {message.envelope.kind} handler refused it: {error}"
    except (ValueError, TypeError, KeyError, LookupError, SQLAlchemyError) as error:
        log.exception("exchange: the %s handler failed", message.envelope.kind)
        return f"the {message.envelope.kind} handler failed: {type(error).__name__}"
    return None


def apply_held(session: Session, link: ExchangeLink, *, now: datetime) -> int:
    """Apply the held messages that follow on from what was applied, in order; one that cannot be
    applied is dropped (and refused) so that the sender, who still has it queued, offers it again."""
    applied = 0
    while True:
        held = session.scalar(
            select(IncomingMessage).where(
                IncomingMessage.link_id == link.id,
                IncomingMessage.sequence == link.in_sequence + 1,
                IncomingMessage.status == IncomingStatus.HELD,
            )
        )
        if held is None:
            return applied
        try:
            message = Message.from_payload(verify_with(held.token, link.partner_jwk, MESSAGE_TYP))
        except (UnknownKey, InvalidSignature, MalformedToken):
            message = None  # held before a key rotation it followed: the sender offers it again
        problem = "no longer verifies with the partner's key" if message is None else None
        if message is not None:
            problem = _apply(session, link, message, held, now)
        if problem is not None:
            token = held.token
            session.delete(held)
            session.flush()
            refuse(
                session,
                link=link,
                reason="not_applicable",
                detail=problem,
                token=token,
                source="held",
                payload={"id": held.message_id, "seq": held.sequence, "kind": held.kind},
            )
            return applied
        applied += 1


def check_home(link: ExchangeLink, home_state: str) -> bool:
    return home_state_of(link) == home_state
