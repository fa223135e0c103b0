"""Entries and exits recorded at crossing points (no stamps: the record is the proof), and misuse
cases found from them (Reg. 1931/2006 Art. 17)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.permits.models import Permit
from lbt.reference.models import CrossingPoint


class Direction(enum.StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class Verdict(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - green: may pass (not a password)
    REFUSE = "refuse"  # red: may not
    CHECK = "check"  # amber: check and decide


class CrossingStatus(enum.StrEnum):
    """Whether a crossing counts in the holder's stays: an offline record older than the configured age
    is held until an officer accepts it (then it counts) or rejects it (it never does)."""

    COUNTED = "counted"
    HELD = "held"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


COUNTED_STATUSES = (CrossingStatus.COUNTED, CrossingStatus.ACCEPTED)


class ReviewDecision(enum.StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class MisuseKind(enum.StrEnum):
    OVERSTAY = "overstay"
    LEFT_BORDER_AREA = "left_border_area"
    RESALE_TRADE = "resale_trade"
    OTHER = "other"


class Crossing(Base):
    """One entry or exit. Not audited row by row (10 million a year would swamp the log): the row
    itself is the append-only record, with the officer, the verdict, and the client-made UUID."""

    __tablename__ = "crossings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)  # UUID made by the device: idempotency
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"))
    crossing_point_id: Mapped[int] = mapped_column(ForeignKey("crossing_points.id"))
    direction: Mapped[Direction] = mapped_column(enum_type(Direction, "direction"))
    at: Mapped[datetime]  # when it happened (offline records keep their original time)
    recorded_at: Mapped[datetime] = stamped()
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[Verdict] = mapped_column(enum_type(Verdict, "verdict"))
    reason: Mapped[str] = mapped_column(Text, default="")  # why an amber case was let through
    status: Mapped[CrossingStatus] = mapped_column(
        enum_type(CrossingStatus, "crossing_status"), default=CrossingStatus.COUNTED
    )

    permit: Mapped[Permit] = relationship()
    crossing_point: Mapped[CrossingPoint] = relationship()

    __table_args__ = (
        Index("ix_crossings_permit_id_at", "permit_id", "at"),
        Index("ix_crossings_crossing_point_id_at", "crossing_point_id", "at"),
        # the officers' list of held crossings: a few rows among millions
        Index(
            "ix_crossings_held",
            "recorded_at",
            postgresql_where=text("status = 'held'"),
            sqlite_where=text("status = 'held'"),
        ),
    )


class CrossingReview(Audited, Base):
    """An officer's decision on a held crossing (audited, unlike the crossing rows themselves)."""

    __tablename__ = "crossing_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    crossing_id: Mapped[int] = mapped_column(ForeignKey("crossings.id"), unique=True)
    decision: Mapped[ReviewDecision] = mapped_column(enum_type(ReviewDecision, "decision"))
    note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = stamped()

    crossing: Mapped[Crossing] = relationship()


class MisuseCase(Audited, Base):
    """A case of misuse and its penalty; counted in the six-monthly report to the partner state."""

    __tablename__ = "misuse_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    kind: Mapped[MisuseKind] = mapped_column(enum_type(MisuseKind, "kind"))
    detected_at: Mapped[datetime]
    crossing_id: Mapped[int | None] = mapped_column(ForeignKey("crossings.id"))
    days_over: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    penalty: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = stamped()

    permit: Mapped[Permit] = relationship()

    __table_args__ = (Index("ix_misuse_cases_detected_at", "detected_at"),)


class PermitPresence(Base):
    """Where a holder stands now: the permit's last counted crossing (its time, direction and point),
    kept in the same transaction as every write that changes the counted crossings (a crossing
    recorded, a held one accepted), so the people inside are read from an index, not recomputed
    from millions of crossings. ``entered_at`` is that crossing's time when it is an entry (the
    holder is inside since then), NULL when the holder is outside. One row per permit that ever
    had a counted crossing; ``lbt crossings rebuild-summaries`` recomputes them."""

    __tablename__ = "permit_presence"

    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))  # the permit's, for the scope
    last_crossing_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("crossings.id")
    )
    last_at: Mapped[datetime]
    last_direction: Mapped[Direction] = mapped_column(enum_type(Direction, "direction"))
    last_crossing_point_id: Mapped[int] = mapped_column(ForeignKey("crossing_points.id"))
    entered_at: Mapped[datetime | None]
    # the permit's longest stay, copied here (revision 0026) so the reports count the people inside and
    # those overstaying from this table's index alone, without a look-up of each holder's permit
    max_stay_days: Mapped[int]

    __table_args__ = (
        # the people inside under one agreement, the longest inside first; it carries their point and
        # longest stay for the reports (an index-only scan on PostgreSQL)
        Index(
            "ix_permit_presence_inside",
            "agreement_id",
            "entered_at",
            "permit_id",
            postgresql_include=["last_crossing_point_id", "max_stay_days"],
            postgresql_where=text("entered_at IS NOT NULL"),
            sqlite_where=text("entered_at IS NOT NULL"),
        ),
    )


class CrossingDayCount(Base):
    """Counted entries and exits per crossing point, local calendar day and direction, incremented in
    the same transaction as the crossing (a held crossing only once it is accepted). The crossing log
    reads its daily figures here, and reports may too: ``day`` is the crossing point's local date of
    the crossing (``summaries.local_day``)."""

    __tablename__ = "crossing_day_counts"

    crossing_point_id: Mapped[int] = mapped_column(ForeignKey("crossing_points.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    direction: Mapped[Direction] = mapped_column(enum_type(Direction, "direction"), primary_key=True)
    count: Mapped[int]

    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)


class PatternKind(enum.StrEnum):
    """Stay patterns that suggest misuse (``lbt.crossings.patterns``)."""

    SHORT_STAYS = "short_stays"
    NEAR_LIMIT = "near_limit"


class StayPatternFlag(Base):
    """A permit whose stays reached a pattern of ``lbt.crossings.patterns``, kept at write time; listed
    for officers while ``last_exit_at`` is inside ``window_days``."""

    __tablename__ = "stay_pattern_flags"

    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), primary_key=True)
    kind: Mapped[PatternKind] = mapped_column(enum_type(PatternKind, "pattern_kind"), primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    count: Mapped[int]
    window_days: Mapped[int]
    last_exit_at: Mapped[datetime]
    flagged_at: Mapped[datetime]

    __table_args__ = (Index("ix_stay_pattern_flags_agreement_last_exit", "agreement_id", "last_exit_at"),)
