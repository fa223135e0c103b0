"""Reports made for the partner state: frozen once made (the exact bytes of ``report.json``, its
signature and PDF, with the SHA-256 of the JSON); a correction is a new version that names the old."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import Agreement


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
