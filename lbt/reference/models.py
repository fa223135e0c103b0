"""Reference data: states, LBT agreements with their rules, border-area localities, crossing points,
border sections. Every rule of the agreement is a column, checked by the database as well."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.audit.models import Audited
from lbt.core.dates import state_time_zone
from lbt.core.db import Base, enum_type, stamped


class CrossingReason(enum.StrEnum):
    """Legitimate reasons to cross often (DOMAIN.md §1); an agreement enables the ones it accepts."""

    FAMILY = "family"
    SOCIAL = "social"
    CULTURAL = "cultural"
    ECONOMIC = "economic"
    EDUCATION = "education"
    HEALTH = "health"
    RELIGIOUS = "religious"
    OTHER = "other"


class FeeExemption(enum.StrEnum):
    """Groups an agreement may exempt from the fee (DOMAIN.md §1: minors, pensioners, disabled, students)."""

    MINOR = "minor"
    PENSIONER = "pensioner"
    DISABLED = "disabled"
    STUDENT = "student"


class CrossingPointKind(enum.StrEnum):
    ROAD = "road"
    RAIL = "rail"
    PEDESTRIAN = "pedestrian"


class State(Audited, Base):
    __tablename__ = "states"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)  # ISO 3166-1 alpha-2
    alpha3: Mapped[str] = mapped_column(String(3), unique=True)  # ICAO Doc 9303 uses alpha-3
    name_en: Mapped[str] = mapped_column(String(120))
    name_ru: Mapped[str] = mapped_column(String(120))
    name_national: Mapped[str] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = stamped()

    __table_args__ = (
        CheckConstraint("length(code) = 2", name="code_length"),
        CheckConstraint("length(alpha3) = 3", name="alpha3_length"),
    )

    def audit_label(self) -> str:
        return self.code


agreement_crossing_points = Table(
    "agreement_crossing_points",
    Base.metadata,
    Column("agreement_id", ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True),
    Column("crossing_point_id", ForeignKey("crossing_points.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_agreement_crossing_points_crossing_point_id", "crossing_point_id"),
)


class Agreement(Audited, Base):
    """A bilateral LBT agreement; its numbers are bounded by Reg. (EC) No 1931/2006."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    state_a_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    state_b_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    in_force_from: Mapped[date]
    in_force_until: Mapped[date | None]
    # Art. 3: localities within 30 km, or straddling 30-50 km, of the border
    border_area_km: Mapped[int] = mapped_column(default=30)
    border_area_straddle_km: Mapped[int] = mapped_column(default=50)
    min_residence_years: Mapped[int] = mapped_column(default=1)
    family_exempt_from_residence: Mapped[bool] = mapped_column(default=False)
    # Art. 3: border residents are the partner's nationals; an agreement may also admit family members
    # of another nationality and foreigners with a long-term residence permit of the partner state
    admits_family_of_other_nationality: Mapped[bool] = mapped_column(default=False)
    admits_long_term_residents: Mapped[bool] = mapped_column(default=False)
    # Art. 7: the border area where a permit is valid, as the agreement names it for each side
    # (e.g. its districts); empty: the districts of that side's listed localities
    border_area_name_a: Mapped[str] = mapped_column(String(200), default="")
    border_area_name_b: Mapped[str] = mapped_column(String(200), default="")
    validity_min_years: Mapped[int] = mapped_column(default=1)
    validity_max_years: Mapped[int] = mapped_column(default=5)
    first_permit_max_years: Mapped[int] = mapped_column(default=2)
    max_stay_days: Mapped[int] = mapped_column(default=90)
    rolling_window_days: Mapped[int | None]
    rolling_limit_days: Mapped[int | None]
    all_crossing_points: Mapped[bool] = mapped_column(default=True)
    # both sides record the crossings of one side's permit holders: the partner's guards record the
    # exit from their state too (the exchange's guard at exit, docs/exchange.md)
    both_sides_record: Mapped[bool] = mapped_column(default=False)
    fee_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    fee_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    fee_exemptions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # how and where to pay: {locale: text}; the key "" holds the text for every language
    payment_instructions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    decision_deadline_days: Mapped[int] = mapped_column(default=30)
    reconsideration_days: Mapped[int] = mapped_column(default=14)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = stamped()

    state_a: Mapped[State] = relationship(foreign_keys=[state_a_id])
    state_b: Mapped[State] = relationship(foreign_keys=[state_b_id])
    allowed_crossing_points: Mapped[list[CrossingPoint]] = relationship(
        secondary=agreement_crossing_points, order_by="CrossingPoint.code"
    )

    __table_args__ = (
        CheckConstraint("state_a_id <> state_b_id", name="two_states"),
        CheckConstraint("in_force_until IS NULL OR in_force_until > in_force_from", name="in_force_order"),
        CheckConstraint("border_area_km BETWEEN 1 AND 50", name="border_area_km"),
        CheckConstraint(
            "border_area_straddle_km >= border_area_km AND border_area_straddle_km <= 50", name="straddle_km"
        ),
        CheckConstraint("min_residence_years >= 1", name="min_residence"),
        CheckConstraint(
            "validity_min_years >= 1 AND validity_max_years <= 5 AND validity_min_years <= validity_max_years",
            name="validity_bounds",
        ),
        CheckConstraint(
            "first_permit_max_years BETWEEN validity_min_years AND validity_max_years", name="first_permit"
        ),
        CheckConstraint("max_stay_days BETWEEN 1 AND 90", name="max_stay"),
        CheckConstraint(
            "(rolling_window_days IS NULL AND rolling_limit_days IS NULL) OR "
            "(rolling_window_days > 0 AND rolling_limit_days > 0 AND rolling_limit_days <= rolling_window_days)",
            name="rolling_window",
        ),
        CheckConstraint("fee_amount >= 0", name="fee_amount"),
        CheckConstraint("decision_deadline_days BETWEEN 1 AND 365", name="decision_deadline"),
        CheckConstraint("reconsideration_days BETWEEN 1 AND 365", name="reconsideration"),
    )

    def audit_label(self) -> str:
        return self.code

    def party(self, code: str) -> State | None:
        """The agreement's state with the ISO code ``code``, or None when that state is not a party."""
        return next((state for state in (self.state_a, self.state_b) if state.code == code), None)

    def partner_of(self, code: str) -> State | None:
        """The other party of the agreement, seen from the state ``code`` (None: ``code`` is not a party)."""
        if self.state_a.code == code:
            return self.state_b
        if self.state_b.code == code:
            return self.state_a
        return None

    def border_area_name(self, code: str) -> str:
        """The name the agreement gives to the border area of the party ``code`` ("" when it names none)."""
        if self.state_a.code == code:
            return self.border_area_name_a
        if self.state_b.code == code:
            return self.border_area_name_b
        return ""

    def in_force_on(self, day: date) -> bool:
        """An agreement applies from its first day until the day before ``in_force_until``."""
        return self.in_force_from <= day and (self.in_force_until is None or day < self.in_force_until)


class Locality(Audited, Base):
    """A border-area locality listed by the agreement (national script and Latin names)."""

    __tablename__ = "localities"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    name_national: Mapped[str] = mapped_column(String(120))
    name_latin: Mapped[str] = mapped_column(String(120))
    district: Mapped[str] = mapped_column(String(120))
    distance_km: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    # residents eligible by place (the reports' "permits against the eligible population"); unknown: None
    population: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = stamped()

    agreement: Mapped[Agreement] = relationship()
    state: Mapped[State] = relationship()

    __table_args__ = (
        UniqueConstraint("agreement_id", "state_id", "district", "name_latin"),
        CheckConstraint("distance_km >= 0 AND distance_km <= 50", name="distance_km"),
        CheckConstraint("population IS NULL OR population >= 0", name="population"),
    )

    def audit_label(self) -> str:
        return self.name_latin


class CrossingPoint(Audited, Base):
    __tablename__ = "crossing_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CrossingPointKind] = mapped_column(enum_type(CrossingPointKind, "kind"))
    opening_hours: Mapped[str] = mapped_column(String(120), default="")
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)  # the side it stands on
    # IANA zone of its clock (Asia/Dushanbe): crossings there are shown, and their days counted, in it
    time_zone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = stamped()

    agreement: Mapped[Agreement] = relationship(foreign_keys=[agreement_id])
    state: Mapped[State] = relationship()

    @property
    def zone_name(self) -> str:
        """Its zone; the state's when none was set."""
        return self.time_zone or state_time_zone(self.state.code)

    def audit_label(self) -> str:
        return self.code


class BorderSection(Audited, Base):
    """A section of the common border for which border representatives are appointed."""

    __tablename__ = "border_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    state_a_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    state_b_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    working_languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # IANA zone in which its meetings, incidents and deadlines are entered and shown
    time_zone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = stamped()

    state_a: Mapped[State] = relationship(foreign_keys=[state_a_id])
    state_b: Mapped[State] = relationship(foreign_keys=[state_b_id])

    @property
    def zone_name(self) -> str:
        """Its zone; the first state's when none was set."""
        return self.time_zone or state_time_zone(self.state_a.code)

    __table_args__ = (CheckConstraint("state_a_id <> state_b_id", name="two_states"),)

    def audit_label(self) -> str:
        return self.code
