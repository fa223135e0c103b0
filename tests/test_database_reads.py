"""``Database.reads`` (the verify lane's connection, lbt/core/db.py): on PostgreSQL its statements run
outside a transaction (no BEGIN, no COMMIT or ROLLBACK round trips), and the pooled connection it
gives back is a transactional one again for the next session; on SQLite it is the engine's own
(every connection there begins with BEGIN IMMEDIATE, the app's one writer at a time)."""

from __future__ import annotations

from sqlalchemy import text

from lbt.core.db import Database
from tests.perf.counting import statements


def test_reads_run_outside_a_transaction_and_leave_the_pool_transactional(database_url: str) -> None:
    database = Database(database_url)
    postgresql = database.engine.dialect.name == "postgresql"
    try:
        with database.reads() as connection:
            with statements(connection) as seen:
                assert connection.execute(text("SELECT 1")).scalar_one() == 1
            run = [statement for statement, _parameters in seen]
            assert run == (
                ["SELECT 1"] if postgresql else ["BEGIN IMMEDIATE", "SELECT 1"]
            )  # SQLite: as every session
            if postgresql:
                assert connection.connection.driver_connection.autocommit is True  # type: ignore[union-attr]
                in_transaction = connection.execute(text("SELECT now() = statement_timestamp()")).scalar_one()
                assert in_transaction is True  # each statement its own: no transaction holds the snapshot
        session = database.session_factory()
        try:
            session.execute(text("SELECT 1"))
            if postgresql:
                driver = session.connection().connection.driver_connection
                assert driver.autocommit is False  # type: ignore[union-attr]
                started = session.execute(text("SELECT now()")).scalar_one()
                session.execute(text("SELECT pg_sleep(0.01)"))
                assert session.execute(text("SELECT now()")).scalar_one() == started  # one transaction
        finally:
            session.close()
    finally:
        database.dispose()
