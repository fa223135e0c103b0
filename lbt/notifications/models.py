"""The mail outbox: a message is stored with the change that caused it and sent afterwards, so a
failed send is retried and never lost."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lbt.core.db import Base, stamped


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = stamped()
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = stamped()
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_messages_pending", "sent_at", "next_attempt_at"),)
