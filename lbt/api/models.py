"""Bearer tokens for devices and systems that call the JSON API (crossing-point tablets, partners)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.accounts.models import User
from lbt.audit.models import Audited
from lbt.core.db import Base, stamped


class ApiToken(Audited, Base):
    """A token acts as its user, with the user's role and scope. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __audit_redact__ = frozenset({"token_hash"})
    __audit_ignore__ = frozenset({"last_used_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = stamped()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
