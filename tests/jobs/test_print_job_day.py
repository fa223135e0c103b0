"""The print job, like ``lbt permits print``, counts a permit's last day on the home state's calendar:
a card whose permit ends today is drawn until the home state's midnight, not UTC's. At 18:00 UTC it is
23:00 in Dushanbe and the permit still holds; at 20:00 UTC it is 01:00 the next day there and the job
skips it as expired, although UTC's day is still its last (a site of its own: the job prints every
card not yet printed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lbt.jobs.models import JobState
from lbt.permits.models import Permit, PermitStatus
from tests.fixtures.database import Clock
from tests.jobs.conftest import Site, make_site
from tests.jobs.test_worker import job_id_of


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from make_site("sqlite", tmp_path_factory.mktemp("print-day"))


@pytest.mark.parametrize(("hour", "printed"), [(18, True), (20, False)])
def test_the_print_job_expires_a_card_at_the_home_states_midnight(site: Site, hour: int, printed: bool):
    state = site.state
    assert state.settings.home_state == "TJ"  # Asia/Dushanbe, UTC+5
    kept_clock = state.clock
    today = kept_clock().date()
    state.clock = Clock(datetime(today.year, today.month, today.day, hour, 0, tzinfo=UTC))
    with state.database.transaction() as session:
        permit = session.scalars(
            select(Permit)
            .where(Permit.status == PermitStatus.ACTIVE, Permit.valid_until > today + timedelta(days=1))
            .order_by(Permit.id)
        ).first()
        assert permit is not None
        number, kept = permit.number, (permit.valid_from, permit.valid_until, permit.card_printed_at)
        # its last day: today, on UTC's calendar; its card not printed yet
        permit.valid_from, permit.valid_until, permit.card_printed_at = (
            today - timedelta(days=30),
            today,
            None,
        )
    try:
        officer = site.client("jobs-officer")
        job = site.run(job_id_of(officer.submit("/permits/print", {"unprinted": "y"})))
        assert job.state is JobState.DONE, job.error
        skipped = {item["number"]: item["code"] for item in job.outcome["skipped"]}
        with state.database.transaction() as session:
            permit = session.scalars(select(Permit).where(Permit.number == number)).one()
            if printed:
                assert number not in skipped
                assert permit.card_printed_at is not None
            else:
                assert skipped.get(number) == "expired", job.outcome
                assert permit.card_printed_at is None
            permit.valid_from, permit.valid_until, permit.card_printed_at = kept
    finally:
        state.clock = kept_clock
