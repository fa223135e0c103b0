"""``Database.driver_reads`` (the verify lane's connection on PostgreSQL, lbt/core/db.py): a
psycopg connection of the pool's whose statements run outside a transaction (no BEGIN, no COMMIT or
ROLLBACK round trips), one held by the process between calls (a thread that finds it in use borrows another), given back a transactional one again, and
dropped from the pool when it failed. SQLite has none (the lane reads through the request's session there)."""

from __future__ import annotations

import threading

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


def test_driver_reads_run_outside_a_transaction_on_one_held_connection_given_back_transactional(postgresql):  # type: ignore[no-untyped-def]
    with postgresql.driver_reads() as driver:
        assert isinstance(driver, psycopg.Connection)
        assert driver.autocommit is True
        with driver.cursor() as cursor:
            cursor.execute("SELECT now() = statement_timestamp()")
            assert cursor.fetchone() == (True,)  # each statement its own: no transaction holds the snapshot
            assert driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        lent = driver
    with postgresql.driver_reads() as driver:
        assert driver is lent  # held by this thread, not checked out again
    session = postgresql.session_factory()
    try:
        assert session.connection().connection.driver_connection is not lent  # not the pool's meanwhile
    finally:
        session.close()
    postgresql.give_back_reader()
    sessions = [postgresql.session_factory() for _ in range(2)]
    try:
        drivers = [session.connection().connection.driver_connection for session in sessions]
        assert lent in drivers  # back in the pool
        assert lent.autocommit is False
        session = sessions[drivers.index(lent)]
        started = session.execute(text("SELECT now()")).scalar_one()
        session.execute(text("SELECT pg_sleep(0.01)"))
        assert session.execute(text("SELECT now()")).scalar_one() == started  # one transaction
    finally:
        for session in sessions:
            session.close()


def test_a_thread_finding_the_held_one_in_use_borrows_another(postgresql):  # type: ignore[no-untyped-def]
    borrowed = []

    def read() -> None:
        with postgresql.driver_reads() as driver:
            borrowed.append(driver)
            assert driver.autocommit is True

    with postgresql.driver_reads() as held:
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert borrowed and borrowed[0] is not held
    assert borrowed[0].autocommit is False  # given back to the pool at once, transactional
    with postgresql.driver_reads() as driver:
        assert driver is held


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
