"""Border incidents and the acts handing persons, livestock or property back to the other side."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import BorderSection, State
from lbt.representatives.enums import HandOverKind, IncidentStatus, IncidentType
from lbt.representatives.models.shared_ids import shared_id

if TYPE_CHECKING:
    from lbt.representatives.models.meetings import AgendaItem


class Incident(Audited, Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = shared_id()
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"))
    reported_by_state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    # None when the partner's instance reported it (its representatives have no account here)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
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
    sent_sha256: Mapped[str] = mapped_column(String(64), default="")  # as last sent to the partner

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
    uuid: Mapped[str] = shared_id()
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
    sent_sha256: Mapped[str] = mapped_column(String(64), default="")  # as last sent to the partner

    incident: Mapped[Incident | None] = relationship(back_populates="hand_overs")

    __table_args__ = (
        Index("ix_hand_over_acts_section_id", "section_id"),
        CheckConstraint("count > 0", name="count"),
        CheckConstraint("handing_state_id <> receiving_state_id", name="two_sides"),
        # a part confirmed on the partner's instance has a time and no user of this one
        CheckConstraint(
            "handing_confirmed_by_id IS NULL OR handing_confirmed_at IS NOT NULL", name="handing"
        ),
        CheckConstraint(
            "receiving_confirmed_by_id IS NULL OR receiving_confirmed_at IS NOT NULL", name="receiving"
        ),
    )

    @property
    def is_confirmed(self) -> bool:
        return self.handing_confirmed_at is not None and self.receiving_confirmed_at is not None
