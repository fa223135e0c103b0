"""Logging in: the password check and the lock on one account name from one client.

A client is the browser when it holds a signed "known browser" record naming the account (given at
a successful login), else the IP address. After ``max_failures`` wrong passwords in a row for a name
from one client, that pair is locked for ``lockout_minutes``: the attacker's client is locked, not the
account, so the real user still logs in from their own browser or another address. A locked pair,
an unknown name and a wrong password get the same answer after the same argon2 work, so the answer
tells nothing about which names exist or are locked.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lbt.accounts.models import LoginFailure, User
from lbt.accounts.passwords import hash_password, needs_rehash, verify_password
from lbt.accounts.sessions import start_session
from lbt.core.errors import N_, DomainError

MAX_USERNAME_LENGTH = 60
KNOWN_BROWSER_SALT = "lbt.known-browser"
KNOWN_BROWSER_MAX_AGE = timedelta(days=180)
KNOWN_BROWSER_ACCOUNTS = 10  # the accounts a shared computer at a crossing point remembers


class InvalidCredentials(DomainError):
    def __init__(self) -> None:
        super().__init__(N_("Wrong username or password."))


class AccountLocked(InvalidCredentials):
    """Refused because the name is locked for this client: says exactly what a wrong password says."""

    def __init__(self, until: datetime) -> None:
        super().__init__()
        self.until = until


def normalise_username(username: str) -> str:
    return username.strip().lower()[:MAX_USERNAME_LENGTH]


def account_digest(username: str) -> str:
    """A browser remembers the accounts that logged in on it by digest, not by name."""
    return hashlib.sha256(f"lbt-account:{normalise_username(username)}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class KnownBrowser:
    """A browser in which these accounts logged in before (signed with the app's secret key)."""

    browser_id: str
    accounts: tuple[str, ...] = ()
    issued_at: datetime | None = field(default=None, compare=False)

    @classmethod
    def new(cls) -> KnownBrowser:
        return cls(secrets.token_urlsafe(16))

    def knows(self, username: str) -> bool:
        return account_digest(username) in self.accounts

    def remember(self, username: str, now: datetime) -> KnownBrowser:
        digest = account_digest(username)
        kept = [account for account in self.accounts if account != digest]
        accounts = (digest, *kept)[:KNOWN_BROWSER_ACCOUNTS]
        return KnownBrowser(self.browser_id, accounts, now)

    def dumps(self, secret_key: str) -> str:
        issued = int(self.issued_at.timestamp()) if self.issued_at is not None else 0
        payload = {"b": self.browser_id, "a": list(self.accounts), "t": issued}
        return URLSafeSerializer(secret_key, salt=KNOWN_BROWSER_SALT).dumps(payload)

    @classmethod
    def loads(cls, secret_key: str, value: str | None, now: datetime) -> KnownBrowser | None:
        """The record a cookie holds, or None when it is missing, forged, malformed or too old."""
        if not value or len(value) > 4000:
            return None
        try:
            payload = URLSafeSerializer(secret_key, salt=KNOWN_BROWSER_SALT).loads(value)
        except BadData:
            return None
        if not isinstance(payload, dict):
            return None
        browser_id, accounts, issued = payload.get("b"), payload.get("a"), payload.get("t")
        if not isinstance(browser_id, str) or not isinstance(accounts, list) or not isinstance(issued, int):
            return None
        if not all(isinstance(account, str) for account in accounts):
            return None
        try:
            issued_at = datetime.fromtimestamp(issued, tz=now.tzinfo)
        except (OverflowError, OSError, ValueError):
            return None
        if now - issued_at > KNOWN_BROWSER_MAX_AGE:
            return None
        return cls(browser_id, tuple(accounts[:KNOWN_BROWSER_ACCOUNTS]), issued_at)


def client_key(address: str | None, browser: KnownBrowser | None, username: str) -> str:
    """Who is trying: the browser, when it knows this account, else the IP address."""
    if browser is not None and browser.knows(username):
        return f"browser:{browser.browser_id}"
    return f"ip:{address or '-'}"[:80]


def _failure_row(session: Session, username: str, client: str) -> LoginFailure | None:
    query = select(LoginFailure).where(LoginFailure.username == username, LoginFailure.client == client)
    return session.scalar(query.with_for_update())


def _forget_stale(session: Session, now: datetime, window: timedelta) -> None:
    """Failures older than the lock window count no more: drop them (and ended locks)."""
    session.execute(
        delete(LoginFailure)
        .where(LoginFailure.last_failed_at < now - window)
        .where(or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until <= now))
        .execution_options(synchronize_session="fetch")
    )


def _count_failure(
    session: Session, username: str, client: str, *, now: datetime, max_failures: int, window: timedelta
) -> None:
    _forget_stale(session, now, window)
    row = _failure_row(session, username, client)
    if row is None:
        try:
            with session.begin_nested():  # a concurrent first failure of the same pair may insert it too
                row = LoginFailure(username=username, client=client, failure_count=0, last_failed_at=now)
                session.add(row)
        except IntegrityError:
            row = _failure_row(session, username, client)
            if row is None:  # inserted and pruned meanwhile: this failure alone is too little to lock
                return
    if now - row.last_failed_at > window:
        row.failure_count = 0
    row.failure_count += 1
    row.last_failed_at = now
    if row.failure_count >= max_failures:
        row.failure_count = 0
        row.locked_until = now + window
    session.flush()


def count_failure(
    session: Session, username: str, client: str, *, now: datetime, max_failures: int, lockout_minutes: int
) -> None:
    """One more wrong answer for this (name, client) pair; ``max_failures`` in a row lock it for
    ``lockout_minutes`` (the second step of two-factor login counts its wrong codes the same way)."""
    window = timedelta(minutes=lockout_minutes)
    _count_failure(
        session, normalise_username(username), client, now=now, max_failures=max_failures, window=window
    )


def locked_until(session: Session, username: str, client: str, *, now: datetime) -> datetime | None:
    """When the lock on this (name, client) pair ends, if it is locked now."""
    row = _failure_row(session, normalise_username(username), client)
    return row.locked_until if row is not None and row.locked_until and now < row.locked_until else None


def forget_failures(session: Session, username: str, client: str) -> None:
    row = _failure_row(session, normalise_username(username), client)
    if row is not None:
        session.delete(row)
        session.flush()


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    now: datetime,
    max_failures: int,
    lockout_minutes: int,
    client: str = "ip:-",
) -> User:
    """OWASP's account-lockout advice without its denial of service: ``max_failures`` wrong passwords
    in a row for a name from one client lock that pair for ``lockout_minutes``; other clients are not
    affected. The password is checked in every case (an unknown name against a dummy hash, a locked
    pair too), so each answer costs the same and says "wrong username or password".

    The caller commits even when this raises, so the failure count is kept.
    """
    name = normalise_username(username)
    user = session.scalar(select(User).where(User.username == name)) if name else None
    failures = _failure_row(session, name, client)
    right = verify_password(user.password_hash if user is not None else None, password)
    if failures is not None and failures.locked_until is not None and now < failures.locked_until:
        raise AccountLocked(failures.locked_until)
    if user is None or not right or not user.is_active:
        window = timedelta(minutes=lockout_minutes)
        _count_failure(session, name, client, now=now, max_failures=max_failures, window=window)
        raise InvalidCredentials()
    if failures is not None:
        session.delete(failures)
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


def active_locks(session: Session, usernames: Iterable[str], *, now: datetime) -> Sequence[LoginFailure]:
    """The pairs locked now for these account names."""
    names = [normalise_username(name) for name in usernames]
    if not names:
        return []
    query = select(LoginFailure).where(
        LoginFailure.username.in_(names),
        LoginFailure.locked_until.is_not(None),
        LoginFailure.locked_until > now,
    )
    return session.scalars(query.order_by(LoginFailure.locked_until.desc())).all()


def unlock(session: Session, user: User) -> None:
    """Lift every lock on the account's name and forget its failures, from every client."""
    session.execute(
        delete(LoginFailure)
        .where(LoginFailure.username == user.username)
        .execution_options(synchronize_session="fetch")
    )


def log_in(
    session: Session,
    username: str,
    password: str,
    *,
    client: str,
    user_agent: str,
    now: datetime,
    max_failures: int,
    lockout_minutes: int,
) -> User:
    """Check the password (``authenticate``) and start a login (a ``user_sessions`` row) for the
    browser; ``user.get_id()`` is then its cookie key. The caller commits, also when this raises."""
    user = authenticate(
        session,
        username,
        password,
        client=client,
        now=now,
        max_failures=max_failures,
        lockout_minutes=lockout_minutes,
    )
    start_session(session, user, user_agent=user_agent, now=now)
    return user
