"""Protocols: frozen versions of a meeting's record (and its addenda) and the heads of delegation's approvals."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.accounts.models import User
from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type
from lbt.reference.models import State
from lbt.representatives.enums import ProtocolKind, ProtocolStatus
from lbt.representatives.models.indexes import partial_unique
from lbt.representatives.models.shared_ids import shared_id

if TYPE_CHECKING:
    from lbt.representatives.models.meetings import Meeting


class Protocol(Audited, Base):
    """A frozen version of a meeting's record (or an addendum) and its approvals by both sides."""

    __tablename__ = "protocols"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = shared_id()
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    number: Mapped[int]  # 0 the protocol, 1.. its addenda
    kind: Mapped[ProtocolKind] = mapped_column(enum_type(ProtocolKind, "kind"))
    status: Mapped[ProtocolStatus] = mapped_column(enum_type(ProtocolStatus, "status"))
    version: Mapped[int] = mapped_column(default=0)  # how many times it was frozen
    addendum_texts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # language -> text
    content: Mapped[str] = mapped_column(Text, default="")  # canonical JSON of the frozen version
    content_sha256: Mapped[str] = mapped_column(String(64), default="")
    # the SHA-256 frozen at each freeze, oldest first: the freeze rounds both linked instances count
    # alike (a change names the round it was made on; docs/exchange.md, "Concurrent edits")
    freeze_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    frozen_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]

    meeting: Mapped[Meeting] = relationship(back_populates="protocols")
    approvals: Mapped[list[ProtocolApproval]] = relationship(
        back_populates="protocol", order_by="ProtocolApproval.id"
    )

    __table_args__ = (
        UniqueConstraint("meeting_id", "number"),
        CheckConstraint("(kind = 'protocol') = (number = 0)", name="kind_number"),
        CheckConstraint(
            "status <> 'signed' OR (signed_at IS NOT NULL AND content_sha256 <> '')", name="signed"
        ),
    )

    @property
    def is_locked(self) -> bool:
        return self.status is ProtocolStatus.SIGNED


class ProtocolApproval(Audited, Base):
    """A head of delegation's approval of exactly the content whose SHA-256 it stores."""

    __tablename__ = "protocol_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocols.id", ondelete="CASCADE"), index=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id")
    )  # None: given on the partner's instance
    message_id: Mapped[str] = mapped_column(String(36), default="")  # the partner's message that carried it
    content_sha256: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime]
    voided_at: Mapped[datetime | None]  # the protocol was reopened after the approval
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str] = mapped_column(Text, default="")  # why it was reopened, as its side wrote

    protocol: Mapped[Protocol] = relationship(back_populates="approvals")
    state: Mapped[State] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])

    __table_args__ = (
        partial_unique(
            "uq_protocol_approvals_one_live", "protocol_id", "state_id", where="voided_at IS NULL"
        ),
        CheckConstraint("length(content_sha256) = 64", name="sha256_length"),
        CheckConstraint("user_id IS NOT NULL OR message_id <> ''", name="approver"),
    )

    @property
    def is_remote(self) -> bool:
        """Approved on the partner's instance (its head has no account here)."""
        return self.user_id is None
