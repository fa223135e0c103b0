"""Issue 11, item 3: no staff page runs a query whose plan must read a big table from end to end.
On PostgreSQL only (SQLite's planner is another matter): a few thousand generated permits,
applications, crossings and misuse cases, then every statement each page runs is explained with
sequential scans switched off: no plan may still read a big table in full, by a sequential scan or
by an index read without a condition, except under a LIMIT that stops it. Nothing is timed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, text

from lbt.accounts.models import Role
from lbt.crossings import summaries
from lbt.permits.models import Permit
from tests.crossings import sending
from tests.perf.counting import statements

permit, guard_token = sending.permit, sending.guard_token
BIG = {
    "applications",
    "permits",
    "crossings",
    "misuse_cases",
    "permit_presence",
    "crossing_day_counts",
    "audit_entries",
}
COPIES = 3000


@pytest.fixture(autouse=True)
def _postgresql_only(db) -> None:  # type: ignore[no-untyped-def]
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL")


def _copy(table: str, columns: list[str], changed: dict[str, str], where: str) -> str:
    kept = [column for column in columns if column not in changed and column != "id"]
    names = ", ".join([*kept, *changed])
    values = ", ".join([*(f"t.{column}" for column in kept), *changed.values()])
    return (
        f"INSERT INTO {table} ({names}) SELECT {values} "  # noqa: S608 - the test's own constants
        f"FROM {table} AS t, generate_series(1, {COPIES}) AS g WHERE {where}"
    )


@pytest.fixture
def many(db, permit: Permit, ref) -> Permit:  # type: ignore[no-untyped-def]
    """COPIES more applications (a tenth open) and permits (2 % withdrawn), four crossings each
    (a tenth of the holders inside), a misuse case per hundred, the summaries rebuilt, then ANALYZE."""
    application_columns = [c.name for c in permit.application.__table__.columns]
    db.execute(
        text(
            _copy(
                "applications",
                application_columns,
                {
                    "reference": "'LBT-2025-' || lpad(g::text, 6, '0')",
                    "status": "CASE WHEN g % 10 = 0 THEN 'submitted' ELSE 'approved' END",
                    "decision_due": "t.decision_due + (g % 40)",
                    "search_name": "'HOLDER ' || g",
                },
                f"t.id = {permit.application_id}",
            )
        )
    )
    permit_columns = [c.name for c in Permit.__table__.columns]
    db.execute(
        text(
            _copy(
                "permits",
                permit_columns,
                {
                    "number": "'TJ-2025-' || lpad(g::text, 6, '0') || '-0'",
                    "issued_at": "t.issued_at - g * interval '1 hour'",
                    "status": "CASE WHEN g % 50 = 0 THEN 'revoked' ELSE 'active' END",
                    "search_name": "'HOLDER ' || g",
                    "document_number": "'D' || g",
                },
                f"t.id = {permit.id}",
            )
        )
    )
    db.execute(
        text(
            "INSERT INTO crossings (client_id, permit_id, crossing_point_id, direction, at, recorded_at,"
            " officer_id, verdict, reason, status)"
            " SELECT gen_random_uuid()::text, p.id, :point,"
            " CASE WHEN k % 2 = 1 THEN 'entry' ELSE 'exit' END, :at - (p.id * 4 + k) * interval '1 minute',"
            " :at, NULL, 'pass', '', 'counted'"
            " FROM permits AS p, generate_series(1, 4) AS k WHERE p.id <> :permit AND (k < 4 OR p.id % 10 <> 0)"
        ),
        {"point": ref.crossing_point.id, "at": datetime(2026, 11, 21, tzinfo=UTC), "permit": permit.id},
    )
    db.execute(
        text(
            "INSERT INTO misuse_cases (permit_id, kind, detected_at, crossing_id, days_over, description,"
            " penalty, created_at) SELECT permit_id, 'overstay', at, id, 3, '', '', at FROM crossings"
            " WHERE id % 100 = 0"
        )
    )
    summaries.rebuild(db)
    db.execute(text("ANALYZE"))
    return permit


SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Index Scan")


def _full_scans(plan: dict[str, Any], limited: bool = False) -> Iterator[str]:
    """The big tables a plan reads in full: a sequential scan, or an index read without a condition
    on it, unless a LIMIT above it stops the read (a page, or the capped count of a list)."""
    limited = limited or plan.get("Node Type") == "Limit"
    table = plan.get("Relation Name") or _table_of_index(plan.get("Index Name"))
    full = plan.get("Node Type") == "Seq Scan" or "Index Cond" not in plan
    if plan.get("Node Type") in SCANS and table in BIG and not limited and full:
        yield table
    for child in plan.get("Plans", []):
        yield from _full_scans(child, limited)


def _table_of_index(name: str | None) -> str | None:
    """A bitmap index scan names its index only; ours are named after their table (ix_<table>_...)."""
    if name is None:
        return None
    return next(
        (table for table in BIG if name.startswith((f"ix_{table}_", f"pk_{table}", f"uq_{table}_"))), None
    )


def _scanned(connection: Connection, seen: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """The big tables a plan still reads in full with sequential scans off, by statement."""
    found, explained = [], 0
    connection.exec_driver_sql("SET enable_seqscan = off")
    try:
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            rows = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
            plan = (json.loads(rows) if isinstance(rows, str) else rows)[0]["Plan"]
            found += [(table, statement[:120]) for table in _full_scans(plan)]
            explained += 1
    finally:
        connection.exec_driver_sql("RESET enable_seqscan")
    assert explained >= 2, seen  # the page's own queries were seen, not only the login's
    return found


def _page_plans(connection: Connection, client, url: str, **headers: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with statements(connection) as seen:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return _scanned(connection, seen)


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.BORDER_GUARD, "/crossings/log"),
        (Role.BORDER_GUARD, "/crossings/log?inside_page=3&misuse_page=2"),
        (Role.BORDER_GUARD, "/crossings/permits/{id}"),
        (Role.OFFICER, "/permits/"),
        (Role.OFFICER, "/permits/?page=4"),
        (Role.OFFICER, "/permits/{id}"),
        (Role.OFFICER, "/permits/?search=HOLDER%2017"),
        (Role.OFFICER, "/permits/?search=TJ-2025-000017-0"),
        (Role.OFFICER, "/applications/"),
        (Role.OFFICER, "/applications/?search=HOLDER%2017"),
        (Role.OFFICER, "/crossings/held"),
    ],
)
def test_a_staff_page_reads_no_big_table_in_full(connection, login_as, many, role, url):
    client = login_as(role)
    assert _page_plans(connection, client, url.format(id=many.id)) == []


def test_the_revocation_list_reads_no_big_table_in_full(connection, client, many, guard_token):
    assert _page_plans(connection, client, "/api/v1/revocations", **sending.bearer(guard_token)) == []
