"""Reports made for the partner state: frozen once made (the exact bytes of ``report.json``, its
signature and PDF, with the SHA-256 of the JSON); a correction is a new version that names the old."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.alerts.models import AlertHit
from lbt.applications.models import Application, ApplicationEvent
from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import Agreement

# The reports' indexes on other areas' tables (revision 0025), declared here beside the figures that
# read them: a period's events of some kinds, and a period's alert-list hits, each read from the index
# alone (covering), so a figure reads the period's entries and never the whole table.
Index(
    "ix_application_events_kind_at",
    ApplicationEvent.kind,
    ApplicationEvent.at,
    ApplicationEvent.application_id,
)
Index(
    "ix_application_events_application_kind_at",
    ApplicationEvent.application_id,
    ApplicationEvent.kind,
    ApplicationEvent.at,
)
Index("ix_alert_hits_found_at", AlertHit.found_at, AlertHit.application_id, AlertHit.cleared_at)
# a period's first decisions (revision 0026), with what the decision times count and filter by, read
# from the index alone on PostgreSQL
Index(
    "ix_applications_first_decided_at",
    Application.first_decided_at,
    postgresql_include=["agreement_id", "locality_id", "submitted_at", "decision_due", "first_decided_on"],
    postgresql_where=text("first_decided_at IS NOT NULL"),
    sqlite_where=text("first_decided_at IS NOT NULL"),
)
# what the figures read of an event's or a permit's application (its scope, its kind, the reasons of its
# refusal), by an index-only look-up instead of a visit to the application's row (revision 0026)
Index(
    "ix_applications_report_scope",
    Application.id,
    postgresql_include=["agreement_id", "locality_id", "kind", "refusal_reasons"],
)


class PermitIssueCount(Base):
    """Permits issued per local day of issue (on the instance's report clock, ``report_zone``),
    agreement, locality, issue kind (first, renewal, replacement), sex and age band on that day: a row
    added to in the same transaction as every permit issued (``lbt.reports.issued_counts``), so the
    permits issued are a sum over the period's days, not a read of every permit (revision 0027).
    Not audited row by row: ``lbt reports rebuild-summaries`` recounts it from the permits."""

    __tablename__ = "permit_issue_counts"

    day: Mapped[date]
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    locality_id: Mapped[int] = mapped_column(ForeignKey("localities.id"))
    kind: Mapped[str] = mapped_column(String(16))  # first, renewal or replacement (issued_counts.issue_kind)
    sex: Mapped[str] = mapped_column(String(1))
    age_band: Mapped[str] = mapped_column(String(8))  # issued_counts.AGE_BANDS: 0-17, 18-29, ... 60+
    count: Mapped[int]

    __table_args__ = (
        PrimaryKeyConstraint("day", "agreement_id", "locality_id", "kind", "sex", "age_band"),
        CheckConstraint("count > 0", name="count_positive"),
    )


class ReportKind(enum.StrEnum):
    SIX_MONTHLY = "six_monthly"  # Reg. 1931/2006 Art. 17: misuse, penalties and withdrawals, every six months


class Report(Audited, Base):
    __tablename__ = "reports"
    # the documents are long: the log keeps their SHA-256 (content_sha256), not their bytes
    __audit_redact__ = frozenset({"content", "jws", "pdf"})

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind, "kind"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]  # the period's last day
    version: Mapped[int] = mapped_column(default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), unique=True)
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    made_at: Mapped[datetime] = stamped()
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content: Mapped[str] = mapped_column(Text)  # report.json, exactly as signed and handed out
    content_sha256: Mapped[str] = mapped_column(String(64))
    jws: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    audit_entry_count: Mapped[int]
    audit_head_hash: Mapped[str] = mapped_column(String(64))

    agreement: Mapped[Agreement] = relationship()
    supersedes: Mapped[Report | None] = relationship(remote_side=[id])

    __table_args__ = (
        UniqueConstraint("kind", "agreement_id", "period_start", "version"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint("(version = 1) = (supersedes_id IS NULL)", name="correction_names_old"),
        CheckConstraint("version = 1 OR correction_reason <> ''", name="correction_reason"),
        CheckConstraint("length(content_sha256) = 64", name="content_sha256"),
    )

    def audit_label(self) -> str:
        return f"{self.agreement_id}:{self.period_start.isoformat()}:v{self.version}"
