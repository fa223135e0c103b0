"""Users, their role, the scope a role is limited to (agreements, crossing points, sections), their
logins (one ``user_sessions`` row each) and the wrong passwords counted per account name and client."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, UniqueConstraint
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
    ANALYST = "analyst"  # central office: reads the reports of the home state's agreements, changes nothing
    MONITOR = "monitor"  # the monitoring system: reads /metrics with an API token, nothing else


LOCALES = ("en", "ru", "tg", "ky", "uz")  # as lbt.core.catalogs.LOCALES; the check below lists them too


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


class User(Audited, Base):
    __tablename__ = "users"
    __audit_ignore__ = frozenset({"last_login_at", "locale"})  # a language choice is not worth an entry
    __audit_redact__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)  # stored lower-case
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
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
        CheckConstraint("locale IS NULL OR locale IN ('en', 'ru', 'tg', 'ky', 'uz')", name="locale"),
    )

    # The key of the login (a ``user_sessions`` row) this object was loaded for in this request, set
    # by ``lbt.accounts.sessions``; never stored (the row keeps only the key's SHA-256).
    if TYPE_CHECKING:
        login_key: str | None
    login_key = None

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
        """What the login cookie carries: the random key of this login, not the user's id, so that a
        login ends on the server (logout, password change, an administrator) whatever the cookie says."""
        if self.login_key is None:
            raise RuntimeError("this user was not loaded for a login (lbt.accounts.sessions.start_session)")
        return self.login_key

    def scope_labels(self) -> list[str]:
        """The user's scope as ``kind:code`` words, the same syntax as ``lbt users create --scope``."""
        labels = [f"agreement:{a.code}" for a in self.agreements]
        labels += [f"crossing:{c.code}" for c in self.crossing_points]
        if self.state is not None:
            labels.append(f"state:{self.state.code}")
        labels += [f"section:{s.code}" for s in self.border_sections]
        return labels


class SessionEnd(enum.StrEnum):
    """Why a login ended."""

    LOGOUT = "logout"  # the user logged out in this browser
    EVERYWHERE = "everywhere"  # the user logged out everywhere
    PASSWORD = "password"  # noqa: S105 - a reason, not a secret: the password was changed or set
    ADMIN = "admin"  # an administrator ended it
    DEACTIVATED = "deactivated"  # the account was deactivated
    OTHER_BROWSER = "other_browser"  # its cookie came from another browser (a copied cookie)


class UserSession(Audited, Base):
    """One login: the browser's cookie carries a random key, the row keeps the key's SHA-256. The login
    holds while the row is open; logging out, a password change or an administrator ends the row, and
    a copy of the cookie is worth nothing from then on."""

    __tablename__ = "user_sessions"
    __audit_ignore__ = frozenset({"last_seen_at"})
    __audit_redact__ = frozenset({"key_hash", "user_agent_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the User-Agent header at login: the cookie is accepted from that browser only
    user_agent_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = stamped()
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[SessionEnd | None] = mapped_column(enum_type(SessionEnd, "session_end"))

    user: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ended"),)

    def audit_label(self) -> str:
        return f"{self.id}"


class LoginFailure(Base):
    """Wrong passwords in a row for one account name from one client (an IP address, or a browser the
    account logged in from before). Reaching the limit locks that pair only, so nobody elsewhere can
    lock the real user out. The name may be no account's: the answer must not tell."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60))  # trimmed and lower-cased, as looked up
    client: Mapped[str] = mapped_column(String(80))
    failure_count: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("username", "client"),
        CheckConstraint("failure_count >= 0", name="failure_count"),
    )
