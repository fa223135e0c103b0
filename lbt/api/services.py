"""Creating, checking and revoking API bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from lbt.accounts.models import User
from lbt.api.models import ApiToken
from lbt.core.errors import N_, ValidationFailed
from lbt.reference.models import CrossingPoint

TOKEN_PREFIX = "lbt_"  # noqa: S105 - a prefix, not a secret
LAST_USED_PRECISION = timedelta(minutes=5)  # do not write on every request


def bearer_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "ignore")).hexdigest()


def create_token(session: Session, user: User, *, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token (256 random bits); the plain text is returned once and never stored."""
    if not user.is_active:
        raise ValidationFailed(N_("The user is deactivated."))
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip()[:100], token_hash=bearer_digest(plain), created_at=now)
    session.add(token)
    session.flush()
    return token, plain


# built once: every device call runs it, and building the statement (its eager-load options) cost
# more than SQLAlchemy's cached compilation of it
_TOKEN_WITH_USER = (
    select(ApiToken)
    .options(joinedload(ApiToken.user).joinedload(User.crossing_points).joinedload(CrossingPoint.state))
    .where(ApiToken.token_hash == bindparam("digest"))
)


def user_for_token(session: Session, plain: str, now: datetime) -> User | None:
    """The active user behind a token that is not revoked, or None. One query (on the unique index
    of the digest): the token, its user and the user's crossing points with their states (for the
    local day), which every device call needs."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    token = session.scalars(_TOKEN_WITH_USER, {"digest": bearer_digest(plain)}).unique().first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        token.last_used_at = now
    return token.user


def revoke_token(session: Session, token: ApiToken, now: datetime) -> None:
    token.revoked_at = token.revoked_at or now


def tokens_of(session: Session, user: User) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all()
