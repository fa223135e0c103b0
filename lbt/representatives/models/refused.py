"""Changes to a shared meeting that the other instance refused (or that this one refused from the
partner): kept on both sides so that both read the same outcome, and the author learns why."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import State


class RefusalReason(enum.StrEnum):
    FROZEN = "frozen"  # made on a draft the other side has frozen (or moved on from) since
    SUPERSEDED = "superseded"  # both sides froze (or added) at once: the host's stands
    REOPENED = "reopened"  # an approval or addendum for a version the other side had reopened
    WITHDRAWN = "withdrawn"  # about an agenda item the other side withdrew (the host's took its place)
    CONFLICT = "conflict"  # the same text changed on both sides at once: the host's stands


class RefusedChange(Audited, Base):
    """One change of a side that did not become part of the shared record, and why."""

    __tablename__ = "refused_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))  # the side whose change it was
    kind: Mapped[str] = mapped_column(String(60))  # the message kind of the change
    message_id: Mapped[str] = mapped_column(String(36))  # the message that carried the change
    reason: Mapped[RefusalReason] = mapped_column(enum_type(RefusalReason, "reason"))
    at: Mapped[datetime]  # when the change was made
    # the SHA-256 of the refusing side's own freeze that the change came too late for ("" for none): if
    # that freeze gives way to the host's (both froze at once), the change is in the host's and the
    # refusal is void
    against_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = stamped()

    state: Mapped[State] = relationship()

    __table_args__ = (Index("ix_refused_changes_meeting_id", "meeting_id", "message_id", unique=True),)
