"""Actions: the follow-up of decisions, with the progress notes both sides share."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import BorderSection, State
from lbt.representatives.enums import ActionStatus
from lbt.representatives.models.shared_ids import shared_id

if TYPE_CHECKING:
    from lbt.representatives.models.meetings import AgendaItem


class Action(Audited, Base):
    """A decision's follow-up: what the responsible side must do by when, reported on at later meetings."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = shared_id()
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"))
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    responsible_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(enum_type(ActionStatus, "status"), default=ActionStatus.OPEN)
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = stamped()

    agenda_item: Mapped[AgendaItem] = relationship(back_populates="actions", foreign_keys=[agenda_item_id])
    responsible_state: Mapped[State] = relationship()
    section: Mapped[BorderSection] = relationship()  # its deadline is a day on the section's clock
    notes: Mapped[list[ActionNote]] = relationship(back_populates="action", order_by="ActionNote.id")

    __table_args__ = (
        Index("ix_actions_section_status", "section_id", "status"),
        Index("ix_actions_overdue", "status", "due_on"),
        CheckConstraint("(status = 'done') = (completed_at IS NOT NULL)", name="completed_at"),
        CheckConstraint("description <> ''", name="description"),
    )


class ActionNote(Audited, Base):
    """A progress note on an action, shared with the other side."""

    __tablename__ = "action_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id")
    )  # None: written on the partner's instance
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ActionStatus | None] = mapped_column(enum_type(ActionStatus, "status"))  # set by the note

    action: Mapped[Action] = relationship(back_populates="notes")
