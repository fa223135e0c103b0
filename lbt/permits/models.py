"""Issued LBT permits. The holder's data is copied from the application at issue time: a permit is a
document, and what was printed on it must not change when an application record does."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.applications.models import Application, Sex
from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import Agreement, Locality
from lbt.storage.models import StoredFile


class PermitStatus(enum.StrEnum):
    """Stored status; "expired" is not stored but derived from ``valid_until`` (see ``effective_status``)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"  # void from now on (Art. 17)
    ANNULLED = "annulled"  # void from the start, e.g. obtained by fraud (Art. 17)
    REPLACED = "replaced"  # lost or damaged: a new permit took its place
    EXPIRED = "expired"  # never stored


WITHDRAWN_STATUSES = (PermitStatus.REVOKED, PermitStatus.ANNULLED, PermitStatus.REPLACED)


def effective_status(status: PermitStatus, valid_until: date, today: date) -> PermitStatus:
    """What a permit is worth today: a stored withdrawal wins; else past ``valid_until`` it expired."""
    if status is PermitStatus.ACTIVE and today > valid_until:
        return PermitStatus.EXPIRED
    return status


class Permit(Audited, Base):
    __tablename__ = "permits"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    issuing_state: Mapped[str] = mapped_column(String(2))
    status: Mapped[PermitStatus] = mapped_column(
        enum_type(PermitStatus, "status"), default=PermitStatus.ACTIVE
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime | None]
    # holder, as printed
    surname_national: Mapped[str] = mapped_column(String(100))
    given_names_national: Mapped[str] = mapped_column(String(100))
    surname_latin: Mapped[str] = mapped_column(String(100))
    given_names_latin: Mapped[str] = mapped_column(String(100))
    search_name: Mapped[str] = mapped_column(String(210))
    sex: Mapped[Sex] = mapped_column(enum_type(Sex, "sex"))
    birth_date: Mapped[date]
    nationality: Mapped[str] = mapped_column(String(3))
    document_number: Mapped[str] = mapped_column(String(30), index=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("localities.id"))
    address: Mapped[str] = mapped_column(String(300))
    photo_file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    # validity and rules
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    max_stay_days: Mapped[int]
    issued_at: Mapped[datetime] = stamped()
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("permits.id"))
    card_printed_at: Mapped[datetime | None]  # when staff first downloaded the card to print it
    # the signed QR content
    signing_kid: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(Text)

    application: Mapped[Application] = relationship()
    agreement: Mapped[Agreement] = relationship()
    locality: Mapped[Locality] = relationship()
    photo: Mapped[StoredFile] = relationship()
    replaces: Mapped[Permit | None] = relationship(remote_side=[id])

    __table_args__ = (
        # prefix search (LIKE 'NAME%'): PostgreSQL needs pattern ops under a non-C collation
        Index("ix_permits_search_name", "search_name", postgresql_ops={"search_name": "varchar_pattern_ops"}),
        CheckConstraint("valid_until > valid_from", name="validity_order"),
        CheckConstraint("max_stay_days BETWEEN 1 AND 90", name="max_stay"),
        Index("ix_permits_agreement_status", "agreement_id", "status", "valid_until"),
        Index("ix_permits_signing_kid_valid_until", "signing_kid", "valid_until"),
        # the permit list, newest first (read backwards), and "replaced by" on a permit's page
        Index("ix_permits_agreement_issued", "agreement_id", "issued_at", "id"),
        Index("ix_permits_replaces_id", "replaces_id"),
        # the officers' "to print": the few valid permits whose card nobody downloaded yet
        Index(
            "ix_permits_to_print",
            "agreement_id",
            "issued_at",
            postgresql_where=text("card_printed_at IS NULL AND status = 'active'"),
            sqlite_where=text("card_printed_at IS NULL AND status = 'active'"),
        ),
        # the revocation list: the few withdrawn or suspended permits among millions
        Index(
            "ix_permits_withdrawn_valid_until",
            "valid_until",
            postgresql_where=text("status IN ('revoked', 'annulled', 'replaced', 'suspended')"),
            sqlite_where=text("status IN ('revoked', 'annulled', 'replaced', 'suspended')"),
        ),
    )

    def audit_label(self) -> str:
        return self.number

    def effective_status(self, today: date) -> PermitStatus:
        return effective_status(self.status, self.valid_until, today)


class PermitStatusChange(Base):
    """Each change of a permit's status, kept as it happened (the permit holds only the latest): the
    reports count suspensions, revocations, annulments and replacements of a period from here."""

    __tablename__ = "permit_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    status: Mapped[PermitStatus] = mapped_column(enum_type(PermitStatus, "status"))
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_permit_status_changes_agreement_changed_at", "agreement_id", "changed_at"),)
