"""Accounts: creating users, their scope, passwords (argon2id), logging in with a lockout."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lbt.accounts.models import LOCALES, Role, User, new_session_token
from lbt.core.errors import N_, DomainError, NotFound, ValidationFailed
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, State

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

DEFAULT_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_hasher = DEFAULT_HASHER


def password_hasher() -> PasswordHasher:
    return _hasher


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash and verify with ``hasher`` from now on and return the one used until now. Only the tests
    call this (with an argon2id of minimal cost); the app always runs with ``DEFAULT_HASHER``. A hash
    made with other parameters than the hasher's still verifies, and is re-hashed at the next login."""
    global _hasher
    previous, _hasher = _hasher, hasher
    return previous


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the username is unknown, so the answer takes as long as for a real user
    (made by the hasher in use, so that it costs what a real user's hash costs)."""
    return hasher.hash("not a password of anyone")


class InvalidCredentials(DomainError):
    def __init__(self) -> None:
        super().__init__(N_("Wrong username or password."))


class AccountLocked(DomainError):
    def __init__(self, until: datetime) -> None:
        super().__init__(
            N_("Too many failed attempts. This account is locked until %(until)s UTC."),
            until=until.strftime("%Y-%m-%d %H:%M"),
        )
        self.until = until


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str, username: str) -> None:
    """NIST SP 800-63B: length over composition rules; no password equal to the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            N_("The password must be at least %(count)d characters long."),
            "password",
            count=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(N_("The password is too long."), "password")
    if password.strip().lower() == username.strip().lower():
        raise ValidationFailed(N_("The password must differ from the username."), "password")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("No such user."))
    return user


def authenticate(
    session: Session, username: str, password: str, *, now: datetime, max_failures: int, lockout_minutes: int
) -> User:
    """Lock an account for ``lockout_minutes`` after ``max_failures`` wrong passwords in a row.

    A locked account answers "locked" without checking the password, so guessing goes no further.
    The caller commits even when this raises, so the failure count is kept.
    """
    user = find_user(session, username)
    if user is None:
        _verify(_dummy_hash(_hasher), password)
        raise InvalidCredentials()
    if user.locked_until is not None and now < user.locked_until:
        raise AccountLocked(user.locked_until)
    if not _verify(user.password_hash, password):
        user.failed_login_count += 1
        if user.failed_login_count >= max_failures:
            user.failed_login_count = 0
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            raise AccountLocked(user.locked_until)
        raise InvalidCredentials()
    if not user.is_active:
        raise InvalidCredentials()
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def load_session_user(session: Session, session_id: str) -> User | None:
    """The user behind a login cookie, if the login is still valid (same token, still active)."""
    user_id, _, token = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or not token:  # "²".isdigit() is true, int("²") fails
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


def change_password(session: Session, user: User, current: str, new: str, *, now: datetime) -> None:
    if not _verify(user.password_hash, current):
        raise ValidationFailed(N_("The current password is wrong."), "current_password")
    set_password(session, user, new, now=now)


def set_password(session: Session, user: User, new: str, *, now: datetime) -> None:
    """Set a new password and end the user's other logins."""
    check_password_rules(new, user.username)
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    user.session_token = new_session_token()
    user.failed_login_count = 0
    user.locked_until = None


def unlock(session: Session, user: User) -> None:
    user.failed_login_count = 0
    user.locked_until = None


def set_locale(session: Session, user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationFailed(N_("Unknown language."), "locale")
    user.locale = locale


@dataclass(frozen=True)
class Scope:
    """What a user's role is limited to, by codes (as typed on the command line or chosen in a form)."""

    agreements: tuple[str, ...] = ()
    crossing_points: tuple[str, ...] = ()
    state: str | None = None
    border_sections: tuple[str, ...] = ()

    @classmethod
    def parse(cls, words: Iterable[str]) -> Scope:
        """Read ``agreement:CODE``, ``crossing:CODE``, ``state:CC`` and ``section:CODE`` words."""
        agreements: list[str] = []
        crossing_points: list[str] = []
        sections: list[str] = []
        state: str | None = None
        for word in words:
            kind, _, code = word.partition(":")
            code = code.strip()
            if not code:
                raise ValidationFailed(N_("Scope %(word)s must look like kind:CODE."), "scope", word=word)
            if kind == "agreement":
                agreements.append(code)
            elif kind == "crossing":
                crossing_points.append(code)
            elif kind == "section":
                sections.append(code)
            elif kind == "state":
                if state is not None and state != code.upper():
                    raise ValidationFailed(N_("A user can have only one state."), "scope")
                state = code.upper()
            else:
                raise ValidationFailed(
                    N_("Unknown scope kind %(kind)s: use agreement, crossing, state or section."),
                    "scope",
                    kind=kind,
                )
        return cls(tuple(agreements), tuple(crossing_points), state, tuple(sections))


def _by_codes(session: Session, model: type, codes: Sequence[str], field: str) -> list:
    if not codes:
        return []
    found = {row.code: row for row in session.scalars(select(model).where(model.code.in_(codes)))}
    missing = [code for code in codes if code not in found]
    if missing:
        raise ValidationFailed(N_("Unknown code(s): %(codes)s."), field, codes=", ".join(missing))
    return [found[code] for code in dict.fromkeys(codes)]


def apply_scope(session: Session, user: User, scope: Scope) -> None:
    """Give the user exactly this scope; each role takes only the kind of scope it works in."""
    role = user.role
    if role in (Role.OFFICER, Role.SUPERVISOR):
        if scope.crossing_points or scope.state or scope.border_sections:
            raise ValidationFailed(N_("Officers and supervisors are scoped to agreements only."), "scope")
        if not scope.agreements:
            raise ValidationFailed(N_("Choose at least one agreement."), "agreements")
    elif role is Role.BORDER_GUARD:
        if scope.agreements or scope.state or scope.border_sections:
            raise ValidationFailed(N_("Border guards are scoped to crossing points only."), "scope")
        if not scope.crossing_points:
            raise ValidationFailed(N_("Choose at least one crossing point."), "crossing_points")
    elif role is Role.REPRESENTATIVE:
        if scope.agreements or scope.crossing_points:
            raise ValidationFailed(N_("Representatives are scoped to a state and border sections."), "scope")
        if not scope.state:
            raise ValidationFailed(N_("Choose the state the representative acts for."), "state")
        if not scope.border_sections:
            raise ValidationFailed(N_("Choose at least one border section."), "border_sections")
    elif scope != Scope():
        raise ValidationFailed(N_("Administrators and auditors have no scope."), "scope")

    user.agreements = _by_codes(session, Agreement, scope.agreements, "agreements")
    user.crossing_points = _by_codes(session, CrossingPoint, scope.crossing_points, "crossing_points")
    sections = _by_codes(session, BorderSection, scope.border_sections, "border_sections")
    state = None
    if scope.state:
        state = session.scalar(select(State).where(State.code == scope.state))
        if state is None:
            raise ValidationFailed(N_("Unknown code(s): %(codes)s."), "state", codes=scope.state)
        foreign = [s.code for s in sections if state.id not in (s.state_a_id, s.state_b_id)]
        if foreign:
            raise ValidationFailed(
                N_("Border section(s) %(codes)s do not border %(state)s."),
                "border_sections",
                codes=", ".join(foreign),
                state=state.code,
            )
    user.state = state
    user.border_sections = sections


@dataclass(frozen=True)
class UserData:
    username: str
    role: Role
    full_name: str = ""
    email: str = ""
    locale: str | None = None
    scope: Scope = Scope()


def create_user(session: Session, data: UserData, password: str, *, now: datetime) -> User:
    username = data.username.strip().lower()
    if not username:
        raise ValidationFailed(N_("A username is required."), "username")
    if find_user(session, username) is not None:
        raise ValidationFailed(N_("The username %(username)s is taken."), "username", username=username)
    check_password_rules(password, username)
    user = User(
        username=username,
        role=data.role,
        full_name=data.full_name.strip(),
        email=data.email.strip(),
        locale=data.locale,
        password_hash=hash_password(password),
        password_changed_at=now,
        created_at=now,
    )
    session.add(user)
    apply_scope(session, user, data.scope)
    session.flush()
    return user


def update_user(session: Session, user: User, data: UserData, *, acting_user: User) -> User:
    if user.id == acting_user.id and data.role is not user.role:
        raise ValidationFailed(N_("You cannot change your own role."), "role")
    user.role = data.role
    user.full_name = data.full_name.strip()
    user.email = data.email.strip()
    user.locale = data.locale
    apply_scope(session, user, data.scope)
    session.flush()
    return user


def set_active(session: Session, user: User, active: bool, *, acting_user: User) -> None:
    if user.id == acting_user.id and not active:
        raise ValidationFailed(N_("You cannot deactivate your own account."))
    user.is_active = active
    if not active:
        user.session_token = new_session_token()


def list_users(session: Session, *, role: Role | None = None, search: str = "") -> Sequence[User]:
    query = select(User).options(
        selectinload(User.agreements),
        selectinload(User.crossing_points),
        selectinload(User.border_sections),
        selectinload(User.state),
    )
    if role is not None:
        query = query.where(User.role == role)
    typed = search.strip()
    if typed:
        # autoescape: a typed % or _ is looked for as such, not as a wildcard. SQLite lowers only ASCII,
        # so a Cyrillic full name is also matched as typed.
        query = query.where(
            func.lower(User.username).contains(typed.lower(), autoescape=True)
            | func.lower(User.full_name).contains(typed.lower(), autoescape=True)
            | User.full_name.contains(typed, autoescape=True)
        )
    return session.scalars(query.order_by(User.username)).all()
