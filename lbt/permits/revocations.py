"""The revocation list: the numbers of withdrawn and suspended permits that are still within their
validity dates, signed like a permit (JWS, ES256) so devices can trust it offline.

The list is the same for every device and changes only when a permit's status changes, when the day
turns (expired permits drop out) or when the signing key rotates. So it is read from the database
once per such change (``RevocationLists``, one per process) and answered from memory otherwise: a
request costs one indexed query for the version, whatever the number of permits. Every change of a
permit's status goes through ``services._change``, which writes a ``permit_status_changes`` row in
the same transaction; that table only grows, so its highest id and the number of rows among its last
ids say whether anything changed. Ids are handed out at insert, so a change may commit after a later
one with a higher id: the count catches it (unless ``RECENT_IDS`` later changes committed while it
waited; then the list takes it in at the next change or day)."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lbt.permits.models import WITHDRAWN_STATUSES, Permit, PermitStatus, PermitStatusChange
from lbt.permits.signing import REVOCATION_LIST_TYP, SigningKey, sign

# the signed time (``iat``) of a list handed out is at most this old: devices show the list's age
# from it, and the guard's page takes a list signed within 5 minutes of the page as the page's one
RESIGN_AFTER = timedelta(seconds=60)
RECENT_IDS = 1000  # the status changes whose late commit the version notices


def revocation_list(session: Session, key: SigningKey, now: datetime) -> str:
    """Expired permits are left out (every verifier refuses them by date), which keeps the list short."""
    revoked, suspended = _listed(session, now.date())
    return _signed(revoked, suspended, key, now)


def _listed(session: Session, today: date) -> tuple[tuple[str, ...], tuple[str, ...]]:
    rows = session.execute(
        select(Permit.number, Permit.status)
        .where(Permit.status.in_([*WITHDRAWN_STATUSES, PermitStatus.SUSPENDED]), Permit.valid_until >= today)
        .order_by(Permit.number)
    ).all()
    revoked = tuple(number for number, status in rows if status is not PermitStatus.SUSPENDED)
    suspended = tuple(number for number, status in rows if status is PermitStatus.SUSPENDED)
    return revoked, suspended


def _signed(revoked: tuple[str, ...], suspended: tuple[str, ...], key: SigningKey, now: datetime) -> str:
    claims = {"iat": int(now.timestamp()), "revoked": list(revoked), "suspended": list(suspended)}
    return sign(claims, key, REVOCATION_LIST_TYP)


def list_version(session: Session, key: SigningKey, today: date) -> str:
    """What the list depends on, as an opaque tag: the latest status changes (highest id, and how many
    of the last ``RECENT_IDS`` ids are committed), the day and the signing key. One query that reads
    at most ``RECENT_IDS`` index entries, however long the history."""
    latest = select(func.max(PermitStatusChange.id)).scalar_subquery()
    count, highest = session.execute(
        select(func.count(), func.max(PermitStatusChange.id)).where(
            PermitStatusChange.id > func.coalesce(latest, 0) - RECENT_IDS
        )
    ).one()
    stamp = f"{count}.{highest or 0}.{today.isoformat()}.{key.kid}"
    return hashlib.sha256(stamp.encode("ascii")).hexdigest()[:20]


@dataclass(frozen=True)
class SignedList:
    version: str
    token: str
    signed_at: datetime


@dataclass(frozen=True)
class _Numbers:
    version: str
    revoked: tuple[str, ...]
    suspended: tuple[str, ...]


class RevocationLists:
    """The current signed list, kept per process (thread-safe): the numbers are read again only when
    the version changes, and signed again when they do or when the signed time is older than
    ``RESIGN_AFTER`` (a signature over the kept numbers, no query)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._numbers: _Numbers | None = None
        self._signed: SignedList | None = None

    def current(
        self, session: Session, key: SigningKey, now: datetime, version: str | None = None
    ) -> SignedList:
        """The list as of ``now``; ``version`` when the caller has just read it (``list_version``)."""
        version = version or list_version(session, key, now.date())
        with self._lock:  # one build at a time: the others wait for it rather than build it too
            numbers = self._numbers
            if numbers is None or numbers.version != version:
                # the version is read before the numbers: a change committed in between makes the
                # next request's version differ, so it is read again then (never kept stale)
                numbers = _Numbers(version, *_listed(session, now.date()))
                self._numbers = numbers
            signed = self._signed
            if (
                signed is None
                or signed.version != version
                or not timedelta(0) <= now - signed.signed_at < RESIGN_AFTER
            ):
                signed = SignedList(version, _signed(numbers.revoked, numbers.suspended, key, now), now)
                self._signed = signed
            return signed

    def forget(self) -> None:
        """Drop what is kept (a test that rolled its database back)."""
        with self._lock:
            self._numbers = self._signed = None
