"""The benchmark's data: a PostgreSQL database per size, brought to the schema by the project's own
migrations, with the reference data and users made through the app's services and the big tables
(applications, permits, crossings, misuse cases) filled by set-based SQL (INSERT ... SELECT over
generate_series), so a million applications and seven million crossings take minutes.

What is made (see bench/README.md): the demo's states, agreement (TJ-KG-LBT: 30-day stays, 90 days
in 180), localities and crossing points; a bench officer and a bench guard; ``size`` applications,
90 % with a permit (a few of them suspended, revoked, annulled or replaced), 7 % open, the rest
refused or withdrawn, submitted over three years; about ``crossings_per_permit`` crossings per
permit, entry and exit pairs in the last year of each permit's validity, some holders inside now,
a few overstays with their misuse cases. Every row meets the schema's CHECK constraints and foreign
keys (the foreign keys and indexes are dropped for the insert and added back after it, which checks
them in bulk; the schema is then compared with the migrated one). The pseudo-random choices are
hashes of the row ids (rows.py), so one size gets the same data (its dates follow the day it is made).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import rows
from sqlalchemy import Connection, Engine, create_engine, make_url, select, text

from lbt.accounts.models import Role, User
from lbt.accounts.services import Scope, UserData, create_user, find_user
from lbt.accounts.two_factor import policy as two_factor
from lbt.applications import first_decisions
from lbt.audit.models import AuditActor
from lbt.audit.services import install_audit_listener
from lbt.core.db import Database, make_engine
from lbt.core.migrate import current_revision, head_revision, upgrade
from lbt.crossings import summaries
from lbt.demo.reference import AGREEMENT_CODE, load_demo
from lbt.permits.services import is_well_formed
from lbt.permits.signing import SigningKey, new_private_key, private_key_pem
from lbt.reference.models import Agreement, CrossingPoint, Locality, State
from lbt.reports import issued_counts

BENCH_PASSWORD = "bench-password-not-a-secret"  # a local benchmark database, made by this script
BENCH_OFFICER = "bench-officer"
BENCH_GUARD = "bench-guard"
BENCH_ANALYST = "bench-analyst"  # the central office: the report pages
GENERATOR = 2  # what the generator makes; a database made by an older one is made anew (2: report data)
POINTS = ("TJ-KG-01", "TJ-KG-02")  # the agreement's two LBT crossing points; the guard serves both
MARKER = "lbt_bench"  # the key of the JSON in the database's comment that says what it holds
Log = Callable[[str], None]


def parse_size(text_size: str) -> int:
    """``10k``, ``100k``, ``1m`` or a plain number of applications."""
    value = text_size.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(value[-1:], 1)
    number = int(float(value[:-1]) * factor) if factor > 1 else int(value)
    if number < 1_000:
        raise ValueError(f"size {text_size!r}: at least 1000 applications")
    return number


def size_label(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    return f"{size // 1_000}k" if size % 1_000 == 0 else str(size)


@dataclass(frozen=True)
class Target:
    """Where one size's database lives."""

    server: str  # postgresql+psycopg://user@host:port/
    size: int
    crossings_per_permit: float

    @property
    def name(self) -> str:
        return f"lbt_bench_{size_label(self.size)}"

    @property
    def url(self) -> str:
        return make_url(self.server).set(database=self.name).render_as_string(hide_password=False)

    def wanted(self) -> dict[str, object]:
        return {
            "applications": self.size,
            "crossings_per_permit": self.crossings_per_permit,
            "generator": GENERATOR,
        }


@contextmanager
def _admin(server: str) -> Iterator[Connection]:
    engine = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def server_version(server: str) -> str:
    with _admin(server) as admin:
        return str(admin.execute(text("SHOW server_version")).scalar())


def read_marker(target: Target) -> dict[str, object] | None:
    """What the database says it holds (None when it does not exist or holds nothing of ours)."""
    with _admin(target.server) as admin:
        comment = admin.execute(
            text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
            {"name": target.name},
        ).scalar()
        exists = admin.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.name}
        ).scalar()
    if not exists:
        return None
    try:
        marker = json.loads(comment or "{}").get(MARKER)
    except ValueError:
        return {}
    return marker if isinstance(marker, dict) else {}


def drop_database(target: Target) -> None:
    with _admin(target.server) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)'))


def _create_database(target: Target) -> None:
    with _admin(target.server) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)'))
        admin.execute(text(f'CREATE DATABASE "{target.name}"'))


def _write_marker(target: Target, marker: dict[str, object]) -> None:
    comment = json.dumps({MARKER: marker}).replace("'", "''")
    with _admin(target.server) as admin:
        admin.execute(text(f"COMMENT ON DATABASE \"{target.name}\" IS '{comment}'"))


def ensure_database(target: Target, *, fresh: bool, log: Log) -> dict[str, object]:
    """Reuse the database when it holds this size's data (bringing its schema to the head revision,
    as an upgrade in production would); otherwise make it anew. Returns the marker."""
    marker = None if fresh else read_marker(target)
    wanted = target.wanted().items()
    if marker and marker.get("signing_key_pem") and all(marker.get(key) == value for key, value in wanted):
        engine = make_engine(target.url)
        try:
            if current_revision(engine) != head_revision(engine):
                log(f"{target.name}: upgrading the schema to {head_revision(engine)}")
                upgrade(engine)
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql(
                        "VACUUM ANALYZE"
                    )  # a back-fill clears the visibility map: index-only scans would read the heap until autovacuum
        finally:
            engine.dispose()
        log(f"{target.name}: reusing the data made {marker.get('generated_at')} (--fresh to rebuild)")
        return marker
    log(f"{target.name}: making {target.size:,} applications")
    _create_database(target)
    marker = fill(target, log=log)
    _write_marker(target, marker)
    return marker


# --- filling ----------------------------------------------------------------------------------------


def _columns(connection: Connection, table: str) -> dict[str, bool]:
    """The table's columns, each with whether an INSERT must give it (NOT NULL and no default)."""
    found = connection.execute(
        text(
            "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = :table"
        ),
        {"table": table},
    ).all()
    return dict(found)  # type: ignore[arg-type]


def _insert(connection: Connection, table: str, values: dict[str, str], source: str, **params: object) -> int:
    """``INSERT INTO table (...) SELECT <values> <source>``, giving only the columns the table has (a
    later revision may drop one) and refusing clearly when it has a required column we do not know
    of (a later revision added one: say here what to put in it)."""
    columns = _columns(connection, table)
    missing = [name for name, required in columns.items() if required and name not in values]
    if missing:
        raise SystemExit(
            f"bench/datagen.py does not know what to put in {table}.{', '.join(missing)} "
            "(a new column without a default): add it to the generator"
        )
    chosen = {name: expression for name, expression in values.items() if name in columns}
    sql = f"INSERT INTO {table} ({', '.join(chosen)}) SELECT {', '.join(chosen.values())} {source}"
    return connection.execute(text(sql), params).rowcount


def _reference(database: Database, now: datetime, instance: Path) -> rows.Reference:
    """States, agreement, localities, crossing points (the demo's, through its loader) and the bench
    users (through the accounts service), audited as the CLI would audit them."""
    install_audit_listener()
    with database.transaction(AuditActor(None, "bench", "cli")) as session:
        load_demo(session, instance, now=now)
        session.flush()
        agreement = session.scalars(select(Agreement).where(Agreement.code == AGREEMENT_CODE)).one()
        users = {
            BENCH_OFFICER: UserData(
                username=BENCH_OFFICER,
                role=Role.OFFICER,
                full_name="Bench Officer",
                scope=Scope(agreements=(agreement.code,)),
            ),
            BENCH_GUARD: UserData(
                username=BENCH_GUARD,
                role=Role.BORDER_GUARD,
                full_name="Bench Guard",
                scope=Scope(crossing_points=POINTS),
            ),
            BENCH_ANALYST: UserData(
                username=BENCH_ANALYST, role=Role.ANALYST, full_name="Bench Analyst", scope=Scope()
            ),
        }
        for username, data in users.items():
            if find_user(session, username) is None:
                create_user(session, data, BENCH_PASSWORD, now=now)
        # the bench's staff log in with the password alone (the per-role setting of /admin/two-factor):
        # a run measures the pages, not the second step of a login
        two_factor.set_required_roles(
            session, two_factor.required_roles(session) - {Role.OFFICER, Role.ANALYST}, now=now
        )
        session.flush()
        localities = session.execute(
            select(Locality.id, Locality.name_latin)
            .where(Locality.agreement_id == agreement.id, Locality.state_id == agreement.state_b_id)
            .order_by(Locality.id)
        ).all()
        points = session.scalars(
            select(CrossingPoint.id).where(CrossingPoint.code.in_(POINTS)).order_by(CrossingPoint.code)
        ).all()
        guards = session.scalars(
            select(User.id).where(User.role == Role.BORDER_GUARD).order_by(User.id)
        ).all()
        officer = session.scalars(select(User.id).where(User.username == BENCH_OFFICER)).one()
        home = session.scalars(select(State.code).where(State.id == agreement.state_a_id)).one()
        return rows.Reference(
            agreement.id, [tuple(row) for row in localities], list(points), officer, list(guards), 0, home, ""
        )


@contextmanager
def _constraints_built_after(connection: Connection, table: str) -> Iterator[None]:
    """PostgreSQL's advice for bulk loads ("Populating a Database"): drop the table's indexes, unique
    constraints and foreign keys (not its primary key) for the insert, and add them again from their
    own definitions after it, in the same transaction. One sorted index build and one set-based check
    of each foreign key are many times faster than a row-by-row check per inserted row; the data
    must pass them all the same."""
    referenced = "SELECT conindid FROM pg_constraint WHERE contype = 'f'"
    constraints = connection.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid), conindid, contype FROM pg_constraint "
            "WHERE conrelid = CAST(:table AS regclass) AND (contype = 'f' OR "
            f"(contype = 'u' AND conindid NOT IN ({referenced}))) ORDER BY contype DESC, conname"
        ),
        {"table": table},
    ).all()
    backing = [row[2] for row in constraints if row[3] == "u"]
    indexes = connection.execute(
        text(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = CAST(:table AS regclass) AND NOT i.indisprimary "
            f"AND i.indexrelid NOT IN ({referenced}) AND NOT i.indexrelid = ANY(:backing)"
        ),
        {"table": table, "backing": backing},
    ).all()
    for name, *_ in constraints:
        connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, definition in indexes:
        connection.exec_driver_sql(definition)
    for name, definition, *_ in constraints:  # unique ones first ('u' > 'f'), then the foreign keys
        connection.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _schema(connection: Connection) -> list[tuple[str, ...]]:
    """Every index and constraint of the schema, by definition (to prove the fill left it as migrated)."""
    found = connection.execute(
        text(
            "SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
            "JOIN pg_namespace n ON n.oid = (SELECT relnamespace FROM pg_class WHERE oid = i.indrelid) "
            "WHERE n.nspname = 'public' UNION ALL "
            "SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        )
    ).all()
    return [(kind, name, _canonical(definition)) for kind, name, definition in found]


def _canonical(definition: str) -> str:
    """A definition without the casts and parentheses PostgreSQL's deparser puts differently once an
    index is made again from its own definition (a partial index's ``status IN (...)``)."""
    for noise in ("::character varying", "::text[]", "::text", "(", ")", " "):
        definition = definition.replace(noise, "")
    return definition


def _check_numbers(connection: Connection) -> None:
    """The permit numbers written in SQL carry the check digit the app computes."""
    numbers = connection.execute(text("SELECT number FROM permits WHERE id % 997 = 1")).scalars().all()
    wrong = [number for number in numbers if not is_well_formed(number)]
    if wrong:
        raise SystemExit(f"bench/datagen.py wrote permit numbers with a wrong check digit: {wrong[:5]}")


@contextmanager
def _step(log: Log, label: str, timings: dict[str, float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[label] = round(time.perf_counter() - start, 1)
    log(f"  {label}: {timings[label]:.1f} s")


# What the report pages read besides the crossings and misuse cases, by set-based SQL over the
# generated rows: each application's events as the app writes them (submitted; approved or refused
# when decided, an application under reconsideration refused 10 days after it came; reconsideration
# asked; withdrawn), each withdrawal of a permit as it happened (as
# revision 0021 fills them), alert-list hits on 0.5 % of the applications (a third still standing),
# and stay-pattern flags at the holder's latest exit (0.3 % many short stays, 0.2 % near the limit).
EVENTS_SQL = """
SELECT a.id, e.kind, e.at, e.actor_id, '', true FROM applications a
CROSS JOIN LATERAL (VALUES
  ('submitted', a.submitted_at, NULL::int),
  (CASE WHEN a.status = 'approved' THEN 'approved' ELSE 'refused' END,
   coalesce(a.decided_at, a.submitted_at + interval '10 days'), coalesce(a.decided_by_id, :officer)),
  ('reconsideration_requested', a.submitted_at + interval '13 days', NULL::int),
  ('withdrawn', a.submitted_at + interval '5 days', NULL::int)
) AS e (kind, at, actor_id)
WHERE (e.kind = 'submitted')
   OR (e.kind IN ('approved', 'refused') AND (a.decided_at IS NOT NULL OR a.status = 'reconsideration'))
   OR (e.kind = 'reconsideration_requested' AND a.status = 'reconsideration')
   OR (e.kind = 'withdrawn' AND a.status = 'withdrawn')
"""

STATUS_CHANGES_SQL = """
SELECT id, agreement_id, status, status_reason, status_changed_at FROM permits
WHERE status_changed_at IS NOT NULL AND status IN ('suspended', 'revoked', 'annulled', 'replaced')
ORDER BY status_changed_at, id
"""

FLAGS_SQL = """
SELECT x.permit_id, x.kind, p.agreement_id, x.count, x.window_days, x.last_exit_at, x.last_exit_at
FROM (
  SELECT c.permit_id, max(c.at) AS last_exit_at,
         CASE WHEN c.permit_id % 1000 < 3 THEN 'short_stays' ELSE 'near_limit' END AS kind,
         CASE WHEN c.permit_id % 1000 < 3 THEN 8 + c.permit_id % 5 ELSE 3 + c.permit_id % 2 END AS count,
         CASE WHEN c.permit_id % 1000 < 3 THEN 30 ELSE 365 END AS window_days
  FROM crossings c
  WHERE c.direction = 'exit' AND c.permit_id % 1000 < 5
  GROUP BY c.permit_id
) AS x JOIN permits p ON p.id = x.permit_id
"""


def _report_rows(connection: Connection, params: dict[str, object]) -> dict[str, int]:
    counts = {
        "application_events": connection.execute(
            text(
                f"INSERT INTO application_events (application_id, kind, at, actor_id, message, is_public) {EVENTS_SQL}"
            ),
            params,
        ).rowcount,
        # each application's first decision, as the app keeps it at every decision (revision 0026), from
        # the events just made with the app's own recount (lbt reports rebuild-summaries)
        "first_decisions": connection.execute(
            text(
                "UPDATE applications SET first_decided_at = e.first_decided_at, first_decided_on = "
                f"e.first_decided_on FROM ({first_decisions.expected_sql('postgresql')}) AS e "
                "WHERE e.id = applications.id"
            )
        ).rowcount,
        "permit_status_changes": connection.execute(
            text(
                "INSERT INTO permit_status_changes (permit_id, agreement_id, status, reason, changed_at) "
                + STATUS_CHANGES_SQL
            )
        ).rowcount,
    }
    alert_id = connection.execute(
        text(
            "INSERT INTO alerts (surname_latin, given_names_latin, search_name, document_number, reason, "
            "is_active, created_at) VALUES ('BENCH', 'ALERT', 'BENCH ALERT', 'AC0000000', "
            "'A benchmark alert.', true, :now) RETURNING id"
        ),
        params,
    ).scalar_one()
    counts["alert_hits"] = connection.execute(
        text(
            "INSERT INTO alert_hits (application_id, alert_id, found_at, cleared_at, clear_reason) "
            "SELECT id, :alert, submitted_at, CASE WHEN id % 3 <> 0 THEN submitted_at + interval '1 day' END, "
            "CASE WHEN id % 3 <> 0 THEN 'Not the same person.' ELSE '' END "
            "FROM applications WHERE (id * 7) % 200 = 3"
        ),
        {"alert": alert_id},
    ).rowcount
    counts["stay_pattern_flags"] = connection.execute(
        text(
            "INSERT INTO stay_pattern_flags (permit_id, kind, agreement_id, count, window_days, "
            f"last_exit_at, flagged_at) {FLAGS_SQL}"
        )
    ).rowcount
    return counts


def fill(target: Target, *, log: Log) -> dict[str, object]:
    """Migrate the new database and fill it; return the marker (what it holds, how long it took)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    engine: Engine = make_engine(target.url)
    with _step(log, "schema (migrations)", timings):
        upgrade(engine)
    with engine.connect() as connection:
        migrated = _schema(connection)
    database = Database(target.url)
    with tempfile.TemporaryDirectory() as folder, _step(log, "reference data and users", timings):
        ref = _reference(database, now - timedelta(days=1200), Path(folder))
    database.dispose()
    # the data's signing key, kept in the database's comment: each run gives it to the app
    # (LBT_SIGNING_KEY), so every permit names the key the app signs and publishes with
    key = SigningKey.of(new_private_key())
    ref = replace(ref, signing_kid=key.kid)
    rows.check_search_key()
    params: dict[str, object] = {
        "n": target.size,
        "now": now,
        "today": today,
        **rows.names(),
        "locality_ids": [locality_id for locality_id, _ in ref.localities],
        "locality_names": [name for _, name in ref.localities],
        "reasons": rows.REASONS,
        "guard_ids": ref.guard_ids,
        "point_a": ref.points[0],
        "point_b": ref.points[1],
        "officer": ref.officer_id,
    }
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        connection.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
        rows.frac_function(connection)
        photo_id = connection.execute(
            text(
                "INSERT INTO stored_files (stored_name, original_name, content_type, size_bytes, sha256, created_at) "
                "VALUES ('bench-photo', 'photo.jpg', 'image/jpeg', 0, repeat('0', 64), :now) RETURNING id"
            ),
            {"now": now},
        ).scalar_one()
        ref = replace(ref, photo_id=photo_id)
        with _step(log, "applications", timings), _constraints_built_after(connection, "applications"):
            counts["applications"] = _insert(
                connection, "applications", rows.application_values(ref), rows.APPLICATION_SOURCE, **params
            )
        with _step(log, "permits", timings), _constraints_built_after(connection, "permits"):
            counts["permits"] = _insert(
                connection, "permits", rows.permit_values(ref), rows.PERMIT_SOURCE, **params
            )
        with _step(log, "crossings", timings), _constraints_built_after(connection, "crossings"):
            spans = connection.execute(
                text(
                    f"SELECT coalesce(sum(span), 0), count(*) FILTER (WHERE inside) FROM ({rows.WINDOWS}) AS w"
                ),
                params,
            ).one()
            span_days, inside = spans
            # trips per day of window, so that pairs and the open entries make the asked mean
            trips = max(target.crossings_per_permit * counts["permits"] - inside, 0) / 2
            params["rate"] = trips / span_days if span_days else 0.0
            counts["crossings"] = _insert(
                connection, "crossings", rows.crossing_values(ref), rows.CROSSING_SOURCE, **params
            )
        with _step(log, "misuse cases", timings):
            counts["misuse_cases"] = _insert(
                connection,
                "misuse_cases",
                rows.misuse_values(),
                rows.MISUSE_SOURCE.format(windows=rows.WINDOWS),
                **params,
            ) + _insert(
                connection, "misuse_cases", rows.other_misuse_values(), rows.OTHER_MISUSE_SOURCE, **params
            )
        with _step(log, "what the reports read (events, status changes, alert hits, stay flags)", timings):
            counts.update(_report_rows(connection, params))
        with _step(log, "crossing summaries (who is inside, day counts)", timings):
            # the tables the app keeps at every crossing (issue 11), made from the crossings at once
            # with the app's own recount (lbt crossings rebuild-summaries)
            counts["permit_presence"] = connection.execute(
                text(
                    f"INSERT INTO permit_presence ({summaries.PRESENCE_COLUMNS}) {summaries.EXPECTED_PRESENCE_SQL}"
                )
            ).rowcount
            counts["crossing_day_counts"] = connection.execute(
                text(
                    f"INSERT INTO crossing_day_counts ({summaries.DAY_COLUMNS}) "
                    + summaries.expected_day_counts_sql("postgresql")
                )
            ).rowcount
        with _step(log, "permits issued per day (the reports' counts)", timings):
            # kept at every permit issued (lbt/reports/issued_counts.py), made here with its recount, on
            # the issuing state's clock (the instance's report zone when LBT_TIME_ZONE is unset)
            counts["permit_issue_counts"] = connection.execute(
                text(
                    f"INSERT INTO permit_issue_counts ({issued_counts.COLUMNS}) "
                    + issued_counts.expected_sql("postgresql", None)
                )
            ).rowcount
        for table in ("applications", "permits"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        # the counters that number new applications and permits go on after the generated ones
        connection.execute(
            text(
                "INSERT INTO counters (prefix, value) "
                "SELECT substr(reference, 1, 8), max(substr(reference, 10)::int) FROM applications GROUP BY 1 "
                "UNION ALL SELECT substr(number, 1, 7), max(substr(number, 9, length(number) - 10)::int) "
                "FROM permits GROUP BY 1 "
                "ON CONFLICT (prefix) DO UPDATE SET value = greatest(counters.value, excluded.value)"
            )
        )
        _check_numbers(connection)
        if _schema(connection) != migrated:
            differing = sorted(set(_schema(connection)) ^ set(migrated))
            raise SystemExit(f"bench/datagen.py left the schema different from the migrated one: {differing}")
    with (
        engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection,
        _step(log, "VACUUM ANALYZE", timings),
    ):
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    total = round(time.perf_counter() - started, 1)
    log(
        f"  data made in {total:.1f} s: " + ", ".join(f"{count:,} {table}" for table, count in counts.items())
    )
    return {
        **target.wanted(),
        "generated_at": now.isoformat(),
        "seconds": total,
        "timings": timings,
        "rows": counts,
        "signing_key_pem": private_key_pem(key.private_key),  # a benchmark's key, for this data only
    }
