"""Permit applications from border-area residents, their documents and their history."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import Agreement, Locality
from lbt.storage.models import StoredFile


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # waiting for an officer
    INFO_REQUESTED = "info_requested"  # waiting for the applicant
    APPROVED = "approved"  # a permit was issued
    REFUSED = "refused"  # may still be reconsidered while the window is open
    RECONSIDERATION = "reconsideration"  # waiting for a supervisor
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.INFO_REQUESTED,
    ApplicationStatus.RECONSIDERATION,
)


class ApplicationKind(enum.StrEnum):
    FIRST = "first"
    RENEWAL = "renewal"


class Sex(enum.StrEnum):
    """ICAO Doc 9303: F, M, or X (unspecified)."""

    FEMALE = "F"
    MALE = "M"
    UNSPECIFIED = "X"


class TravelDocumentType(enum.StrEnum):
    PASSPORT = "passport"
    ID_CARD = "id_card"
    OTHER = "other"


class FeeStatus(enum.StrEnum):
    DUE = "due"
    PAID = "paid"
    WAIVED = "waived"


class RefusalReason(enum.StrEnum):
    """Reasons an application may be refused (Reg. 1931/2006 Art. 9 conditions)."""

    NO_VALID_TRAVEL_DOCUMENT = "no_valid_travel_document"
    RESIDENCE_NOT_PROVEN = "residence_not_proven"
    RESIDENCE_TOO_SHORT = "residence_too_short"
    OUTSIDE_BORDER_AREA = "outside_border_area"
    NO_LEGITIMATE_REASON = "no_legitimate_reason"
    ENTRY_BAN = "entry_ban"
    PUBLIC_ORDER = "public_order"
    FALSE_INFORMATION = "false_information"
    OTHER = "other"


class DocumentKind(enum.StrEnum):
    PHOTO = "photo"
    TRAVEL_DOCUMENT = "travel_document"
    RESIDENCE_PROOF = "residence_proof"
    REASON_STATEMENT = "reason_statement"
    FAMILY_PROOF = "family_proof"
    OTHER = "other"


class EventKind(enum.StrEnum):
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    INFO_ANSWERED = "info_answered"
    APPROVED = "approved"
    REFUSED = "refused"
    RECONSIDERATION_REQUESTED = "reconsideration_requested"
    UPHELD = "upheld"
    OVERTURNED = "overturned"
    ALERT_CLEARED = "alert_cleared"
    FEE_RECORDED = "fee_recorded"
    WITHDRAWN = "withdrawn"


class Application(Audited, Base):
    __tablename__ = "applications"
    __audit_redact__ = frozenset({"access_code_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # LBT-2026-000123
    access_code_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of a 128-bit random code
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    status: Mapped[ApplicationStatus] = mapped_column(enum_type(ApplicationStatus, "status"))
    kind: Mapped[ApplicationKind] = mapped_column(enum_type(ApplicationKind, "kind"))
    previous_permit_number: Mapped[str | None] = mapped_column(String(20))
    # applicant
    surname_national: Mapped[str] = mapped_column(String(100))
    given_names_national: Mapped[str] = mapped_column(String(100))
    surname_latin: Mapped[str] = mapped_column(String(100))
    given_names_latin: Mapped[str] = mapped_column(String(100))
    search_name: Mapped[str] = mapped_column(String(210))  # upper-case Latin, for the queue
    sex: Mapped[Sex] = mapped_column(enum_type(Sex, "sex"))
    birth_date: Mapped[date]
    birth_place: Mapped[str] = mapped_column(String(120))
    nationality: Mapped[str] = mapped_column(String(3))  # ICAO alpha-3
    phone: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(254), default="")
    preferred_locale: Mapped[str] = mapped_column(String(5), default="en")
    # travel document
    document_type: Mapped[TravelDocumentType] = mapped_column(enum_type(TravelDocumentType, "document_type"))
    document_number: Mapped[str] = mapped_column(String(30), index=True)  # upper-case, no spaces
    document_issuing_state: Mapped[str] = mapped_column(String(3))
    document_expiry: Mapped[date]
    # residence
    locality_id: Mapped[int] = mapped_column(ForeignKey("localities.id"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    resident_since: Mapped[date]
    # family member of an eligible resident
    family_relationship: Mapped[str] = mapped_column(String(60), default="")
    family_reference: Mapped[str] = mapped_column(String(30), default="")
    # reason
    reason: Mapped[str] = mapped_column(String(30))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    fee_exemption: Mapped[str | None] = mapped_column(String(30))  # a FeeExemption claimed
    declaration_accepted: Mapped[bool] = mapped_column(Boolean)
    photo_file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    # decision
    submitted_at: Mapped[datetime] = stamped()
    decision_due: Mapped[date]
    decided_at: Mapped[datetime | None]
    # the application's first decision (an approval or a refusal, the earliest; a reconsideration's
    # outcome is not one) and its local day on the application's clock, the one ``decision_due`` is
    # counted on: kept where the decision is written (lbt.applications.first_decisions), so the reports
    # read a period's first decisions from one index range
    first_decided_at: Mapped[datetime | None]
    first_decided_on: Mapped[date | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refusal_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    decision_text: Mapped[str] = mapped_column(Text, default="")
    reconsideration_until: Mapped[date | None]
    fee_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    fee_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    fee_status: Mapped[FeeStatus] = mapped_column(enum_type(FeeStatus, "fee_status"), default=FeeStatus.DUE)
    fee_waived_for: Mapped[str] = mapped_column(String(30), default="")  # the exemption, fixed at approval
    fee_receipt_number: Mapped[str] = mapped_column(String(40), default="")
    fee_paid_on: Mapped[date | None]

    agreement: Mapped[Agreement] = relationship()
    locality: Mapped[Locality] = relationship()
    photo: Mapped[StoredFile] = relationship()
    documents: Mapped[list[ApplicationDocument]] = relationship(
        back_populates="application", order_by="ApplicationDocument.id"
    )
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id"
    )

    __table_args__ = (
        # prefix search (LIKE 'NAME%'): PostgreSQL needs pattern ops under a non-C collation
        Index(
            "ix_applications_search_name",
            "search_name",
            postgresql_ops={"search_name": "varchar_pattern_ops"},
        ),
        Index("ix_applications_queue", "agreement_id", "status", "decision_due"),
        # the officers' queue: the open applications (a few among millions) in deadline order
        Index(
            "ix_applications_open_by_deadline",
            "agreement_id",
            "decision_due",
            "submitted_at",
            "id",
            postgresql_where=text("status IN ('submitted', 'info_requested', 'reconsideration')"),
            sqlite_where=text("status IN ('submitted', 'info_requested', 'reconsideration')"),
        ),
        CheckConstraint("document_expiry > birth_date", name="document_after_birth"),
        CheckConstraint("resident_since >= birth_date", name="residence_after_birth"),
        CheckConstraint("fee_amount >= 0", name="fee_amount"),
        CheckConstraint("fee_paid_on IS NULL OR fee_status = 'paid'", name="fee_paid_on"),
        CheckConstraint("declaration_accepted", name="declaration"),
    )

    def audit_label(self) -> str:
        return self.reference

    @property
    def home_state_code(self) -> str:
        """The issuing (home) state: the agreement's other state than the applicant's locality's."""
        agreement = self.agreement
        home = agreement.state_b if self.locality.state_id == agreement.state_a_id else agreement.state_a
        return home.code


class ApplicationDocument(Audited, Base):
    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    kind: Mapped[DocumentKind] = mapped_column(enum_type(DocumentKind, "kind"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("application_events.id"))  # sent with an answer
    created_at: Mapped[datetime] = stamped()

    application: Mapped[Application] = relationship(back_populates="documents")
    file: Mapped[StoredFile] = relationship()
    event: Mapped[ApplicationEvent | None] = relationship()


class ApplicationEvent(Audited, Base):
    """One step in an application's history; ``is_public`` ones are shown to the applicant."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "kind"))
    at: Mapped[datetime] = stamped()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text, default="")
    is_public: Mapped[bool] = mapped_column(default=True)

    application: Mapped[Application] = relationship(back_populates="events")
