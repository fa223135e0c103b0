"""``Database.driver_reads`` (the verify lane's connection on PostgreSQL, lbt/core/db.py): a pooled
psycopg connection whose statements run outside a transaction (no BEGIN, no COMMIT or ROLLBACK round
trips), given back a transactional one again for the next session, and dropped from the pool when
it failed. SQLite has none (the lane reads through the request's session there)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from lbt.core.db import Database


@pytest.fixture
def database(database_url: str):  # type: ignore[no-untyped-def]
    database = Database(database_url)
    yield database
    database.dispose()


def test_sqlite_has_no_driver_reads(database):  # type: ignore[no-untyped-def]
    if database.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL has them")
    with pytest.raises(RuntimeError, match="PostgreSQL"), database.driver_reads():
        pass


@pytest.fixture
def postgresql(database):  # type: ignore[no-untyped-def]
    if database.engine.dialect.name != "postgresql":
        pytest.skip("driver reads are PostgreSQL's")
    return database


def test_driver_reads_run_outside_a_transaction_and_leave_the_pool_transactional(postgresql):  # type: ignore[no-untyped-def]
    with postgresql.driver_reads() as driver:
        assert isinstance(driver, psycopg.Connection)
        assert driver.autocommit is True
        with driver.cursor() as cursor:
            cursor.execute("SELECT now() = statement_timestamp()")
            assert cursor.fetchone() == (True,)  # each statement its own: no transaction holds the snapshot
            assert driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        lent = driver
    session = postgresql.session_factory()
    try:
        session.execute(text("SELECT 1"))
        driver = session.connection().connection.driver_connection
        assert driver is lent  # the one pooled connection, given back
        assert driver.autocommit is False
        started = session.execute(text("SELECT now()")).scalar_one()
        session.execute(text("SELECT pg_sleep(0.01)"))
        assert session.execute(text("SELECT now()")).scalar_one() == started  # one transaction
    finally:
        session.close()


def test_a_connection_that_failed_is_not_lent_again(postgresql):  # type: ignore[no-untyped-def]
    with pytest.raises(psycopg.errors.UndefinedTable), postgresql.driver_reads() as driver:
        failed = driver
        with driver.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")
    assert failed.closed
    with postgresql.driver_reads() as driver:
        assert driver is not failed
        with driver.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
