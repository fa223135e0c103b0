"""One bad item never sinks a batch: whatever an item holds (a NUL byte, a year 1 or 9999 time, a wrong
JSON type), it gets its own result with a reason, the others are stored, and the answer is 200."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.crossings.models import Crossing
from lbt.permits import services as permits
from tests.crossings import sending
from tests.crossings.sending import item, send

permit, guard_token = sending.permit, sending.guard_token  # the shared fixtures, by name


def stored(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(Crossing))  # type: ignore[no-any-return]


@pytest.fixture
def good(permit, clock):  # type: ignore[no-untyped-def]
    return item(permit, clock() - timedelta(minutes=5))


@pytest.mark.parametrize(
    "field, value",
    [
        ("reason", "ok\u0000"),
        ("permit_number", "TJ-2026\u0000"),
        ("crossing_point", "KG-TJ-01\u0000"),
        ("token", "eyJ\u0000.x.y"),
        ("at", "2026-11-22T09:55:00\u0000+00:00"),
        ("id", "\u0000"),
        ("reason", "half a surrogate \ud800"),
    ],
)
def test_text_the_database_cannot_hold_is_refused_alone(client, db, good, permit, guard_token, field, value):
    bad = {**item(permit, good["at"]), field: value}
    results = send(client, guard_token, good, bad)
    assert results[0]["status"] == "stored"
    assert results[1]["status"] == "invalid" and results[1]["code"] == "malformed"
    assert f"“{field}” must be text without NUL characters." == results[1]["error"]
    assert stored(db) == 1


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "+10000-01-01"])
def test_a_time_beyond_the_calendar_is_refused_alone(client, db, good, permit, guard_token, at):
    results = send(client, guard_token, good, item(permit, at))
    assert [r["status"] for r in results] == ["stored", "invalid"]
    assert "at (ISO 8601 with a time zone)" in results[1]["error"]
    assert stored(db) == 1


def test_a_far_future_time_is_refused_with_its_reason(client, db, good, permit, guard_token):
    results = send(client, guard_token, good, item(permit, "9999-12-31T00:00:00+00:00"))
    assert results[1]["status"] == "invalid" and results[1]["code"] == "time_in_future"


@pytest.mark.parametrize(
    "field, value",
    [
        ("offline", "false"),
        ("offline", 0),
        ("offline", None),
        ("reason", 5),
        ("id", 12),
        ("direction", ["entry"]),
    ],
)
def test_each_field_has_its_own_json_type(client, db, good, permit, guard_token, field, value):
    bad = {**item(permit, good["at"]), field: value}
    results = send(client, guard_token, good, bad)
    assert results[0]["status"] == "stored"
    assert results[1]["status"] == "invalid" and results[1]["code"] in ("malformed", "bad_id")
    assert stored(db) == 1


def test_offline_false_as_text_is_not_read_as_true(client, db, permit, guard_token, clock, users):
    """The string "false" is truthy: read loosely, a refused online crossing was stored as offline."""
    permits.revoke(db, permit, officer=users[Role.OFFICER], reason="Fraud.", now=clock())
    db.flush()
    results = send(client, guard_token, item(permit, clock(), offline="false"))
    assert results[0]["status"] == "invalid" and results[0]["code"] == "malformed"
    assert results[0]["error"] == "offline must be true or false (not in quotes)."
    assert stored(db) == 0
    refused = send(client, guard_token, item(permit, clock(), offline=False))
    assert refused[0]["status"] == "refused" and refused[0]["code"] == "revoked"
    assert stored(db) == 0


def test_a_reason_is_at_most_1000_characters(client, db, permit, guard_token, clock):
    results = send(client, guard_token, item(permit, clock(), reason="x" * 1001))
    assert results[0]["status"] == "invalid" and "longer than 1000 characters" in results[0]["error"]


def test_results_carry_the_id_sent_and_a_code(client, db, good, permit, guard_token):
    odd = {**item(permit, good["at"]), "id": "not-a-uuid"}
    results = send(client, guard_token, good, odd, "text", {"id": "x" * 100})
    assert [r["id"] for r in results] == [good["id"], "not-a-uuid", None, None]
    assert [r.get("code") for r in results] == [None, "bad_id", "malformed", "bad_id"]
