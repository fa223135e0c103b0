"""Two-factor login: enrolment confirmed by a first code, the second step of a login (a TOTP code,
each accepted once, or a recovery code, each good once), new recovery codes, turning it off. Which
roles must use it and an administrator's reset live in ``policy.py``; security keys, the second kind
of factor, in ``security_keys.py`` (counted and locked by ``run_counted`` here, like codes)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lbt.accounts import logins
from lbt.accounts.models import User
from lbt.accounts.passwords import hash_password, verify_password
from lbt.accounts.two_factor import totp
from lbt.accounts.two_factor.models import RecoveryCode, SecurityKey, TwoFactorSecret
from lbt.core.errors import N_, DomainError, ValidationFailed

T = TypeVar("T")
CODE_FIELD = "code"
# wrong codes are counted in login_failures like wrong passwords, under a client of their own: a
# right password (which forgets the password's failures) must not forget the wrong codes
CODE_CLIENT_PREFIX = "code:"


class WrongCode(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(N_("This code is wrong. Type the six digits your app shows now."), CODE_FIELD)


class CodeUsed(ValidationFailed):
    """A right code of a step already used: taken once only, so a code seen by someone is worthless."""

    def __init__(self) -> None:
        super().__init__(N_("This code was used already. Wait for the next code of your app."), CODE_FIELD)


class CodesLocked(DomainError):
    def __init__(self, until: datetime, minutes: int) -> None:
        super().__init__(N_("Too many wrong codes. Log in again in %(minutes)d minutes."), minutes=minutes)
        self.until = until


class Step(enum.StrEnum):
    """What a login needs after the right password."""

    NONE = "none"  # nothing: the role may log in with the password alone and the user did not enrol
    CODE = "code"  # a code from the user's app (or a recovery code)
    ENROL = "enrol"  # the role needs two factors and the user has none yet: set it up first


class Proof(enum.StrEnum):
    TOTP = "totp"
    RECOVERY = "recovery"


@dataclass(frozen=True)
class Checked:
    proof: Proof
    recovery_codes_left: int


@dataclass(frozen=True)
class Status:
    enrolled_since: datetime | None  # the first second factor of either kind still kept
    recovery_codes_left: int
    has_app: bool = False
    security_keys: int = 0


def secret_of(session: Session, user: User) -> TwoFactorSecret | None:
    return session.scalar(select(TwoFactorSecret).where(TwoFactorSecret.user_id == user.id))


def has_factor(session: Session, user: User) -> bool:
    """Whether the user logs in with a second factor: an authenticator app or a security key."""
    if secret_of(session, user) is not None:
        return True
    return session.scalar(select(SecurityKey.id).where(SecurityKey.user_id == user.id).limit(1)) is not None


def _unused_codes(session: Session, user: User, *, for_update: bool = False) -> Sequence[RecoveryCode]:
    query = select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    if for_update:
        query = query.with_for_update()
    return session.scalars(query.order_by(RecoveryCode.id)).all()


def status(session: Session, user: User) -> Status:
    found = secret_of(session, user)
    left = session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    keys = session.execute(
        select(func.count(), func.min(SecurityKey.created_at)).where(SecurityKey.user_id == user.id)
    ).one()
    since = [moment for moment in (found.confirmed_at if found else None, keys[1]) if moment is not None]
    return Status(min(since) if since else None, left or 0, found is not None, keys[0] or 0)


def _drop_recovery_codes(session: Session, user: User) -> None:
    for row in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(row)  # one by one, so each deletion is audited
    session.flush()


def _new_recovery_codes(
    session: Session, user: User, now: datetime, hash_code: Callable[[str], str] = hash_password
) -> list[str]:
    """Ten new codes in place of all earlier ones (used or not); only their hashes are kept."""
    _drop_recovery_codes(session, user)
    codes = totp.new_recovery_codes()
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=hash_code(totp.clean_code(code)), created_at=now)
        for code in codes
    )
    session.flush()
    return codes


def first_recovery_codes(session: Session, user: User, now: datetime) -> list[str]:
    """The recovery codes given with a user's first second factor of any kind (shown once)."""
    return _new_recovery_codes(session, user, now)


def enrol(session: Session, user: User, secret: str, code: str, *, now: datetime) -> list[str]:
    """RFC 6238 enrolment: the secret shown to the user is kept only once a code made from it proves
    the app holds it; returns the recovery codes, shown this once (none when the user had a security
    key already: the codes given with it stay)."""
    if secret_of(session, user) is not None:
        raise DomainError(N_("Two-factor login is on already."))
    step = totp.matching_step(secret, code, now)
    if step is None:
        raise WrongCode()
    if has_factor(session, user):
        session.add(
            TwoFactorSecret(user=user, secret=secret, confirmed_at=now, last_used_step=step, last_used_at=now)
        )
        session.flush()
        return []
    session.add(
        TwoFactorSecret(user=user, secret=secret, confirmed_at=now, last_used_step=step, last_used_at=now)
    )
    session.flush()
    return _new_recovery_codes(session, user, now)


def enrol_known_secret(
    session: Session,
    user: User,
    secret: str,
    *,
    now: datetime,
    hash_code: Callable[[str], str] = hash_password,
) -> list[str]:
    """Enrolment without a first code, for accounts whose secret is handed over in writing (the demo's,
    printed with their passwords); returns the recovery codes, hashed by ``hash_code``."""
    if secret_of(session, user) is not None:
        raise DomainError(N_("Two-factor login is on already."))
    session.add(TwoFactorSecret(user=user, secret=secret, confirmed_at=now, last_used_step=0))
    session.flush()
    return _new_recovery_codes(session, user, now, hash_code)


def _check_totp(session: Session, user: User, code: str, now: datetime) -> None:
    found = session.scalar(
        select(TwoFactorSecret).where(TwoFactorSecret.user_id == user.id).with_for_update()
    )
    if found is None:
        raise WrongCode()
    step = totp.matching_step(found.secret, code, now)
    if step is None:
        raise WrongCode()
    if step <= found.last_used_step:  # this code, or a later one, was taken already
        raise CodeUsed()
    found.last_used_step = step
    found.last_used_at = now
    session.flush()


def _check_recovery_code(session: Session, user: User, code: str, now: datetime) -> int:
    """Mark the matching unused recovery code used; how many are left."""
    typed = totp.clean_code(code)
    unused = _unused_codes(session, user, for_update=True)
    for row in unused:
        if verify_password(row.code_hash, typed):
            row.used_at = now
            session.flush()
            return len(unused) - 1
    raise WrongCode()


def check_code(session: Session, user: User, code: str, *, now: datetime) -> Checked:
    """A six-digit code of the user's app (its step not used before), or one of their unused
    recovery codes; raises ``WrongCode`` or ``CodeUsed``."""
    if totp.is_totp_code(code):
        _check_totp(session, user, code, now)
        return Checked(Proof.TOTP, 0)
    left = _check_recovery_code(session, user, code, now)
    return Checked(Proof.RECOVERY, left)


@dataclass(frozen=True)
class Attempt:
    """Who is typing a code, and the limits of the password's lock (``LBT_LOGIN_MAX_FAILURES``,
    ``LBT_LOGIN_LOCKOUT_MINUTES``), which wrong codes get too."""

    client: str
    max_failures: int
    lockout_minutes: int


def check_counted_code(
    session: Session, user: User, code: str, *, attempt: Attempt, now: datetime
) -> Checked:
    """``check_code``, rate-limited like the password: ``max_failures`` wrong codes in a row for this
    account from one client lock codes for ``lockout_minutes`` (the login's second step and the pages
    that ask for a code). The caller commits also when this raises, so the count is kept."""
    return run_counted(
        session, user, lambda: check_code(session, user, code, now=now), attempt=attempt, now=now
    )


def run_counted(
    session: Session,
    user: User,
    check: Callable[[], T],
    *,
    attempt: Attempt,
    now: datetime,
    refusals: tuple[type[Exception], ...] = (WrongCode, CodeUsed),
) -> T:
    """Run ``check`` of a second factor under the lock of wrong codes: a refusal (one of ``refusals``)
    is counted, the limit locks every second factor of this account from this client, a success
    forgets the count. A code and a security key share one count."""
    pair = CODE_CLIENT_PREFIX + attempt.client
    until = logins.locked_until(session, user.username, pair, now=now)
    if until is not None:
        raise CodesLocked(until, attempt.lockout_minutes)
    try:
        checked = check()
    except refusals:
        logins.count_failure(
            session,
            user.username,
            pair,
            now=now,
            max_failures=attempt.max_failures,
            lockout_minutes=attempt.lockout_minutes,
        )
        until = logins.locked_until(session, user.username, pair, now=now)
        if until is not None:
            raise CodesLocked(until, attempt.lockout_minutes) from None
        raise
    logins.forget_failures(session, user.username, pair)
    return checked


def new_recovery_codes(
    session: Session, user: User, code: str, *, attempt: Attempt, now: datetime
) -> list[str]:
    """New recovery codes (the old ones stop working), on a code of the user's app (or, for a user
    with security keys only, one of their recovery codes)."""
    if not has_factor(session, user):
        raise DomainError(N_("Two-factor login is not on."))
    check_counted_code(session, user, code, attempt=attempt, now=now)
    return _new_recovery_codes(session, user, now)


def remove(session: Session, user: User) -> bool:
    """Forget the user's secret, security keys and recovery codes (each deletion audited); whether
    there was a second factor."""
    found = secret_of(session, user)
    keys = session.scalars(select(SecurityKey).where(SecurityKey.user_id == user.id)).all()
    _drop_recovery_codes(session, user)
    if found is not None:
        session.delete(found)
    for key in keys:
        session.delete(key)
    session.flush()
    return found is not None or bool(keys)
