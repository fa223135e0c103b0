"""An entry or exit is judged against the permit's whole history: one earlier than the last recorded is
out of order (refused online; stored offline, as a conflict), and the same moment twice is the holder
already inside. Concurrent requests: tests/api/test_concurrent_crossings.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.crossings import services
from lbt.crossings.models import Crossing, Direction, Verdict
from tests.crossings import sending
from tests.crossings.sending import item, send, verdict

EVENING = datetime(2026, 11, 22, 17, 20, tzinfo=UTC)

permit, guard_token = sending.permit, sending.guard_token  # the shared fixtures, by name


@pytest.fixture
def evening(clock):  # type: ignore[no-untyped-def]
    clock.now = EVENING
    return clock


def test_back_dated_online_entries_do_not_all_pass_green(client, db, permit, guard_token, evening):
    times = [EVENING - timedelta(minutes=minutes) for minutes in (1, 5, 8)]  # 17:19, 17:15, 17:12
    results = [send(client, guard_token, item(permit, at, offline=False))[0] for at in times]
    assert results[0]["status"] == "stored" and results[0]["verdict"] == "pass"
    for later in results[1:]:
        assert later["status"] == "refused" and later["code"] == "out_of_order"
        assert (
            "A later crossing of this permit is already recorded (22/11/2026 22:19 (Asia/Dushanbe, UTC+5))"
            in later["error"]
        )
    assert [c.verdict for c in db.scalars(select(Crossing))] == [Verdict.PASS]


def test_the_same_moment_twice_is_the_holder_already_inside(client, db, permit, guard_token, evening):
    first = send(client, guard_token, item(permit, EVENING, offline=False))[0]
    assert first["status"] == "stored" and first["verdict"] == "pass"
    again = send(client, guard_token, item(permit, EVENING, offline=False))[0]
    assert again["status"] == "invalid" and again["code"] == "reason_needed"
    reason = send(client, guard_token, item(permit, EVENING, offline=False, reason="Came back for a bag."))[0]
    assert reason["status"] == "stored" and reason["verdict"] == "check"
    assert verdict(client, guard_token, permit)["reasons"][0]["code"] == "already_inside"


def test_an_offline_crossing_earlier_than_the_last_is_stored_as_a_conflict(
    client, db, permit, guard_token, evening
):
    """Another point's offline queue comes in late: the crossing happened, so it is kept, and counts."""
    assert (
        send(client, guard_token, item(permit, EVENING, "exit", offline=False, reason="No entry seen."))[0][
            "status"
        ]
        == "stored"
    )
    late = send(client, guard_token, item(permit, EVENING - timedelta(hours=3)))[0]
    assert late["status"] == "conflict" and late["code"] == "out_of_order" and late["verdict"] == "refuse"
    assert verdict(client, guard_token, permit)["stay"]["inside"] is False  # entry 14:20, exit 17:20
    assert len(db.scalars(select(Crossing)).all()) == 2


def test_a_batch_is_stored_in_the_order_things_happened(client, db, permit, guard_token, evening):
    exit_, entry = (
        item(permit, EVENING - timedelta(hours=1), "exit"),
        item(permit, EVENING - timedelta(hours=2)),
    )
    results = send(client, guard_token, exit_, entry)  # the device's queue in the wrong order
    assert [r["id"] for r in results] == [exit_["id"], entry["id"]]
    assert [(r["status"], r["verdict"]) for r in results] == [("stored", "pass"), ("stored", "pass")]


def test_the_verdict_counts_a_crossing_recorded_at_the_same_time(db, permit, ref, users, evening):
    services.record(
        db,
        client_id="6f1c1d8e-1111-4c55-9d3a-1234567890ab",
        permit=permit,
        crossing_point=ref.crossing_point,
        direction=Direction.ENTRY,
        at=EVENING,
        officer=users[Role.BORDER_GUARD],
        now=EVENING,
    )
    assessment = services.assess(db, permit, ref.crossing_point, Direction.ENTRY, EVENING)
    assert assessment.verdict is Verdict.CHECK and assessment.reasons[0].code == "already_inside"
