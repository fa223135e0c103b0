"""Permits: issue (with a number allocated under a lock and a signed QR token), suspend, reinstate,
revoke, annul, replace. Renewal goes through a renewal application."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, joinedload, object_session

from lbt.accounts import policy
from lbt.accounts.models import Role, User
from lbt.applications.models import Application
from lbt.core.counters import next_value
from lbt.core.dates import state_today
from lbt.core.errors import N_, AccessDenied, DomainError, NotFound, ValidationFailed
from lbt.permits.models import WITHDRAWN_STATUSES, Permit, PermitStatus, PermitStatusChange
from lbt.permits.signing import PERMIT_TYP, JwkSet, KeyStore, PermitClaims, SigningKey, jwks, sign
from lbt.reports import issued_counts

log = logging.getLogger(__name__)

_CHECK_WEIGHTS = (7, 3, 1)
_DASHES = (
    "-\u2010\u2011\u2012\u2013\u2014\u2212"  # the hyphen, and the dashes a phone's keyboard puts instead
)
_NUMBER_SHAPE = re.compile(r"([A-Z]{2})([0-9]{4})([0-9]{6})([0-9])")


class PermitWithdrawn(DomainError):
    """The permit was revoked, annulled or replaced: nothing more can be done with it."""


def check_digit(text: str) -> int:
    """ICAO Doc 9303 Part 3 §4.9: weights 7-3-1 over digits (0-9) and letters (A=10 ... Z=35)."""
    total = 0
    for index, char in enumerate(text):
        value = int(char) if char.isdigit() else (ord(char) - ord("A") + 10 if char.isalpha() else 0)
        total += value * _CHECK_WEIGHTS[index % 3]
    return total % 10


def format_number(state: str, year: int, serial: int) -> str:
    """``TJ-2026-000123-4``: issuing state, year, serial, ICAO check digit over state+year+serial."""
    body = f"{state}{year:04d}{serial:06d}"
    return f"{state}-{year:04d}-{serial:06d}-{check_digit(body)}"


def is_well_formed(number: str) -> bool:
    parts = number.strip().upper().split("-")
    if len(parts) != 4 or not (parts[0].isalpha() and len(parts[0]) == 2):
        return False
    state, year, serial, digit = parts
    if not (year.isdigit() and serial.isdigit() and digit.isdigit()):
        return False
    return check_digit(f"{state}{year}{serial}") == int(digit)


def canonical_number(text: str) -> str | None:
    """A number as a guard types it ("tj 2026 000005 9", "TJ2026000005-9 ") in its printed form
    ``TJ-2026-000005-9``; None when it is not shaped like one. The check digit is not checked here
    (``is_well_formed`` does)."""
    compact = "".join(char for char in text.upper() if not char.isspace() and char not in _DASHES)
    match = _NUMBER_SHAPE.fullmatch(compact)
    return "-".join(match.groups()) if match else None


def allocate_number(session: Session, state: str, year: int) -> str:
    """Several officers approving at once never get the same number: the counter row is locked."""
    return format_number(state, year, next_value(session, f"{state}-{year}"))


def claims_of(permit: Permit) -> PermitClaims:
    return PermitClaims(
        permit_number=permit.number,
        surname=permit.surname_latin,
        given_names=permit.given_names_latin,
        birth_date=permit.birth_date,
        document_number=permit.document_number,
        issuing_state=permit.issuing_state,
        agreement_code=permit.agreement.code,
        valid_from=permit.valid_from,
        valid_until=permit.valid_until,
        max_stay_days=permit.max_stay_days,
        issued_at=permit.issued_at,
    )


def _sign(permit: Permit, key: SigningKey) -> None:
    permit.signing_kid = key.kid
    permit.token = sign(claims_of(permit).to_payload(), key, PERMIT_TYP)


@dataclass(frozen=True)
class PermitIssuer:
    """Issues permits for approvals: the state of this instance and its signing key."""

    home_state: str
    key: SigningKey

    def __call__(
        self,
        session: Session,
        application: Application,
        officer: User,
        valid_from: date,
        valid_until: date,
        now: datetime,
    ) -> Permit:
        permit = Permit(
            number=allocate_number(session, self.home_state, now.year),
            application=application,
            agreement=application.agreement,
            issuing_state=self.home_state,
            surname_national=application.surname_national,
            given_names_national=application.given_names_national,
            surname_latin=application.surname_latin,
            given_names_latin=application.given_names_latin,
            search_name=application.search_name,
            sex=application.sex,
            birth_date=application.birth_date,
            nationality=application.nationality,
            document_number=application.document_number,
            locality=application.locality,
            address=application.address,
            photo=application.photo,
            valid_from=valid_from,
            valid_until=valid_until,
            max_stay_days=application.agreement.max_stay_days,
            issued_at=now.replace(microsecond=0),
            issued_by_id=officer.id,
        )
        _sign(permit, self.key)
        session.add(permit)
        session.flush()
        issued_counts.record(session, permit, application.kind)  # the reports' per-day counts
        return permit


def get_for_staff(session: Session, permit_id: int, user: User) -> Permit:
    permit = session.get(Permit, permit_id, options=[joinedload(Permit.agreement)])
    if permit is None:
        raise NotFound(N_("No such permit."))
    if not policy.can_see_agreement(user, permit.agreement_id):
        raise AccessDenied(N_("This permit belongs to an agreement you do not serve."))
    return permit


def find_by_number(session: Session, number: str) -> Permit | None:
    """The permit with this number however it was typed: case, spaces and dashes do not matter."""
    canonical = canonical_number(number)
    return session.scalar(select(Permit).where(Permit.number == (canonical or number.strip().upper())))


def permits_of_application(session: Session, application: Application) -> Sequence[Permit]:
    return session.scalars(
        select(Permit).where(Permit.application_id == application.id).order_by(Permit.id)
    ).all()


def _require_officer(user: User, permit: Permit) -> None:
    if user.role not in (Role.OFFICER, Role.SUPERVISOR) or not policy.can_see_agreement(
        user, permit.agreement_id
    ):
        raise AccessDenied(N_("Only an officer serving this agreement may change this permit."))


def _change(
    permit: Permit,
    status: PermitStatus,
    reason: str,
    now: datetime,
    allowed_from: Sequence[PermitStatus],
    by: User,
) -> None:
    if permit.status in WITHDRAWN_STATUSES:
        raise PermitWithdrawn(
            N_(
                "Permit %(number)s was withdrawn (revoked, annulled or replaced): it can no longer be changed."
            ),
            number=permit.number,
        )
    if permit.status not in allowed_from:
        raise ValidationFailed(
            N_("This action does not apply to permit %(number)s in its present status."), number=permit.number
        )
    if not reason.strip():
        raise ValidationFailed(N_("Give the reason."), "reason")
    permit.status = status
    permit.status_reason = reason.strip()
    permit.status_changed_at = now
    # kept for the reports: a suspension lifted later still happened in its period (issue 12)
    session = object_session(permit)
    assert session is not None, "a permit changes in a session"
    session.add(
        PermitStatusChange(
            permit_id=permit.id,
            agreement_id=permit.agreement_id,
            status=status,
            reason=reason.strip(),
            changed_at=now,
            changed_by_id=by.id,
        )
    )


def suspend(session: Session, permit: Permit, *, officer: User, reason: str, now: datetime) -> None:
    _require_officer(officer, permit)
    _change(permit, PermitStatus.SUSPENDED, reason, now, (PermitStatus.ACTIVE,), officer)


def reinstate(session: Session, permit: Permit, *, officer: User, reason: str, now: datetime) -> None:
    _require_officer(officer, permit)
    _change(permit, PermitStatus.ACTIVE, reason, now, (PermitStatus.SUSPENDED,), officer)


def revoke(session: Session, permit: Permit, *, officer: User, reason: str, now: datetime) -> None:
    """Art. 17: revocation voids the permit from now on."""
    _require_officer(officer, permit)
    _change(permit, PermitStatus.REVOKED, reason, now, (PermitStatus.ACTIVE, PermitStatus.SUSPENDED), officer)


def annul(session: Session, permit: Permit, *, officer: User, reason: str, now: datetime) -> None:
    """Art. 17: annulment voids the permit from the start (e.g. it was obtained by fraud)."""
    _require_officer(officer, permit)
    _change(
        permit, PermitStatus.ANNULLED, reason, now, (PermitStatus.ACTIVE, PermitStatus.SUSPENDED), officer
    )


def replace(
    session: Session, permit: Permit, *, officer: User, reason: str, key: SigningKey, now: datetime
) -> Permit:
    """A lost or damaged card: a new number with the same holder and validity; the old one is marked replaced."""
    _require_officer(officer, permit)
    today = state_today(permit.issuing_state, now)  # validity dates are the issuer's days
    if today >= permit.valid_until:
        raise ValidationFailed(
            N_("A permit on or past its last day cannot be replaced: apply for a renewal.")
        )
    _change(
        permit, PermitStatus.REPLACED, reason, now, (PermitStatus.ACTIVE, PermitStatus.SUSPENDED), officer
    )
    new = Permit(
        number=allocate_number(session, permit.issuing_state, now.year),
        application_id=permit.application_id,
        agreement=permit.agreement,
        issuing_state=permit.issuing_state,
        surname_national=permit.surname_national,
        given_names_national=permit.given_names_national,
        surname_latin=permit.surname_latin,
        given_names_latin=permit.given_names_latin,
        search_name=permit.search_name,
        sex=permit.sex,
        birth_date=permit.birth_date,
        nationality=permit.nationality,
        document_number=permit.document_number,
        locality_id=permit.locality_id,
        address=permit.address,
        photo_file_id=permit.photo_file_id,
        valid_from=max(permit.valid_from, today),
        valid_until=permit.valid_until,
        max_stay_days=permit.max_stay_days,
        issued_at=now.replace(microsecond=0),
        issued_by_id=officer.id,
        replaces=permit,
    )
    _sign(new, key)
    session.add(new)
    session.flush()
    issued_counts.record(session, new, permit.application.kind)  # counted as a replacement
    return new


def kids_in_use(session: Session, kids: Sequence[str], today: date) -> set[str]:
    """The signing keys (by kid) of which a permit is still valid: one indexed EXISTS per key, so the
    cost does not grow with the number of permits."""
    return {
        kid
        for kid in kids
        if session.scalar(select(exists().where(Permit.signing_kid == kid, Permit.valid_until >= today)))
    }


def published_jwks(
    session: Session | Callable[[], Session], store: KeyStore, today: date
) -> dict[str, list[dict[str, str]]]:
    """What /.well-known/jwks.json publishes: the active key and every key a valid permit needs.
    ``session``: or what gives one, asked only when the database must be read (the verify lane's
    scans make none while the keys are in memory).

    Kept in memory per day while the key folder is unchanged (``KeyStore.remember``): which retired
    key a valid permit still needs changes only with the date or a rotation, so requests do not ask
    the database again. Crossing points must be able to check permits while the database is down,
    so then every key the store holds is published (public keys only; a retired key's permits still
    say when they expire), and that answer is not kept."""

    def published() -> JwkSet:
        kids = [record.kid for record in store.public_keys()]
        reader = session if isinstance(session, Session) else session()
        return JwkSet(jwks(store, kids_in_use(reader, kids, today)))

    try:
        return store.remember(("published", today), published)
    except (OperationalError, InterfaceError, PoolTimeout) as error:
        log.warning("JWKS without the database (publishing every stored key): %s", error)
        return JwkSet(jwks(store, {record.kid for record in store.public_keys()}))
