"""Users, their role, and the scope a role is limited to (agreements, crossing points, sections)."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, State


class Role(enum.StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"  # issuing authority, scoped to agreements
    SUPERVISOR = "supervisor"  # second-instance decisions and the alert list, scoped to agreements
    BORDER_GUARD = "border_guard"  # scoped to crossing points
    REPRESENTATIVE = "representative"  # scoped to a state and border sections
    AUDITOR = "auditor"  # reads the audit log, nothing else


LOCALES = ("en", "ru", "tg")


def _association(name: str, target: str) -> Table:
    return Table(
        name,
        Base.metadata,
        Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        Column(f"{target}_id", ForeignKey(f"{target}s.id", ondelete="CASCADE"), primary_key=True),
        Index(f"ix_{name}_{target}_id", f"{target}_id"),
    )


user_agreements = _association("user_agreements", "agreement")
user_crossing_points = _association("user_crossing_points", "crossing_point")
user_border_sections = _association("user_border_sections", "border_section")


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(Audited, Base):
    __tablename__ = "users"
    __audit_ignore__ = frozenset(
        {"failed_login_count", "last_login_at", "locale"}
    )  # a language choice is not a change worth auditing
    __audit_redact__ = frozenset({"password_hash", "session_token"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)  # stored lower-case
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    # changing it ends every other login of the user (password change, deactivation)
    session_token: Mapped[str] = mapped_column(String(40), default=new_session_token)
    locale: Mapped[str | None] = mapped_column(String(5))
    state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = stamped()
    created_at: Mapped[datetime] = stamped()

    state: Mapped[State | None] = relationship()
    agreements: Mapped[list[Agreement]] = relationship(secondary=user_agreements, order_by=Agreement.code)
    crossing_points: Mapped[list[CrossingPoint]] = relationship(
        secondary=user_crossing_points, order_by=CrossingPoint.code
    )
    border_sections: Mapped[list[BorderSection]] = relationship(
        secondary=user_border_sections, order_by=BorderSection.code
    )

    __table_args__ = (
        CheckConstraint("username = lower(username)", name="username_lower"),
        CheckConstraint("locale IS NULL OR locale IN ('en', 'ru', 'tg')", name="locale"),
        CheckConstraint("failed_login_count >= 0", name="failed_login_count"),
    )

    def audit_label(self) -> str:
        return self.username

    # Flask-Login's protocol, kept here so the model stays free of Flask imports
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def scope_labels(self) -> list[str]:
        """The user's scope as ``kind:code`` words, the same syntax as ``lbt users create --scope``."""
        labels = [f"agreement:{a.code}" for a in self.agreements]
        labels += [f"crossing:{c.code}" for c in self.crossing_points]
        if self.state is not None:
            labels.append(f"state:{self.state.code}")
        labels += [f"section:{s.code}" for s in self.border_sections]
        return labels
