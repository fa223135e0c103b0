"""Meetings: the section's rules, the request and the written exchange of replies, the participants, and the
agenda with its texts in each working language."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.accounts.models import User
from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import BorderSection, CrossingPoint, State
from lbt.representatives.enums import AgendaKind, ExchangeKind, MeetingKind, MeetingStatus
from lbt.representatives.models.indexes import partial_unique
from lbt.representatives.models.shared_ids import shared_id

if TYPE_CHECKING:
    from lbt.representatives.models.actions import Action
    from lbt.representatives.models.incidents import Incident
    from lbt.representatives.models.protocols import Protocol
    from lbt.representatives.models.register import Representative

DEFAULT_MIN_NOTICE_DAYS = 7
DEFAULT_REPLY_HOURS = 48


class MeetingRules(Audited, Base):
    """Per-section override of the meeting rules; a section without a row uses the defaults."""

    __tablename__ = "meeting_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"), unique=True)
    min_notice_days: Mapped[int] = mapped_column(default=DEFAULT_MIN_NOTICE_DAYS)
    reply_hours: Mapped[int] = mapped_column(default=DEFAULT_REPLY_HOURS)

    __table_args__ = (
        CheckConstraint("min_notice_days BETWEEN 0 AND 60", name="min_notice_days"),
        CheckConstraint("reply_hours BETWEEN 1 AND 168", name="reply_hours"),
    )


class Meeting(Audited, Base):
    """A meeting from its request through the exchange of replies to its record and protocol."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = shared_id()
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"))
    kind: Mapped[MeetingKind] = mapped_column(enum_type(MeetingKind, "kind"))
    status: Mapped[MeetingStatus] = mapped_column(enum_type(MeetingStatus, "status"))
    # None when the partner's instance sent the request (its representatives have no account here)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposer_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    host_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))  # whose territory; the host chairs
    starts_at: Mapped[datetime]
    crossing_point_id: Mapped[int | None] = mapped_column(ForeignKey("crossing_points.id"))
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    # a crossing point of the partner's that this instance's reference data does not hold, by its code
    crossing_point_code: Mapped[str] = mapped_column(String(20), default="")
    # sent to or received from the partner's instance: every later change of it travels too
    is_exchanged: Mapped[bool] = mapped_column(default=False)
    awaiting_state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"))  # who must answer
    reply_due_at: Mapped[datetime | None]
    held_at: Mapped[datetime | None]
    # the start time that the participants' last invitation and reminder mails announced
    # (``lbt representatives remind``: a new time gets a new invitation, each one mail only once)
    invitation_sent_for: Mapped[datetime | None]
    reminder_sent_for: Mapped[datetime | None]
    created_at: Mapped[datetime] = stamped()

    section: Mapped[BorderSection] = relationship()
    proposed_by: Mapped[User | None] = relationship()
    proposer_state: Mapped[State] = relationship(foreign_keys=[proposer_state_id])
    host_state: Mapped[State] = relationship(foreign_keys=[host_state_id])
    awaiting_state: Mapped[State | None] = relationship(foreign_keys=[awaiting_state_id])
    crossing_point: Mapped[CrossingPoint | None] = relationship()
    exchanges: Mapped[list[MeetingExchange]] = relationship(
        back_populates="meeting", order_by="MeetingExchange.id"
    )
    participants: Mapped[list[MeetingParticipant]] = relationship(
        back_populates="meeting", order_by="MeetingParticipant.id"
    )
    agenda: Mapped[list[AgendaItem]] = relationship(back_populates="meeting", order_by="AgendaItem.position")
    protocols: Mapped[list[Protocol]] = relationship(back_populates="meeting", order_by="Protocol.number")

    __table_args__ = (
        Index("ix_meetings_section_starts_at", "section_id", "starts_at"),
        Index("ix_meetings_overdue", "status", "reply_due_at"),
        CheckConstraint(
            "crossing_point_id IS NOT NULL OR venue_name <> '' OR crossing_point_code <> ''", name="venue"
        ),
        CheckConstraint(
            "(status = 'requested' AND awaiting_state_id IS NOT NULL AND reply_due_at IS NOT NULL)"
            " OR (status <> 'requested' AND awaiting_state_id IS NULL AND reply_due_at IS NULL)",
            name="awaiting_reply",
        ),
        CheckConstraint("(status = 'held') = (held_at IS NOT NULL)", name="held_at"),
    )


class MeetingExchange(Audited, Base):
    """One step of the written exchange about a meeting: proposal, counter-proposal, acceptance, refusal."""

    __tablename__ = "meeting_exchanges"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ExchangeKind] = mapped_column(enum_type(ExchangeKind, "kind"))
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))  # the side that wrote it
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id")
    )  # None: written on the partner's instance
    at: Mapped[datetime]
    starts_at: Mapped[datetime]
    crossing_point_id: Mapped[int | None] = mapped_column(ForeignKey("crossing_points.id"))
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    host_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    reason: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="exchanges")
    user: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint("kind <> 'declined' OR reason <> ''", name="decline_reason"),)


class MeetingParticipant(Audited, Base):
    """A participant, proposed with the request or recorded at the meeting: a representative or staff
    member from the register (``representative_id``; name and post copied as they stood), or a guest
    (an interpreter, an expert) named with their role."""

    __tablename__ = "meeting_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = shared_id()
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(120))
    is_head: Mapped[bool] = mapped_column(default=False)  # head of delegation: approves the protocol
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("representatives.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="participants")
    state: Mapped[State] = relationship()
    user: Mapped[User | None] = relationship()  # who gets the invitation and reminder mails
    representative: Mapped[Representative | None] = relationship()

    __table_args__ = (
        partial_unique("uq_meeting_participants_one_head", "meeting_id", "state_id", where="is_head"),
        UniqueConstraint("meeting_id", "representative_id"),
    )

    @property
    def is_guest(self) -> bool:
        return self.representative_id is None


class AgendaItem(Audited, Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = shared_id()
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[AgendaKind] = mapped_column(enum_type(AgendaKind, "kind"), default=AgendaKind.ITEM)
    title: Mapped[str] = mapped_column(String(500))
    # actions point at their agenda item too: the foreign key is added after both tables exist
    reviewed_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("actions.id", use_alter=True), index=True
    )
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
    texts: Mapped[list[AgendaItemText]] = relationship(
        back_populates="item", order_by="AgendaItemText.language"
    )
    actions: Mapped[list[Action]] = relationship(
        back_populates="agenda_item", foreign_keys="Action.agenda_item_id", order_by="Action.id"
    )
    reviewed_action: Mapped[Action | None] = relationship(foreign_keys=[reviewed_action_id])
    incident: Mapped[Incident | None] = relationship(back_populates="agenda_items")

    __table_args__ = (
        UniqueConstraint("meeting_id", "position"),
        CheckConstraint("position >= 1", name="position"),
        CheckConstraint("kind <> 'earlier_decision' OR reviewed_action_id IS NOT NULL", name="reviewed"),
        CheckConstraint("kind <> 'incident' OR incident_id IS NOT NULL", name="incident"),
    )

    def text_in(self, language: str) -> AgendaItemText | None:
        return next((t for t in self.texts if t.language == language), None)


class AgendaItemText(Audited, Base):
    """The course of the discussion and the decision on one item, in one working language."""

    __tablename__ = "agenda_item_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    summary: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[AgendaItem] = relationship(back_populates="texts")

    __table_args__ = (UniqueConstraint("agenda_item_id", "language"),)
