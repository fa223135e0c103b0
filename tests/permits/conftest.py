"""The application factories of tests/applications for the staff pages (permits, and the alert list
and applications pages that import from here): uploads kept where the app reads them (pages serve the
photo, the card PDF prints it), a locality of an agreement the staff do not serve, and permits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.applications import services
from lbt.applications.models import Application, FeeStatus
from lbt.permits.models import Permit
from lbt.permits.services import PermitIssuer
from lbt.reference.models import Agreement, Locality, State
from lbt.storage.uploads import FileStore
from tests.applications.conftest import *  # noqa: F403


def add_locality(
    db: Session, agreement: Agreement, state: State, latin: str, national: str, km: str = "4"
) -> Locality:
    locality = Locality(
        agreement=agreement,
        state=state,
        name_national=national,
        name_latin=latin,
        district="Asht",
        distance_km=Decimal(km),
    )
    db.add(locality)
    db.flush()
    return locality


def issue_permit(
    db: Session,
    application: Application,
    officer: User,
    issuer: PermitIssuer,
    now: datetime,
    valid_until: date = date(2028, 11, 30),
) -> Permit:
    permit = services.approve(
        db,
        application,
        officer=officer,
        valid_from=date(2026, 12, 1),
        valid_until=valid_until,
        fee_status=FeeStatus.PAID,
        issue=issuer,
        now=now,
    )
    assert isinstance(permit, Permit)
    return permit


def statements_to_show(client, connection: Connection, url: str) -> int:  # type: ignore[no-untyped-def]
    """How many SQL statements a page costs (to show that a list does not query once per row)."""
    seen: list[str] = []

    def count(*_args: object) -> None:
        seen.append("statement")

    event.listen(connection, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return len(seen)


@pytest.fixture
def store(settings) -> FileStore:  # type: ignore[no-untyped-def]
    return FileStore(settings.instance_path / "uploads")


@pytest.fixture
def foreign_locality(db, ref) -> Locality:  # type: ignore[no-untyped-def]
    """A locality of ref.other_agreement, which the officer and the supervisor do not serve."""
    return add_locality(db, ref.other_agreement, ref.tj, "Oshoba", "Ошоба")


@pytest.fixture
def permit(db, make_application, users, clock, issuer) -> Permit:  # type: ignore[no-untyped-def]
    """A first permit of RAHIMOV FARRUKH under ref.agreement, valid 2026-12-01 to 2028-11-30."""
    return issue_permit(db, make_application().application, users[Role.OFFICER], issuer, clock())
