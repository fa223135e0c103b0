"""Stored uploads: one row per file kept in the instance folder under a random name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from lbt.core.db import Base, stamped


class StoredFile(Base):
    """An upload that passed the checks (type from content, size cap, images re-encoded).

    Not audited by itself: the record that uses it (an application document, a permit) is.
    """

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)  # random; never the uploader's name
    original_name: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = stamped()

    __table_args__ = (
        CheckConstraint("size_bytes >= 0", name="size_bytes"),
        CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'application/pdf')", name="content_type"
        ),
    )
