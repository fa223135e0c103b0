"""Issue 11, item 3: the number of queries of each hot request, which does not grow with the data or
the batch (timings belong in bench/). The device API: verify on its lane (lbt/api/lane_views.py) in
1 on PostgreSQL (the token with its user and crossing point, the permit with its agreement and its
counted crossings, on the driver's connection) and 2 on SQLite (the counted crossings apart), 3 when
the view answers (the token's last use is written); a batch of crossings in 4 on PostgreSQL whatever its size (token,
its permits locked, their crossings and the ids already used, one insert with the summaries), 6 on
SQLite (the summaries there are two more statements)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from lbt.accounts.models import Role
from lbt.applications.models import FeeStatus
from lbt.applications.services import approve
from lbt.crossings.models import Direction
from lbt.permits import services as permits
from lbt.permits.models import Permit
from lbt.permits.services import PermitIssuer
from lbt.permits.signing import KeyStore
from tests.crossings import sending
from tests.crossings.test_views import cross
from tests.perf.counting import queries_of, statements

permit, guard_token = sending.permit, sending.guard_token
bearer = sending.bearer


def _crossings_statements(db) -> int:  # type: ignore[no-untyped-def]
    return 4 if db.get_bind().dialect.name == "postgresql" else 6


@pytest.fixture
def warm(client, permit, guard_token):  # type: ignore[no-untyped-def]
    """One request first: the token's last use is written once (then not again for 5 minutes) and the
    published keys are read once (then kept in memory)."""
    assert sending.verdict(client, guard_token, permit)["verdict"] == "pass"
    return client


def _verify_statements(db) -> int:  # type: ignore[no-untyped-def]
    return 1 if db.get_bind().dialect.name == "postgresql" else 2


def test_verify_costs_one_query_on_postgresql_two_on_sqlite(warm, db, connection, permit, guard_token):
    body = {"token": permit.token, "direction": "entry"}
    count = queries_of(
        connection, lambda: warm.post("/api/v1/verify", json=body, headers=bearer(guard_token))
    )
    assert count == _verify_statements(db)


def test_verify_costs_four_reads_when_the_tokens_last_use_is_written(
    warm, clock, connection, permit, guard_token
):
    """Every 5 minutes a token's last use is written: the lane's one read finds it due and leaves the
    call to the view (3 reads, and the write)."""
    clock.advance(minutes=6)
    body = {"token": permit.token, "direction": "entry"}
    with statements(connection) as seen:
        response = warm.post("/api/v1/verify", json=body, headers=bearer(guard_token))
    assert response.status_code == 200
    reads = [text for text, _parameters in seen if text.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 4
    assert any(text.lstrip().upper().startswith("UPDATE API_TOKENS") for text, _parameters in seen)


def test_verify_costs_the_same_with_a_long_history(warm, db, connection, permit, guard_token, ref, users):
    start = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    for day in range(10):
        cross(db, permit, ref, users, Direction.ENTRY, start + timedelta(minutes=2 * day))
        cross(db, permit, ref, users, Direction.EXIT, start + timedelta(minutes=2 * day + 1))
    body = {"token": permit.token, "direction": "entry"}
    count = queries_of(
        connection, lambda: warm.post("/api/v1/verify", json=body, headers=bearer(guard_token))
    )
    assert count == _verify_statements(db)


def test_one_crossing_costs_at_most_four_queries_on_postgresql(warm, db, connection, permit, guard_token):
    item = sending.item(permit, "2026-11-22T09:00:00Z")
    count = queries_of(connection, lambda: sending.send(warm, guard_token, item))
    assert count == _crossings_statements(db)


def _permits(db, make_application, users, clock, app, how_many: int) -> list[Permit]:  # type: ignore[no-untyped-def]
    key = app.extensions["lbt"].find(KeyStore).active_key()
    issued = []
    for index in range(how_many):
        application = make_application(document_number=f"P{index:02d}1234567").application
        permit = approve(
            db,
            application,
            officer=users[Role.OFFICER],
            valid_from=date(2026, 11, 22),
            valid_until=date(2027, 11, 21),
            fee_status=FeeStatus.PAID,
            issue=PermitIssuer("TJ", key),
            now=clock(),
        )
        assert isinstance(permit, Permit)
        issued.append(permit)
    return issued


def test_a_batch_of_fifty_costs_what_one_costs(
    warm, db, connection, guard_token, make_application, users, clock, app
):
    """25 holders' day trips (an entry and an exit each), scanned and typed: the same 4 queries on
    PostgreSQL as one crossing (the goal was at most 2 per item plus a constant)."""
    holders = _permits(db, make_application, users, clock, app, 25)
    items = []
    for index, holder in enumerate(holders):
        scanned = {"token": holder.token} if index % 2 else {}
        items.append({**sending.item(holder, f"2026-11-22T08:{index:02d}:00Z"), **scanned})
        items.append(sending.item(holder, f"2026-11-22T09:{index:02d}:00Z", "exit"))
    results: list = []
    count = queries_of(connection, lambda: results.extend(sending.send(warm, guard_token, *items)))
    assert [result["status"] for result in results] == ["stored"] * 50
    assert count == _crossings_statements(db)


def test_retries_and_bad_items_cost_no_more(warm, db, connection, permit, guard_token):
    first = sending.item(permit, "2026-11-22T08:00:00Z")
    sending.send(warm, guard_token, first)
    batch = [
        first,  # a retry
        {**sending.item(permit, "2026-11-22T08:30:00Z", "exit"), "id": first["id"]},  # the id reused
        sending.item(permit, "2026-11-22T09:00:00Z", "exit"),
        {"id": str(uuid.uuid4()), "permit_number": "TJ-2026-999999-2", "direction": "entry", "at": "x"},
    ]
    results: list = []
    count = queries_of(connection, lambda: results.extend(sending.send(warm, guard_token, *batch)))
    assert [result["status"] for result in results] == ["duplicate", "conflict", "stored", "invalid"]
    assert count == _crossings_statements(db)


def test_the_revocation_list_costs_two_queries_once_made(
    warm, db, connection, permit, guard_token, users, clock
):
    """Made once per change (3: the token with its user, the version, the withdrawn permits), then
    answered from memory (2: the token, the version), also with a 304; a change makes it once more."""

    def get(**headers: str):  # type: ignore[no-untyped-def]
        return warm.get("/api/v1/revocations", headers={**bearer(guard_token), **headers})

    assert queries_of(connection, get) == 3
    for _ in range(3):
        assert queries_of(connection, get) == 2
    etag = get().headers["ETag"]
    assert queries_of(connection, lambda: get(**{"If-None-Match": etag})) == 2
    permits.suspend(db, permit, officer=users[Role.OFFICER], reason="Check.", now=clock())
    db.flush()
    assert queries_of(connection, get) == 3
    assert queries_of(connection, get) == 2
