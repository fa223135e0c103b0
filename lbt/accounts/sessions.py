"""Logins kept on the server: one ``user_sessions`` row per login. The browser's cookie carries the
login's random key; a login holds while its row is open, so logging out ends it for every copy of
the cookie, and a password change, a deactivation or an administrator ends the others."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.models import SessionEnd, User, UserSession
from lbt.core.errors import N_, NotFound

KEY_BYTES = 32  # 256 random bits
MAX_KEY_LENGTH = 100
LAST_SEEN_PRECISION = timedelta(minutes=1)  # do not write on every request


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def user_agent_digest(user_agent: str) -> str:
    return _digest(user_agent)


def _end(login: UserSession, reason: SessionEnd, now: datetime) -> None:
    if login.ended_at is None:
        login.ended_at = now
        login.end_reason = reason


def start_session(session: Session, user: User, *, user_agent: str, now: datetime) -> UserSession:
    """A new login of ``user`` from the browser that sent ``user_agent``; ``user.get_id()`` is then the
    key for its cookie (the row keeps only the key's SHA-256)."""
    key = secrets.token_urlsafe(KEY_BYTES)
    login = UserSession(
        user=user,
        key_hash=_digest(key),
        user_agent_hash=user_agent_digest(user_agent),
        created_at=now,
        last_seen_at=now,
    )
    session.add(login)
    session.flush()
    user.login_key = key
    return login


def open_login(session: Session, key: str | None) -> UserSession | None:
    """The open login whose cookie key this is (the current one, for a logged-in user's key)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    login = session.scalar(select(UserSession).where(UserSession.key_hash == _digest(key)))
    return login if login is not None and login.ended_at is None else None


def load_session_user(session: Session, key: str, *, user_agent: str, now: datetime) -> User | None:
    """The user behind a login cookie while the login is open, the account active and the browser the
    same; else None. A cookie shown by another browser ends the login (a copied cookie is worth
    nothing after that). The caller commits: the last-seen time and such an end are written here."""
    login = open_login(session, key)
    if login is None:
        return None
    if not secrets.compare_digest(login.user_agent_hash, user_agent_digest(user_agent)):
        _end(login, SessionEnd.OTHER_BROWSER, now)
        return None
    user = login.user
    if not user.is_active:
        _end(login, SessionEnd.DEACTIVATED, now)
        return None
    if now - login.last_seen_at >= LAST_SEEN_PRECISION:
        login.last_seen_at = now
    user.login_key = key
    return user


def end_session(session: Session, key: str | None, *, reason: SessionEnd, now: datetime) -> None:
    """End the login with this cookie key (logging out); an unknown or ended one is left as it is."""
    login = open_login(session, key)
    if login is not None:
        _end(login, reason, now)
        session.flush()


def end_sessions(
    session: Session, user: User, *, reason: SessionEnd, now: datetime, keep: str | None = None
) -> int:
    """End every open login of ``user`` except the one with the cookie key ``keep``; how many ended."""
    kept = _digest(keep) if keep else None
    logins = [login for login in open_sessions(session, user) if login.key_hash != kept]
    for login in logins:
        _end(login, reason, now)
    session.flush()
    return len(logins)


def end_session_of(
    session: Session, user: User, session_id: int, *, reason: SessionEnd, now: datetime
) -> None:
    """An administrator ends one login of ``user`` (by the row's id, shown on the user's page)."""
    login = session.get(UserSession, session_id)
    if login is None or login.user_id != user.id:
        raise NotFound(N_("No such login."))
    _end(login, reason, now)
    session.flush()


def open_sessions(session: Session, user: User) -> Sequence[UserSession]:
    """The user's open logins, the most recently used first."""
    query = select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    return session.scalars(query.order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())).all()
