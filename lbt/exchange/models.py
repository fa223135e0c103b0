"""The partner exchange's records: the link to the partner instance of an agreement (its address and
its pinned exchange key), the messages sent (the outbox) and received (the inbox), and the messages
refused on receipt."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import Agreement


class ExchangeLink(Audited, Base):
    """The link to the partner's instance for one agreement: where it answers, the exchange key it signs
    with (pinned when the link is made; replaced only by a rotation signed with the old key), the key
    this side signs with, and how far each direction's numbered messages have come."""

    __tablename__ = "exchange_links"
    # counters and contact times move with every message; the messages themselves are logged
    __audit_ignore__ = frozenset(
        {
            "out_sequence",
            "in_sequence",
            "last_fetch_request",
            "last_sent_at",
            "last_received_at",
            "last_error",
            "last_error_at",
            "marks",
        }
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), unique=True)
    partner_state: Mapped[str] = mapped_column(String(2))
    partner_url: Mapped[str] = mapped_column(String(300))
    partner_kid: Mapped[str] = mapped_column(String(64))
    partner_jwk: Mapped[dict[str, str]] = mapped_column(JSON)
    own_kid: Mapped[str] = mapped_column(String(64))  # this instance's exchange key for this link
    out_sequence: Mapped[int] = mapped_column(default=0)  # the last number given to a message we send
    in_sequence: Mapped[int] = mapped_column(default=0)  # the last number applied from the partner
    # the partner's last fetch request (microseconds of its clock): an older or equal one is a replay
    last_fetch_request: Mapped[int] = mapped_column(BigInteger, default=0)
    last_sent_at: Mapped[datetime | None]  # the partner last confirmed a message of ours
    last_received_at: Mapped[datetime | None]  # a genuine message or request of the partner last came
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None]
    # what the message producers last sent on this link (a digest of the trust list, ...)
    marks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    # an administrator stopped the link's traffic (revision 0022): nothing is pushed or fetched and the
    # partner's requests are answered 409, while changes still queue on it in order (docs/exchange.md)
    deactivated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = stamped()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    agreement: Mapped[Agreement] = relationship()

    __table_args__ = (
        CheckConstraint("out_sequence >= 0 AND in_sequence >= 0", name="sequences"),
        CheckConstraint("length(partner_state) = 2", name="partner_state"),
    )

    def audit_label(self) -> str:
        return f"{self.partner_state}:{self.agreement_id}"


class OutgoingMessage(Base):
    """A message to the partner, numbered in its link's sequence when it is made (in the transaction of
    the change it tells about) and signed when first handed out, so every retry sends the same bytes.
    Not audited row by row (it may name holders, and it is transport): the change it tells about is."""

    __tablename__ = "exchange_outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("exchange_links.id"))
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(String(60))
    kid: Mapped[str] = mapped_column(String(64))  # the key it is signed with (the link's, when made)
    payload: Mapped[str] = mapped_column(Text)  # the canonical JSON that is signed
    token: Mapped[str | None] = mapped_column(Text)  # the compact JWS, once made
    created_at: Mapped[datetime] = stamped()
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None]  # the partner confirmed it applied it

    link: Mapped[ExchangeLink] = relationship()

    __table_args__ = (
        UniqueConstraint("link_id", "sequence"),
        CheckConstraint("sequence >= 1", name="sequence"),
        # what waits to be sent: a few rows among all ever sent
        Index(
            "ix_exchange_outbox_queued",
            "link_id",
            "sequence",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
    )


class IncomingStatus(enum.StrEnum):
    HELD = "held"  # genuine, but an earlier message of its link has not come yet
    APPLIED = "applied"


class IncomingMessage(Base):
    """A genuine message of the partner: held until every earlier one of its link is applied, then
    applied once (its handler ran in the transaction that marked it applied). Not audited row by row:
    what its handler changed is."""

    __tablename__ = "exchange_inbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("exchange_links.id"))
    message_id: Mapped[str] = mapped_column(String(36))
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(String(60))
    sent_at: Mapped[datetime]  # the message's own time (iat)
    received_at: Mapped[datetime] = stamped()
    token: Mapped[str] = mapped_column(Text)
    token_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[IncomingStatus] = mapped_column(enum_type(IncomingStatus, "status"))
    applied_at: Mapped[datetime | None]

    link: Mapped[ExchangeLink] = relationship()

    __table_args__ = (
        UniqueConstraint("link_id", "sequence"),
        UniqueConstraint("link_id", "message_id"),
        CheckConstraint("sequence >= 1", name="sequence"),
        CheckConstraint("(status = 'applied') = (applied_at IS NOT NULL)", name="applied_at"),
    )

    def audit_label(self) -> str:
        return f"{self.kind}#{self.sequence}"


class ExchangeRefusal(Base):
    """A message (or fetch request) refused on receipt: why, and what it claimed to be; never its
    content (it may name people, and a forgery's content is nobody's record). Not audited row by row:
    anyone can send rubbish to the inbox, and the row itself is the record."""

    __tablename__ = "exchange_refusals"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_links.id"))
    received_at: Mapped[datetime] = stamped()
    reason: Mapped[str] = mapped_column(String(40))  # a code: bad_signature, wrong_key, replayed, ...
    detail: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(36), default="")  # as claimed, unverified
    sequence: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(60), default="")
    token_sha256: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(120), default="")

    __table_args__ = (Index("ix_exchange_refusals_link_id_received_at", "link_id", "received_at"),)


# --- what the partner sent (phase 2: the trust list, withdrawals, misuse cases, reports) ------------


class PartnerSigningKey(Audited, Base):
    """A permit signing key of the partner state, from its trust list: a permit whose QR it signed is a
    genuine permit of that state. A key the latest list no longer holds is kept, marked withdrawn."""

    __tablename__ = "partner_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("exchange_links.id"), index=True)
    state: Mapped[str] = mapped_column(String(2))
    kid: Mapped[str] = mapped_column(String(64))
    jwk: Mapped[dict[str, str]] = mapped_column(JSON)
    received_at: Mapped[datetime] = stamped()
    withdrawn_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("state", "kid"),)

    def audit_label(self) -> str:
        return f"{self.state}:{self.kid[:12]}"


class PartnerWithdrawal(Audited, Base):
    """A permit of the partner state that it suspended, revoked, annulled or replaced, as its
    revocation list and deltas said (a reinstated permit's row goes)."""

    __tablename__ = "partner_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("exchange_links.id"))
    state: Mapped[str] = mapped_column(String(2))
    permit_number: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # suspended, revoked, annulled, replaced
    # the public status list's entry for the permit (SHA-256/128 of its QR's signature), for /v
    digest: Mapped[str] = mapped_column(String(22), default="")
    changed_at: Mapped[datetime | None]
    valid_until: Mapped[date | None]
    received_at: Mapped[datetime] = stamped()

    __table_args__ = (
        UniqueConstraint("state", "permit_number"),
        Index("ix_partner_withdrawals_link_id", "link_id"),
        CheckConstraint("status IN ('suspended', 'revoked', 'annulled', 'replaced')", name="status"),
    )

    def audit_label(self) -> str:
        return self.permit_number


class PartnerMisuseCase(Audited, Base):
    """A case of misuse the partner recorded about a permit it issued (Art. 17), as it sent it."""

    __tablename__ = "partner_misuse_cases"
    __audit_redact__ = frozenset({"holder", "description"})  # names the holder

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("exchange_links.id"))
    remote_id: Mapped[int]  # the case's id on the partner's instance
    permit_number: Mapped[str] = mapped_column(String(20))
    holder: Mapped[dict[str, Any]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(30))
    detected_at: Mapped[datetime]
    crossing_point: Mapped[str] = mapped_column(String(20), default="")
    days_over: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    penalty: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = stamped()
    updated_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("link_id", "remote_id"),)

    def audit_label(self) -> str:
        return f"{self.permit_number}:{self.remote_id}"


class PartnerReport(Audited, Base):
    """A six-monthly report the partner made for us (its report.json and report.jws, as signed)."""

    __tablename__ = "partner_reports"
    __audit_redact__ = frozenset({"content", "jws"})

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("exchange_links.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    version: Mapped[int]
    content: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    jws: Mapped[str] = mapped_column(Text)
    made_at: Mapped[datetime]
    received_at: Mapped[datetime] = stamped()
    # when its signature was checked with the partner's trust list; None: signed with a key whose
    # trust list has not come yet (a rotation just before the report), checked when it comes
    verified_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("link_id", "period_start", "version"),)

    def audit_label(self) -> str:
        return f"{self.period_start.isoformat()}:v{self.version}"


class ReportAcknowledgement(Audited, Base):
    """The partner's acknowledgement that it received one of our six-monthly reports, byte for byte
    (the SHA-256 it names is that of the report.json it stored)."""

    __tablename__ = "report_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), unique=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("exchange_links.id"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime]  # the partner's time of receipt
    received_at: Mapped[datetime] = stamped()

    def audit_label(self) -> str:
        return str(self.report_id)


class PartnerCrossing(Base):
    """An exit (or entry) of a holder of the partner's permit, recorded on this side when the agreement
    asks both sides to record (``Agreement.both_sides_record``). Like ``Crossing``, not audited row by
    row: the row is the record, idempotent on the device's UUID."""

    __tablename__ = "partner_crossings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    issuing_state: Mapped[str] = mapped_column(String(2))
    permit_number: Mapped[str] = mapped_column(String(20))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    crossing_point_id: Mapped[int] = mapped_column(ForeignKey("crossing_points.id"))
    direction: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime]
    recorded_at: Mapped[datetime] = stamped()
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[str] = mapped_column(String(10))

    __table_args__ = (
        Index("ix_partner_crossings_permit", "issuing_state", "permit_number", "at"),
        CheckConstraint("direction IN ('entry', 'exit')", name="direction"),
    )


class PartnerRecordedCrossing(Base):
    """A crossing of a holder of one of our permits that the partner's guard recorded on its side (the
    agreement asks both sides to record), as the exchange carried it: not a crossing of ours (it
    counts in no stay), shown on the permit's history as recorded by the partner. Like ``Crossing``,
    not audited row by row; idempotent on the partner's device UUID."""

    __tablename__ = "partner_recorded_crossings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("exchange_links.id"))
    # None when no permit of the link's agreement has that number here (e.g. after a restore from
    # a backup older than the permit): kept all the same, so the link goes on and nothing is lost
    permit_id: Mapped[int | None] = mapped_column(ForeignKey("permits.id"), index=True)
    permit_number: Mapped[str] = mapped_column(String(20))  # as the partner's guard scanned it
    client_id: Mapped[str] = mapped_column(String(36))  # the partner's device UUID of the crossing
    message_id: Mapped[str] = mapped_column(String(36))  # the message that carried it
    direction: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime]
    crossing_point: Mapped[str] = mapped_column(String(20))  # the partner's code for its point
    received_at: Mapped[datetime] = stamped()

    __table_args__ = (
        UniqueConstraint("link_id", "client_id"),
        CheckConstraint("direction IN ('entry', 'exit')", name="direction"),
    )
