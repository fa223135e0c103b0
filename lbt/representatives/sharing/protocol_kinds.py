"""Receiving the partner's freezes, reopenings and approvals of a protocol or addendum, by the freeze
rounds of ``rounds.py``: a freeze on the base this side holds is taken (the record made what its
document says); two freezes of one round are decided for the host; a reopening on the base this side
holds voids the approvals (and undoes a signature this side alone had seen: the reopening wins); an
approval counts only for the very version it names, and two approvals of one content sign it."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lbt.core.errors import N_
from lbt.exchange.kinds import BodyRefused, Received, handles
from lbt.representatives.canonical import FORMAT, canonical_bytes, content_of, sha256_hex
from lbt.representatives.models import (
    Meeting,
    Protocol,
    ProtocolApproval,
    ProtocolKind,
    ProtocolStatus,
    RefusalReason,
)
from lbt.representatives.sharing import outgoing
from lbt.representatives.sharing.inbound import (
    is_host,
    meeting_named,
    refuse_change,
    refuse_late,
    sender_of,
    void_refusals_against,
)
from lbt.representatives.sharing.record import apply_record
from lbt.representatives.sharing.rounds import (
    Base,
    base_at,
    base_of,
    hashes_of,
    protocol_of,
    read_base,
)
from lbt.representatives.sharing.wire import Reader

log = logging.getLogger(__name__)


def _versions(hashes: list[str]) -> int:
    """How many different contents the rounds froze one after the other (the protocol's version)."""
    return sum(1 for index, digest in enumerate(hashes) if index == 0 or digest != hashes[index - 1])


def _void(protocol: Protocol, at: datetime, reason: str) -> None:
    for approval in protocol.approvals:
        if approval.voided_at is None:
            approval.voided_at, approval.voided_by_id, approval.void_reason = at, None, reason


def _document(reader: Reader, content: str, digest: str, number: int) -> dict[str, Any]:
    if sha256_hex(content.encode()) != digest:
        raise BodyRefused(N_("The protocol's content does not match its SHA-256."))
    try:
        document = json.loads(content)
    except ValueError:
        document = None
    if not isinstance(document, dict) or canonical_bytes(document) != content.encode():
        raise BodyRefused(N_("The protocol's content is not a canonical protocol document."))
    kind = "protocol" if number == 0 else "addendum"
    if document.get("format") != FORMAT or document.get("kind") != kind:
        raise BodyRefused(N_("The protocol's content is not a canonical protocol document."))
    return document


def _take(
    session: Session,
    meeting: Meeting,
    protocol: Protocol | None,
    body: Reader,
    document: dict[str, Any],
    *,
    adopting: bool,
) -> Protocol:
    """This side holds the partner's freeze: its round, its content, its record."""
    number, round_number = body.integer("number", maximum=1000), body.integer("round", minimum=1)
    content, digest, at = body.text("content", max_length=4_000_000), body.sha256("sha256"), body.moment("at")
    if protocol is None:
        kind = ProtocolKind.PROTOCOL if number == 0 else ProtocolKind.ADDENDUM
        protocol = Protocol(uuid=body.uuid("protocol"), number=number, kind=kind, status=ProtocolStatus.DRAFT)
        meeting.protocols.append(protocol)
    elif protocol.uuid != body.uuid("protocol"):
        protocol.uuid = body.uuid("protocol")  # both froze a first version at once: the host's row stands
    if adopting:
        _void(protocol, at, "")
    if number == 0:
        apply_record(session, meeting, Reader(document, "content").object("record"))
    else:
        texts = document.get("texts")
        if not isinstance(texts, dict) or set(texts) != set(meeting.section.working_languages):
            raise BodyRefused(N_("The protocol's content is not a canonical protocol document."))
        protocol.addendum_texts = {str(language): str(text) for language, text in texts.items()}
    hashes = [*hashes_of(protocol)[: round_number - 1], digest]
    protocol.freeze_hashes = hashes
    protocol.version = _versions(hashes)
    if protocol.content_sha256 != digest:
        protocol.content, protocol.content_sha256 = content, digest
    protocol.frozen_at = at
    session.flush()
    if content_of(protocol)[1] != digest:  # e.g. a register entry this side has not been sent yet
        log.warning(
            "representatives exchange: meeting %s: the record here makes another SHA-256", meeting.uuid
        )
    return protocol


@handles(outgoing.FREEZE)
def apply_freeze(session: Session, received: Received, body: dict[str, Any]) -> None:
    reader = Reader(body, "body")
    meeting = meeting_named(session, received, reader)
    sender = sender_of(session, received)
    number, previous = reader.integer("number", maximum=1000), read_base(reader)
    round_number, digest = reader.integer("round", minimum=1), reader.sha256("sha256")
    content, at = reader.text("content", max_length=4_000_000), reader.moment("at")
    reader.uuid("protocol")
    if round_number != previous[0] + 1:
        raise reader._bad("round")
    document = _document(reader, content, digest, number)
    protocol = protocol_of(meeting, number)
    if number > 0:
        signed = protocol_of(meeting, 0)
        if signed is None or signed.status is not ProtocolStatus.SIGNED:
            refuse_change(session, received, meeting, RefusalReason.REOPENED, at=at)
            return
    if base_of(protocol) == previous:
        _take(session, meeting, protocol, reader, document, adopting=False)
        return
    if len(hashes_of(protocol)) >= round_number and base_at(protocol, round_number - 1) == previous:
        # both sides froze this round at once
        if hashes_of(protocol)[round_number - 1] == digest:
            return  # the same content: nothing to decide
        if is_host(meeting, sender):
            discarded = set(hashes_of(protocol)[round_number - 1 :])
            _take(session, meeting, protocol, reader, document, adopting=True)
            void_refusals_against(session, meeting, sender, discarded - {digest})
            return
        refuse_late(session, received, meeting, RefusalReason.SUPERSEDED, at=at, base=previous, number=number)
        return
    refuse_late(session, received, meeting, RefusalReason.FROZEN, at=at, base=previous, number=number)


def _named(
    session: Session, received: Received, reader: Reader
) -> tuple[Meeting, int, Protocol | None, Base, datetime]:
    meeting = meeting_named(session, received, reader)
    number = reader.integer("number", maximum=1000)
    return meeting, number, protocol_of(meeting, number), read_base(reader), reader.moment("at")


def _unsign(session: Session, meeting: Meeting, protocol: Protocol) -> None:
    """A signature only this side had seen is undone by the partner's reopening of the same version
    (the partner never signed it); addenda made on it since are withdrawn (the partner has none)."""
    protocol.status, protocol.signed_at = ProtocolStatus.DRAFT, None
    if protocol.number == 0:
        for addendum in [p for p in meeting.protocols if p.number > 0]:
            for approval in list(addendum.approvals):
                session.delete(approval)
            meeting.protocols.remove(addendum)
            session.delete(addendum)
    session.flush()


@handles(outgoing.REOPEN)
def apply_reopen(session: Session, received: Received, body: dict[str, Any]) -> None:
    reader = Reader(body, "body")
    meeting, number, protocol, base, at = _named(session, received, reader)
    reason = reader.text("reason", max_length=5000)
    if protocol is None or base_of(protocol) != base:
        refuse_late(session, received, meeting, RefusalReason.SUPERSEDED, at=at, base=base, number=number)
        return
    if protocol.status is ProtocolStatus.SIGNED:
        _unsign(session, meeting, protocol)
    _void(protocol, at, reason.strip())
    protocol.frozen_at = None
    session.flush()


@handles(outgoing.APPROVAL)
def apply_approval(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The partner's head approved the version it names on its own instance: recorded here as approved
    there, with the message's id; both sides' approvals of one content sign the protocol."""
    reader = Reader(body, "body")
    meeting, number, protocol, base, at = _named(session, received, reader)
    digest = reader.sha256("sha256")
    sender = sender_of(session, received)
    if digest != base[1]:
        raise reader._bad("sha256")
    if protocol is None or base_of(protocol) != base:
        refuse_late(session, received, meeting, RefusalReason.REOPENED, at=at, base=base, number=number)
        return
    if any(
        a.voided_at is None and a.state_id == sender.id and a.content_sha256 == digest
        for a in protocol.approvals
    ):
        return
    approval = ProtocolApproval(
        state_id=sender.id,
        user_id=None,
        message_id=received.envelope.message_id,
        content_sha256=digest,
        approved_at=at,
    )
    protocol.approvals.append(approval)
    if protocol.frozen_at is None or protocol.status is ProtocolStatus.SIGNED:
        # reopened here before the approval came: it is kept, void, and reported back
        approval.voided_at = received.now
        session.flush()
        refuse_change(session, received, meeting, RefusalReason.REOPENED, at=at)
        return
    live = [
        a for a in protocol.approvals if a.voided_at is None and a.content_sha256 == protocol.content_sha256
    ]
    section = meeting.section
    if {a.state_id for a in live} == {section.state_a_id, section.state_b_id}:
        protocol.status = ProtocolStatus.SIGNED
        protocol.signed_at = max(a.approved_at for a in live)
    session.flush()
