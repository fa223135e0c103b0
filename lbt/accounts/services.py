"""Accounts: creating users, their scope, passwords, activation. Logging in (``logins``), the logins
themselves (``sessions``) and the password rules (``passwords``) live beside this module."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lbt.accounts import logins, sessions
from lbt.accounts.logins import AccountLocked, InvalidCredentials, authenticate
from lbt.accounts.models import LOCALES, Role, SessionEnd, User
from lbt.accounts.passwords import (
    DEFAULT_HASHER,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password_rules,
    hash_password,
    password_hasher,
    use_password_hasher,
    verify_password,
)
from lbt.accounts.sessions import load_session_user
from lbt.core.errors import N_, NotFound, ValidationFailed
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, State

__all__ = [  # the accounts' services, with what logins, sessions and passwords give the other areas
    "DEFAULT_HASHER",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "AccountLocked",
    "InvalidCredentials",
    "Scope",
    "UserData",
    "apply_scope",
    "authenticate",
    "change_password",
    "check_password_rules",
    "create_user",
    "find_user",
    "get_user",
    "hash_password",
    "list_users",
    "load_session_user",
    "password_hasher",
    "set_active",
    "set_locale",
    "set_password",
    "unlock",
    "update_user",
    "use_password_hasher",
]


def _personal(user: User | UserData) -> tuple[str, str]:
    return user.full_name, user.email


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("No such user."))
    return user


def change_password(
    session: Session, user: User, current: str, new: str, *, now: datetime, keep_login: str | None = None
) -> None:
    """The user's own change: needs the current password; the login ``keep_login`` (theirs) stays."""
    if not verify_password(user.password_hash, current):
        raise ValidationFailed(N_("The current password is wrong."), "current_password")
    set_password(session, user, new, now=now, keep_login=keep_login)


def set_password(
    session: Session, user: User, new: str, *, now: datetime, keep_login: str | None = None
) -> None:
    """Set a new password, end the user's logins (except the one with cookie key ``keep_login``) and
    lift the locks on the account's name."""
    check_password_rules(new, user.username, _personal(user))
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    sessions.end_sessions(session, user, reason=SessionEnd.PASSWORD, now=now, keep=keep_login)
    logins.unlock(session, user)


def unlock(session: Session, user: User) -> None:
    logins.unlock(session, user)


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
    check_password_rules(password, username, _personal(data))
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


def set_active(session: Session, user: User, active: bool, *, acting_user: User, now: datetime) -> None:
    if user.id == acting_user.id and not active:
        raise ValidationFailed(N_("You cannot deactivate your own account."))
    user.is_active = active
    if not active:
        sessions.end_sessions(session, user, reason=SessionEnd.DEACTIVATED, now=now)


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
