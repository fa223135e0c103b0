"""What one run sends: a copy of the size's database (so the POSTs of one run never change what the
next one sees), the app built in-process on it (its key store signs a few hundred real permit QR
codes, its services make the guard's API token), the data files wrk.lua reads, and the number of
queries and the in-process time of each request, measured with the Flask test client and a
``before_cursor_execute`` counter (and one at the driver's cursor) against the same database."""

from __future__ import annotations

import json
import os
import re
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from datagen import BENCH_ANALYST, BENCH_GUARD, BENCH_OFFICER, BENCH_PASSWORD, POINTS, Target
from flask import Flask
from flask.testing import FlaskClient
from servers import USER_AGENT, Request
from sqlalchemy import Engine, create_engine, event, make_url, select, text
from sqlalchemy.orm import Session, joinedload

from lbt.accounts.services import find_user
from lbt.api.services import create_token
from lbt.app import create_app
from lbt.audit.models import AuditActor
from lbt.core.settings import Settings
from lbt.permits.models import Permit
from lbt.permits.services import claims_of
from lbt.permits.signing import PERMIT_TYP, KeyStore, qr_url, sign

VERIFY_SAMPLE = 300  # permits whose QR codes are signed for real and scanned in turn
PAGE_SAMPLE = 200  # permits whose detail pages are read in turn
POOL_LIMIT = 40_000  # permits the crossing POSTs use (holders outside, permit valid)
IN_PROCESS_KEEP = 200  # pool permits kept for the in-process requests, never sent by wrk


@contextmanager
def database_copy(target: Target) -> Iterator[str]:
    """``CREATE DATABASE ... TEMPLATE`` the size's database (a file copy); dropped at the end. Named
    after this process: two runs at once (two people on one server) each drop only their own copy."""
    name = f"{target.name}_run_{os.getpid()}"
    admin = create_engine(make_url(target.server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{target.name}" STRATEGY FILE_COPY'))
        yield make_url(target.url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_environment(url: str, instance: Path, signing_key_pem: str) -> dict[str, str]:
    """What the in-process app and gunicorn both read: one database, one instance folder (its secret
    key, the record of its signing key) and the data's signing key (a production setting: every
    generated permit names that key, as if it had signed them)."""
    return {"LBT_DATABASE_URL": url, "LBT_INSTANCE_PATH": str(instance), "LBT_SIGNING_KEY": signing_key_pem}


def build_app(environment: dict[str, str]) -> Flask:
    return create_app(Settings.from_env(environment["LBT_INSTANCE_PATH"], environment))


@dataclass(frozen=True)
class Prepared:
    token: str  # the bench guard's API bearer token
    verify_bodies: list[str]
    permit_ids: list[int]
    pool: list[str]  # permit numbers for the crossing POSTs (wrk)
    in_process_pool: list[str]


def _sign_sample(
    session: Session, engine: Engine, store: KeyStore, today: date, public_url: str
) -> list[str]:
    """Real signed QR codes for a sample of valid permits (the rest share a placeholder nobody scans)."""
    permits = session.scalars(
        select(Permit)
        .options(joinedload(Permit.agreement))
        .where(
            Permit.status == "active", Permit.valid_from <= today, Permit.valid_until >= today + timedelta(30)
        )
        .order_by((Permit.id % 100003) * 7919 % 100003, Permit.id)
        .limit(VERIFY_SAMPLE)
    ).all()
    key = store.active_key()
    rows = [
        {"id": permit.id, "kid": key.kid, "token": sign(claims_of(permit).to_payload(), key, PERMIT_TYP)}
        for permit in permits
    ]
    with engine.begin() as connection:  # plain SQL: bench plumbing, not a change the audit log records
        connection.execute(text("UPDATE permits SET token = :token, signing_kid = :kid WHERE id = :id"), rows)
    bodies = [
        json.dumps(
            {"token": qr_url(public_url, row["token"]), "crossing_point": POINTS[0], "direction": "entry"}
        )
        for row in rows
    ]
    return [row["id"] for row in rows], bodies


def prepare(app: Flask) -> Prepared:
    """The guard's API token, the signed QR codes, the permits whose pages are read and the holders
    whose crossings are posted."""
    state = app.extensions["lbt"]
    now = datetime.now(UTC)
    today = now.date()
    with state.database.transaction(AuditActor(None, "bench", "cli")) as session:
        guard = find_user(session, BENCH_GUARD)
        if guard is None:
            raise SystemExit(f"the database has no user {BENCH_GUARD}: rebuild it with --fresh")
        _, token = create_token(session, guard, name="bench run", now=now)
    with state.database.session_factory() as session:
        signed, bodies = _sign_sample(
            session, state.database.engine, state.find(KeyStore), today, state.settings.public_url
        )
        # holders outside now (their last crossing is an exit) of valid permits: the generator's
        # "inside" holders are the ones whose last crossing is an entry in the past month
        pool = session.scalars(
            text(
                "SELECT p.number FROM permits p WHERE p.status = 'active' AND p.valid_from <= :today "
                "AND p.valid_until > :today AND NOT EXISTS (SELECT 1 FROM crossings c WHERE c.permit_id = p.id "
                "AND c.direction = 'entry' AND c.at > :since) ORDER BY (p.id::bigint * 104729) % 1000003, p.id LIMIT :limit"
            ),
            {"today": today, "since": now - timedelta(days=40), "limit": POOL_LIMIT},
        ).all()
    permit_ids = sorted(signed)[:PAGE_SAMPLE]
    return Prepared(token, bodies, permit_ids, pool[:-IN_PROCESS_KEEP], pool[-IN_PROCESS_KEEP:])


# the report pages, read by the central office (the analyst: every agreement of the home state), for
# the default period (the last 30 days): the whole page, the risk indicators (and the stay-pattern
# flags) and the crossings per point each alone as their CSV, and the page as a PDF
REPORT_PAGES = {
    "/reports/ (monitoring figures)": "/reports/",
    "/reports/ risk indicators (CSV)": "/reports/figures/risk_indicators.csv",
    "/reports/ stay-pattern flags (CSV)": "/reports/figures/stay_patterns.csv",
    "/reports/ crossings per point (CSV)": "/reports/figures/crossings_by_point.csv",
    "/reports/page.pdf": "/reports/page.pdf",
}


def requests(prepared: Prepared, folder: Path) -> list[Request]:
    """The rows of issue 11's table, in the order they run: the reading pages first, the POSTs that
    add crossings last."""
    bearer = f"Authorization: Bearer {prepared.token}"

    def lines(name: str, rows: list[str]) -> Path:
        path = folder / name
        path.write_text("\n".join(rows) + "\n")
        return path

    permit_paths = lines("permit-pages.txt", [f"/permits/{permit_id}" for permit_id in prepared.permit_ids])
    pool = lines("pool.txt", prepared.pool)
    return [
        Request("/crossings/log", "GET", "/crossings/log", "get", lines("log.txt", ["/crossings/log"])),
        Request("/permits/ (first page)", "GET", "/permits/", "get", lines("permits.txt", ["/permits/"])),
        Request("/permits/<id>", "GET", f"/permits/{prepared.permit_ids[0]}", "get", permit_paths),
        Request(
            "/applications/ (queue)", "GET", "/applications/", "get", lines("queue.txt", ["/applications/"])
        ),
        *(
            Request(key, "GET", path, "get", lines(f"reports-{number}.txt", [path]))
            for number, (key, path) in enumerate(REPORT_PAGES.items())
        ),
        Request(
            "GET /api/v1/revocations",
            "GET",
            "/api/v1/revocations",
            "get",
            lines("revocations.txt", ["/api/v1/revocations"]),
            (bearer,),
        ),
        Request(
            "POST /api/v1/verify",
            "POST",
            "/api/v1/verify",
            "post",
            lines("verify.txt", prepared.verify_bodies),
            (bearer,),
        ),
        Request(
            "POST /api/v1/crossings, 1 item",
            "POST",
            "/api/v1/crossings",
            "crossings",
            pool,
            (bearer,),
            1,
            POINTS[0],
        ),
        Request(
            "POST /api/v1/crossings, 50 items",
            "POST",
            "/api/v1/crossings",
            "crossings",
            pool,
            (bearer,),
            50,
            POINTS[0],
        ),
    ]


# --- in-process: queries per request and time ---------------------------------------------------------


class QueryCounter:
    """Counts the statements SQLAlchemy sends (``before_cursor_execute``; the pool's ping is not one)
    and those run straight on the driver's connection (``Database.driver_reads``, the verify lane's)."""

    def __init__(self, app: Flask) -> None:
        self.count = 0
        self.database = app.extensions["lbt"].database

    def __call__(self, *_args: Any) -> None:
        self.count += 1

    @contextmanager
    def _driver_reads(self, pooled: Callable[[], Any]) -> Iterator[Any]:
        counter = self

        class CountingCursor(psycopg.Cursor):  # type: ignore[type-arg]
            def execute(self, *args: Any, **kwargs: Any) -> Any:
                counter.count += 1
                return super().execute(*args, **kwargs)

        with pooled() as driver:
            found, driver.cursor_factory = driver.cursor_factory, CountingCursor
            try:
                yield driver
            finally:
                driver.cursor_factory = found

    @contextmanager
    def listening(self) -> Iterator[QueryCounter]:
        pooled = getattr(self.database, "driver_reads", None)  # None: code older than it (a "before")
        if pooled is not None:
            self.database.driver_reads = lambda: self._driver_reads(pooled)
        event.listen(Engine, "before_cursor_execute", self)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self)
            if pooled is not None:
                self.database.driver_reads = pooled


def _logged_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if match is None:
        raise SystemExit("the login page has no csrf_token field")
    answer = client.post(
        "/login", data={"username": username, "password": BENCH_PASSWORD, "csrf_token": match[1]}
    )
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        raise SystemExit(f"the in-process login of {username} failed ({answer.status_code})")
    return client


def _crossings_body(pool: Iterator[str], items: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    body = []
    for _ in range(max(items // 2, 1)):
        number = next(pool)
        for direction, seconds in (("entry", 30), ("exit", 29))[: 1 if items == 1 else 2]:
            body.append(
                {
                    "id": str(uuid.uuid4()),
                    "permit_number": number,
                    "crossing_point": POINTS[0],
                    "direction": direction,
                    "at": (now - timedelta(seconds=seconds)).isoformat(),
                    "offline": True,
                }
            )
    return body


def measure_in_process(
    app: Flask, prepared: Prepared, rows: list[Request], *, repeat: int = 5, budget_seconds: float = 30
) -> dict[str, dict[str, Any]]:
    """Each request once to warm up, then up to ``repeat`` times (within the time budget): the queries
    of the last one and the median time."""
    officer, guard = _logged_in(app, BENCH_OFFICER), _logged_in(app, BENCH_GUARD)
    analyst = _logged_in(app, BENCH_ANALYST)
    bearer = {"Authorization": f"Bearer {prepared.token}"}
    pool = iter(prepared.in_process_pool * 2)
    verify_body = json.loads(prepared.verify_bodies[0])

    calls: dict[str, Callable[[], Any]] = {
        "/crossings/log": lambda: guard.get("/crossings/log"),
        "/permits/ (first page)": lambda: officer.get("/permits/"),
        "/permits/<id>": lambda: officer.get(f"/permits/{prepared.permit_ids[0]}"),
        "/applications/ (queue)": lambda: officer.get("/applications/"),
        **{key: (lambda path=path: analyst.get(path)) for key, path in REPORT_PAGES.items()},
        "GET /api/v1/revocations": lambda: app.test_client().get("/api/v1/revocations", headers=bearer),
        "POST /api/v1/verify": lambda: app.test_client().post(
            "/api/v1/verify", json=verify_body, headers=bearer
        ),
        "POST /api/v1/crossings, 1 item": lambda: app.test_client().post(
            "/api/v1/crossings", json=_crossings_body(pool, 1), headers=bearer
        ),
        "POST /api/v1/crossings, 50 items": lambda: app.test_client().post(
            "/api/v1/crossings", json=_crossings_body(pool, 50), headers=bearer
        ),
    }
    results: dict[str, dict[str, Any]] = {}
    counter = QueryCounter(app)
    for row in rows:
        call = calls[row.key]
        call()  # warm up (templates, caches, the database's buffers)
        times, started = [], time.perf_counter()
        with counter.listening():
            for _ in range(repeat):
                counter.count = 0
                begin = time.perf_counter()
                answer = call()
                times.append(time.perf_counter() - begin)
                if answer.status_code != 200:
                    raise SystemExit(f"{row.key}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
                if time.perf_counter() - started > budget_seconds:
                    break
        body = answer.get_json(silent=True) or {}
        stored = [item.get("status") for item in body.get("results", [])] if isinstance(body, dict) else []
        results[row.key] = {
            "queries": counter.count,
            "in_process_ms": round(statistics.median(times) * 1000, 2),
            "in_process_runs": len(times),
            "item_statuses": {status: stored.count(status) for status in set(stored)},
            "verdict": body.get("verdict") if isinstance(body, dict) else None,
        }
    return results
