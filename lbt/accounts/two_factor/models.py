"""The tables of two-factor login, beside (not in) the ``users`` table: one TOTP secret per user,
the user's security keys (WebAuthn) and the challenges given to them, the user's recovery codes, and
the roles an administrator set apart from the defaults."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.accounts.models import User
from lbt.audit.models import Audited
from lbt.core.db import Base, stamped


class TwoFactorSecret(Audited, Base):
    """A user's confirmed TOTP secret (base32, as the authenticator app holds it). ``last_used_step``
    is the 30-second step of the last code accepted: a code of that step or an earlier one is refused,
    so a code seen over someone's shoulder cannot be used again."""

    __tablename__ = "two_factor_secrets"
    __audit_redact__ = frozenset({"secret"})
    __audit_ignore__ = frozenset({"last_used_step", "last_used_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime] = stamped()
    last_used_step: Mapped[int] = mapped_column(BigInteger)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint("last_used_step >= 0", name="last_used_step"),)

    def audit_label(self) -> str:
        return f"{self.user_id}"


class RecoveryCode(Audited, Base):
    """One recovery code of a user, hashed like a password; ``used_at`` is set when it lets the user
    in, and it never does again."""

    __tablename__ = "two_factor_recovery_codes"
    __audit_redact__ = frozenset({"code_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = stamped()
    used_at: Mapped[datetime | None]


class TwoFactorRole(Audited, Base):
    """Whether a role must log in with two factors, as an administrator set it; a role without a row
    keeps the default (``services.DEFAULT_REQUIRED``). The role is a plain string, not the role
    enum's CHECK: a role added later needs no change here."""

    __tablename__ = "two_factor_roles"

    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    is_required: Mapped[bool]

    def audit_label(self) -> str:
        return self.role


class SecurityKey(Audited, Base):
    """A security key (a WebAuthn credential) the user added, named by them. ``credential_id`` and
    ``public_key`` (COSE) are base64url as the browser sends them; ``sign_count`` is the key's counter
    at its last use (0 for a key that keeps none): an answer whose counter does not grow is refused."""

    __tablename__ = "security_keys"
    __audit_redact__ = frozenset({"public_key"})
    __audit_ignore__ = frozenset({"sign_count", "last_used_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[str] = mapped_column(Text)
    sign_count: Mapped[int] = mapped_column(BigInteger)
    transports: Mapped[str] = mapped_column(String(200))  # comma-separated, as the browser said
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = stamped()
    last_used_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("sign_count >= 0", name="sign_count"),)

    def audit_label(self) -> str:
        return self.name


class SecurityKeyChallenge(Base):
    """A challenge given to the browser for adding a key (``register``) or logging in with one
    (``authenticate``): good once (deleted when an answer names it) and for a few minutes. A new one
    replaces the user's earlier one of the same purpose."""

    __tablename__ = "security_key_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    challenge: Mapped[str] = mapped_column(String(100))  # base64url
    created_at: Mapped[datetime] = stamped()

    __table_args__ = (CheckConstraint("purpose IN ('register', 'authenticate')", name="purpose"),)
