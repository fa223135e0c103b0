"""Border representatives: the register, meetings, protocols, decisions, actions, incidents.

A "side" is always one of the two states of a border section (``state_id``). Everything here is shared
by both sides of the section except internal notes (``internal_notes``) and incidents not yet shared.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.accounts.models import User
from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import BorderSection, CrossingPoint, State
from lbt.representatives.enums import (  # noqa: F401 - re-exported: services import them from here
    RANKS,
    STAFF,
    UNFINISHED_ACTION_STATUSES,
    ActionStatus,
    AgendaKind,
    ExchangeKind,
    HandOverKind,
    IncidentStatus,
    IncidentType,
    MeetingKind,
    MeetingStatus,
    Post,
    ProtocolKind,
    ProtocolStatus,
)

DEFAULT_MIN_NOTICE_DAYS = 7
DEFAULT_REPLY_HOURS = 48


def _partial_unique(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows matching ``where`` (both PostgreSQL and SQLite support it)."""
    return Index(name, *columns, unique=True, postgresql_where=text(where), sqlite_where=text(where))


class Representative(Audited, Base):
    """One appointment to a post; a replacement ends it, so the rows are the history of the post."""

    __tablename__ = "representatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"))
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    post: Mapped[Post] = mapped_column(enum_type(Post, "post"))
    full_name: Mapped[str] = mapped_column(String(200))
    credentials_number: Mapped[str] = mapped_column(String(60))
    contact: Mapped[str] = mapped_column(String(300), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    appointed_from: Mapped[date]
    appointed_until: Mapped[date | None]  # exclusive; None while in office
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("representatives.id"))
    created_at: Mapped[datetime] = stamped()

    section: Mapped[BorderSection] = relationship()
    state: Mapped[State] = relationship()
    user: Mapped[User | None] = relationship()
    replaces: Mapped[Representative | None] = relationship(remote_side=[id])

    __table_args__ = (
        Index("ix_representatives_post", "section_id", "state_id", "post", "appointed_from"),
        # one border representative in office per side of a section; a race hits this index
        _partial_unique(
            "uq_representatives_one_chief",
            "section_id",
            "state_id",
            where="post = 'border_representative' AND appointed_until IS NULL",
        ),
        CheckConstraint(
            "appointed_until IS NULL OR appointed_until >= appointed_from", name="appointment_order"
        ),
        CheckConstraint("credentials_number <> ''", name="credentials"),
    )

    def audit_label(self) -> str:
        return f"{self.post.value}:{self.full_name}"

    def in_office_on(self, day: date) -> bool:
        return self.appointed_from <= day and (self.appointed_until is None or day < self.appointed_until)


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
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"))
    kind: Mapped[MeetingKind] = mapped_column(enum_type(MeetingKind, "kind"))
    status: Mapped[MeetingStatus] = mapped_column(enum_type(MeetingStatus, "status"))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposer_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    host_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))  # whose territory; the host chairs
    starts_at: Mapped[datetime]
    crossing_point_id: Mapped[int | None] = mapped_column(ForeignKey("crossing_points.id"))
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    awaiting_state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"))  # who must answer
    reply_due_at: Mapped[datetime | None]
    held_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = stamped()

    section: Mapped[BorderSection] = relationship()
    proposed_by: Mapped[User] = relationship()
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
        CheckConstraint("crossing_point_id IS NOT NULL OR venue_name <> ''", name="venue"),
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
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    starts_at: Mapped[datetime]
    crossing_point_id: Mapped[int | None] = mapped_column(ForeignKey("crossing_points.id"))
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    host_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    reason: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="exchanges")
    user: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint("kind <> 'declined' OR reason <> ''", name="decline_reason"),)


class MeetingParticipant(Audited, Base):
    """A participant, proposed with the request or recorded at the meeting, with their role."""

    __tablename__ = "meeting_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(120))
    is_head: Mapped[bool] = mapped_column(default=False)  # head of delegation: approves the protocol
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("representatives.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="participants")
    state: Mapped[State] = relationship()

    __table_args__ = (
        _partial_unique("uq_meeting_participants_one_head", "meeting_id", "state_id", where="is_head"),
    )


class AgendaItem(Audited, Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
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


class Protocol(Audited, Base):
    """A frozen version of a meeting's record (or an addendum) and its approvals by both sides."""

    __tablename__ = "protocols"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    number: Mapped[int]  # 0 the protocol, 1.. its addenda
    kind: Mapped[ProtocolKind] = mapped_column(enum_type(ProtocolKind, "kind"))
    status: Mapped[ProtocolStatus] = mapped_column(enum_type(ProtocolStatus, "status"))
    version: Mapped[int] = mapped_column(default=0)  # how many times it was frozen
    addendum_texts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # language -> text
    content: Mapped[str] = mapped_column(Text, default="")  # canonical JSON of the frozen version
    content_sha256: Mapped[str] = mapped_column(String(64), default="")
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
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime]
    voided_at: Mapped[datetime | None]  # the record changed after the approval

    protocol: Mapped[Protocol] = relationship(back_populates="approvals")
    state: Mapped[State] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (
        _partial_unique(
            "uq_protocol_approvals_one_live", "protocol_id", "state_id", where="voided_at IS NULL"
        ),
        CheckConstraint("length(content_sha256) = 64", name="sha256_length"),
    )


class Action(Audited, Base):
    """A decision's follow-up: what the responsible side must do by when, reported on at later meetings."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
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
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ActionStatus | None] = mapped_column(enum_type(ActionStatus, "status"))  # set by the note

    action: Mapped[Action] = relationship(back_populates="notes")


class Incident(Audited, Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"))
    reported_by_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    type: Mapped[IncidentType] = mapped_column(enum_type(IncidentType, "type"))
    occurred_at: Mapped[datetime]
    landmark: Mapped[str] = mapped_column(String(200), default="")
    border_sign: Mapped[str] = mapped_column(String(30), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    description: Mapped[str] = mapped_column(Text)
    persons_involved: Mapped[int] = mapped_column(default=0)
    animals_involved: Mapped[int] = mapped_column(default=0)
    property_involved: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[IncidentStatus] = mapped_column(
        enum_type(IncidentStatus, "status"), default=IncidentStatus.REPORTED
    )
    is_shared: Mapped[bool] = mapped_column(default=False)  # until shared, only the reporting side sees it
    created_at: Mapped[datetime] = stamped()

    section: Mapped[BorderSection] = relationship()
    reported_by_state: Mapped[State] = relationship()
    agenda_items: Mapped[list[AgendaItem]] = relationship(back_populates="incident", order_by="AgendaItem.id")
    hand_overs: Mapped[list[HandOverAct]] = relationship(back_populates="incident", order_by="HandOverAct.id")

    __table_args__ = (
        Index("ix_incidents_section_occurred_at", "section_id", "occurred_at"),
        Index("ix_incidents_status", "status"),
        CheckConstraint("landmark <> '' OR border_sign <> ''", name="place"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates_pair"),
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
        CheckConstraint("persons_involved >= 0 AND animals_involved >= 0", name="counts"),
        CheckConstraint("description <> ''", name="description"),
    )


class HandOverAct(Audited, Base):
    """Persons, livestock or property returned to the other side, confirmed by both sides."""

    __tablename__ = "hand_over_acts"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[HandOverKind] = mapped_column(enum_type(HandOverKind, "kind"))
    count: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    handing_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    receiving_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    handed_over_at: Mapped[datetime]
    handing_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handing_confirmed_at: Mapped[datetime | None]
    receiving_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    receiving_confirmed_at: Mapped[datetime | None]

    incident: Mapped[Incident | None] = relationship(back_populates="hand_overs")

    __table_args__ = (
        Index("ix_hand_over_acts_section_id", "section_id"),
        CheckConstraint("count > 0", name="count"),
        CheckConstraint("handing_state_id <> receiving_state_id", name="two_sides"),
        CheckConstraint("(handing_confirmed_at IS NULL) = (handing_confirmed_by_id IS NULL)", name="handing"),
        CheckConstraint(
            "(receiving_confirmed_at IS NULL) = (receiving_confirmed_by_id IS NULL)", name="receiving"
        ),
    )

    @property
    def is_confirmed(self) -> bool:
        return self.handing_confirmed_at is not None and self.receiving_confirmed_at is not None


class InternalNote(Audited, Base):
    """A note one side keeps about a meeting, action or incident; the other side never sees it."""

    __tablename__ = "internal_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"))
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))  # the side it belongs to
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
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
