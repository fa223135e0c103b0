"""Which roles must log in with two factors (an administrator's choice per role, over the defaults),
what a login needs after the password, and an administrator's reset of a user's second factor (a lost
phone): audited, the user's logins ended, the user told by mail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from lbt.accounts import sessions
from lbt.accounts.models import Role, SessionEnd, User
from lbt.accounts.two_factor import services
from lbt.accounts.two_factor.models import SecurityKey, TwoFactorRole, TwoFactorSecret
from lbt.core.catalogs import translate
from lbt.core.dates import format_moment
from lbt.core.errors import N_, DomainError
from lbt.notifications.services import queue_message

# staff who decide, supervise, administer and read everything; guards log in on shared tablets at
# the crossing points and their devices use API tokens, so for them (and other roles) it is a choice
DEFAULT_REQUIRED = frozenset({Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.ANALYST})
MAIL_LOCALE = "ru"  # the staff's common language when a user chose none

RESET_SUBJECT = N_("Your two-factor login was reset")
RESET_BODY = N_(
    "An administrator reset the two-factor login of your account %(username)s on %(when)s: the codes "
    "of your old phone, your security keys and your recovery codes no longer work, and your logins "
    "were ended.\n\nAt your next login you set it up again, with your authenticator app or a security "
    "key. If you did not ask for this, tell your administrator at once.\n\n%(url)s"
)
SIGNATURE = N_("This message was sent by the local border traffic service. Do not reply to it.")


def required_roles(session: Session) -> frozenset[Role]:
    """The roles whose users must log in with two factors now."""
    stored = {row.role: row.is_required for row in session.scalars(select(TwoFactorRole))}
    return frozenset(role for role in Role if stored.get(role.value, role in DEFAULT_REQUIRED))


def is_required(session: Session, role: Role) -> bool:
    return role in required_roles(session)


def login_step(session: Session, user: User) -> services.Step:
    """After the right password: a code or a security key for a user who enrolled, enrolment for a
    user whose role needs two factors and who has none yet, nothing else for the others."""
    if services.has_factor(session, user):
        return services.Step.CODE
    if is_required(session, user.role):
        return services.Step.ENROL
    return services.Step.NONE


def turn_off(session: Session, user: User, code: str, *, attempt: services.Attempt, now: datetime) -> None:
    """The user's own choice, where the role allows the password alone, on a code of the app."""
    if is_required(session, user.role):
        raise DomainError(N_("Your role must log in with two factors: it cannot be turned off."))
    services.check_counted_code(session, user, code, attempt=attempt, now=now)
    services.remove(session, user)


def set_required_roles(
    session: Session, required: Iterable[Role], *, now: datetime, keep_login: str | None = None
) -> int:
    """Store the administrator's choice for every role. The open logins of users who must now use two
    factors and have none end (all but ``keep_login``, the administrator's own), so their next login
    takes them to enrolment; returns how many ended."""
    wanted = frozenset(required)
    before = required_roles(session)
    rows = {row.role: row for row in session.scalars(select(TwoFactorRole))}
    for role in Role:
        row = rows.get(role.value)
        if row is None:
            session.add(TwoFactorRole(role=role.value, is_required=role in wanted))
        elif row.is_required != (role in wanted):
            row.is_required = role in wanted
    session.flush()
    newly = wanted - before
    if not newly:
        return 0
    enrolled = union(select(TwoFactorSecret.user_id), select(SecurityKey.user_id))
    affected = session.scalars(select(User).where(User.role.in_(newly), User.id.not_in(enrolled)))
    return sum(
        sessions.end_sessions(session, user, reason=SessionEnd.ADMIN, now=now, keep=keep_login)
        for user in affected
    )


def reset(
    session: Session,
    user: User,
    *,
    now: datetime,
    public_url: str,
    zone_name: str,
    keep_login: str | None = None,
) -> None:
    """A lost or replaced phone or key: an administrator removes the user's secret, security keys and
    recovery codes (each removal audited under the administrator), ends the user's logins (but ``keep_login``, their own)
    and tells the user by mail when the account has an address."""
    if not services.remove(session, user):
        raise DomainError(N_("%(username)s has no two-factor login to reset."), username=user.username)
    sessions.end_sessions(session, user, reason=SessionEnd.ADMIN, now=now, keep=keep_login)
    if not user.email:
        return
    locale = user.locale or MAIL_LOCALE
    params = {
        "username": user.username,
        "when": format_moment(now, locale, zone_name),
        "url": f"{public_url}/login",
    }
    body = translate(locale, RESET_BODY, **params)
    queue_message(
        session,
        recipient=user.email,
        subject=translate(locale, RESET_SUBJECT),
        body=f"{body}\n\n{translate(locale, SIGNATURE)}\n",
        now=now,
    )
