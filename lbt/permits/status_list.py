"""The public status list: which permits are withdrawn, without naming anyone (issue 14 item 6).

Like the EU DCC revocation lists, it holds hashes, not permits: for each permit that is suspended,
revoked, annulled or replaced and still inside its validity dates, the first 16 bytes of the SHA-256
of its QR code's ECDSA signature (base64url). The signature is 64 random-looking bytes nobody can
guess without holding the card, so the list says nothing about who or which number; whoever holds a
card (the page at ``/v`` reading its QR) finds out whether *that* permit is withdrawn. The list is
signed like a permit (JWS, ES256, the published keys) with its own ``typ``, so neither can pass for
the other. ``docs/permit-format.md`` describes it for other verifiers."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from lbt.permits.models import WITHDRAWN_STATUSES, Permit, PermitStatus
from lbt.permits.signing import SigningKey, sign

STATUS_LIST_TYP = "lbt-status+jwt"
DIGEST_BYTES = 16
CODES = {
    PermitStatus.SUSPENDED: "suspended",
    PermitStatus.REVOKED: "revoked",
    PermitStatus.ANNULLED: "annulled",
    PermitStatus.REPLACED: "replaced",
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def token_digest(token: str) -> str:
    """The list's entry for a permit: base64url of the first 16 bytes of SHA-256 of its signature's bytes."""
    signature = token.rsplit(".", 1)[-1]
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    return _b64url(hashlib.sha256(raw).digest()[:DIGEST_BYTES])


def _listed(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Permit.status.in_([*WITHDRAWN_STATUSES, PermitStatus.SUSPENDED]),
        Permit.valid_until >= now.date(),
    )


def withdrawals_fingerprint(session: Session, now: datetime) -> tuple[int, datetime | None]:
    """How many permits the list holds and the latest change among them: the list changes with these."""
    count, latest = session.execute(
        select(func.count(), func.max(Permit.status_changed_at)).where(*_listed(now))
    ).one()
    return int(count), latest


def status_list(session: Session, key: SigningKey, *, issuer: str, now: datetime) -> str:
    """The signed list as of ``now``; expired permits are left out (every verifier refuses them by date)."""
    rows = session.execute(select(Permit.token, Permit.status).where(*_listed(now))).all()
    withdrawn = {token_digest(token): CODES[status] for token, status in rows if status in CODES}
    claims = {
        "iss": issuer,
        "iat": int(now.timestamp()),
        "hash": "sha-256/128 of the permit QR's signature",
        "withdrawn": dict(sorted(withdrawn.items())),
    }
    return sign(claims, key, STATUS_LIST_TYP)
