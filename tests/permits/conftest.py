"""The application factories of tests/applications for the permit pages, a permit to work on, and
uploads kept where the app reads them (the card PDF prints the holder's photo)."""

from __future__ import annotations

from datetime import date

import pytest

from lbt.accounts.models import Role
from lbt.applications import services
from lbt.applications.models import FeeStatus
from lbt.permits.models import Permit
from lbt.uploads import FileStore
from tests.applications.conftest import *  # noqa: F403


@pytest.fixture
def store(settings) -> FileStore:  # type: ignore[no-untyped-def]
    return FileStore(settings.instance_path / "uploads")


@pytest.fixture
def permit(db, make_application, users, clock, issuer) -> Permit:  # type: ignore[no-untyped-def]
    """A first permit of RAHIMOV FARRUKH under ref.agreement, valid 2026-12-01 to 2028-11-30."""
    application = make_application().application
    issued = services.approve(
        db, application, officer=users[Role.OFFICER], valid_from=date(2026, 12, 1), valid_until=date(2028, 11, 30),
        fee_status=FeeStatus.PAID, issue=issuer, now=clock(),
    )
    assert isinstance(issued, Permit)
    return issued
