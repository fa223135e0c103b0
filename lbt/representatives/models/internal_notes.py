"""Internal notes: what one side keeps for itself about a meeting, an action or an incident."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from lbt.audit.models import AUDIT_PRIVATE, Audited
from lbt.core.db import Base


class InternalNote(Audited, Base):
    """A note one side keeps about a meeting, action or incident; the other side never sees it."""

    __tablename__ = "internal_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"))
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))  # the side it belongs to
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text, info=AUDIT_PRIVATE)  # the audit log keeps only its hash
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN meeting_id IS NULL THEN 0 ELSE 1 END + CASE WHEN action_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN incident_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_subject",
        ),
        CheckConstraint("text <> ''", name="text"),
    )
