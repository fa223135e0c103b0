"""The revocation list: the numbers of withdrawn and suspended permits that are still within their
validity dates, signed like a permit (JWS, ES256) so devices can trust it offline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.permits.models import WITHDRAWN_STATUSES, Permit, PermitStatus
from lbt.permits.signing import REVOCATION_LIST_TYP, SigningKey, sign


def revocation_list(session: Session, key: SigningKey, now: datetime) -> str:
    """Expired permits are left out (every verifier refuses them by date), which keeps the list short."""
    rows = session.execute(
        select(Permit.number, Permit.status)
        .where(
            Permit.status.in_([*WITHDRAWN_STATUSES, PermitStatus.SUSPENDED]), Permit.valid_until >= now.date()
        )
        .order_by(Permit.number)
    ).all()
    claims = {
        "iat": int(now.timestamp()),
        "revoked": [number for number, status in rows if status is not PermitStatus.SUSPENDED],
        "suspended": [number for number, status in rows if status is PermitStatus.SUSPENDED],
    }
    return sign(claims, key, REVOCATION_LIST_TYP)
