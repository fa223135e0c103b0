"""The alert list (entry bans), kept by supervisors, and the hits it gives on applications."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.audit.models import Audited
from lbt.core.db import Base, stamped


class Alert(Audited, Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    surname_latin: Mapped[str] = mapped_column(String(100))
    given_names_latin: Mapped[str] = mapped_column(String(100), default="")
    search_name: Mapped[str] = mapped_column(String(210))
    birth_date: Mapped[date | None]
    document_number: Mapped[str] = mapped_column(String(30), default="", index=True)
    reason: Mapped[str] = mapped_column(Text)
    valid_until: Mapped[date | None]  # none: until lifted
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = stamped()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_alerts_search_name_birth_date", "search_name", "birth_date"),)


class AlertHit(Audited, Base):
    """An application matched an alert; approval is blocked until a supervisor clears the hit."""

    __tablename__ = "alert_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    found_at: Mapped[datetime] = stamped()
    cleared_at: Mapped[datetime | None]
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    clear_reason: Mapped[str] = mapped_column(Text, default="")

    alert: Mapped[Alert] = relationship()

    __table_args__ = (UniqueConstraint("application_id", "alert_id"),)
