"""The verify lane on a database of its own, with the app's real connections (the other lane tests
share the test's one connection): on SQLite the lane reads through the request's session, which may
hold the one write lock already, and on PostgreSQL through a connection outside a transaction. A scan
whose key set is not in memory (a worker's first, the first of a day, after a rotation) reads the
keys in use through the session first: it must not wait for itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from flask import Flask
from sqlalchemy import event, select

from lbt.accounts.models import Role, User
from lbt.api.services import create_token
from lbt.audit.models import AuditActor
from lbt.core.dates import state_today
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.signing import KeyStore
from tests.test_cli import _app, run

LANE_STATEMENT = "FROM api_tokens JOIN users"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    for app in _app(tmp_path_factory.mktemp("lane")):
        assert run(app, "demo").exit_code == 0
        yield app


def _guard_and_scan(app: Flask) -> tuple[str, dict[str, str]]:
    state = app.extensions["lbt"]
    moment = state.clock()
    with state.database.transaction(AuditActor(None, "test", "cli")) as session:
        guard = session.scalars(select(User).where(User.role == Role.BORDER_GUARD).order_by(User.id)).first()
        assert guard is not None and guard.crossing_points
        point = guard.crossing_points[0]
        today = state_today("TJ", moment)
        permit = session.scalars(
            select(Permit)
            .where(
                Permit.status == PermitStatus.ACTIVE,
                Permit.valid_from <= today,
                Permit.valid_until >= today + timedelta(days=30),
                Permit.agreement_id == point.agreement_id,
                Permit.token.is_not(None),
            )
            .order_by(Permit.id)
        ).first()
        assert permit is not None
        _, plain = create_token(session, guard, name="lane test", now=moment)
        return plain, {"token": permit.token, "crossing_point": point.code, "direction": "exit"}


def test_a_scan_with_the_keys_not_in_memory_does_not_wait_for_its_own_lock(demo):
    plain, body = _guard_and_scan(demo)
    headers = {"Authorization": f"Bearer {plain}"}
    client = demo.test_client()
    assert client.post("/api/v1/verify", json=body, headers=headers).status_code == 200  # the view: last use
    for _ in range(2):
        demo.extensions["lbt"].find(KeyStore)._memo.clear()  # as after a restart or on a new day
        started = time.monotonic()
        response = client.post("/api/v1/verify", json=body, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["permit"]["number"]
        assert time.monotonic() - started < 5  # SQLite's busy timeout is 15 s: no waiting on a lock


def test_the_lane_answers_on_the_apps_own_connections(demo):
    plain, body = _guard_and_scan(demo)
    headers = {"Authorization": f"Bearer {plain}"}
    client = demo.test_client()
    assert client.post("/api/v1/verify", json=body, headers=headers).status_code == 200  # the view: last use
    seen: list[str] = []
    database = demo.extensions["lbt"].database
    engine = database.engine

    def note(_conn, _cursor, statement, *_rest):  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    class NotingCursor(psycopg.Cursor):  # type: ignore[type-arg]
        def execute(self, query, params=None, **kwargs):  # type: ignore[no-untyped-def]
            assert self.connection.autocommit  # outside any transaction
            note(None, None, str(query))
            return super().execute(query, params, **kwargs)

    pooled = database.driver_reads

    @contextmanager
    def driver_reads():  # type: ignore[no-untyped-def]
        with pooled() as driver:  # the app's own: a connection of its pool
            found, driver.cursor_factory = driver.cursor_factory, NotingCursor
            try:
                yield driver
            finally:
                driver.cursor_factory = found

    database.driver_reads = driver_reads
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.post("/api/v1/verify", json=body, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", note)
        database.driver_reads = pooled
    assert response.status_code == 200
    assert any(LANE_STATEMENT in statement for statement in seen)
    if engine.dialect.name == "postgresql":
        assert len(seen) == 1  # the one statement, on the driver
        assert not any(statement.upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")) for statement in seen)
