"""What the crossing tests share: a permit valid from the test's day and signed with the app's own key
(so its QR verifies), a guard's API token, and sending a batch of crossings as a device does."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest

from lbt.accounts.models import Role
from lbt.api.services import create_token
from lbt.applications.models import FeeStatus
from lbt.applications.services import approve
from lbt.permits.models import Permit
from lbt.permits.services import PermitIssuer
from lbt.permits.signing import KeyStore


@pytest.fixture
def permit(db, make_application, users, clock, app) -> Permit:  # type: ignore[no-untyped-def]
    """A permit valid from the clock's day (2026-11-22), issued at 10:00 UTC, signed with the app's key."""
    key = app.extensions["lbt"].find(KeyStore).active_key()
    issued = approve(
        db,
        make_application().application,
        officer=users[Role.OFFICER],
        valid_from=date(2026, 11, 22),
        valid_until=date(2027, 11, 21),
        fee_status=FeeStatus.PAID,
        issue=PermitIssuer("TJ", key),
        now=clock(),
    )
    assert isinstance(issued, Permit)
    return issued


@pytest.fixture
def guard_token(db, users, clock) -> str:  # type: ignore[no-untyped-def]
    return create_token(db, users[Role.BORDER_GUARD], name="tablet 1", now=clock())[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def item(permit: Permit, at: datetime | str, direction: str = "entry", **fields: Any) -> dict[str, Any]:
    """One crossing as a device sends it (offline unless told)."""
    return {
        "id": str(uuid.uuid4()),
        "permit_number": permit.number,
        "crossing_point": "KG-TJ-01",
        "direction": direction,
        "at": at if isinstance(at, str) else at.isoformat(),
        **fields,
    }


def send(client, token: str, *items: Any) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """POST a batch; whatever is in it, the answer is 200 with one result per item."""
    response = client.post("/api/v1/crossings", json=list(items), headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert len(results) == len(items)
    return results  # type: ignore[no-any-return]


def verdict(client, token: str, permit: Permit, direction: str = "entry") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """What the guard's scan of the permit's own QR says now."""
    response = client.post(
        "/api/v1/verify", json={"token": permit.token, "direction": direction}, headers=bearer(token)
    )
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]
