"""Temporary databases for tests: a fresh SQLite file, or a fresh PostgreSQL database on the server
named by LBT_TEST_DATABASE_URL, dropped afterwards. Concurrent test runs never share tables.

PostgreSQL writes a checkpoint for every DROP DATABASE: a second or more once anything was written on
the server (by this run or another one). Within ``recycled_databases()`` (the whole test run) a
database whose block has ended is emptied instead, and the next block gets it, renamed, as its empty
database; the few left are dropped when the run ends."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.engine import Engine

_spares: dict[str, list[str]] | None = None  # server URL -> emptied databases, while recycling


def server_url() -> str | None:
    return os.environ.get("LBT_TEST_DATABASE_URL") or None


def _admin(base: str) -> Engine:
    return create_engine(make_url(base), isolation_level="AUTOCOMMIT")


def _drop(base: str, names: list[str]) -> None:
    admin = _admin(base)
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _disconnect(connection: Connection, name: str) -> None:
    """End every other session on database ``name`` (a pool a test left open, a killed server's)."""
    others = "FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
    connection.execute(text(f"SELECT pg_terminate_backend(pid) {others}"), {"name": name})
    deadline = time.monotonic() + 10
    while connection.scalar(text(f"SELECT count(*) {others}"), {"name": name}):
        if time.monotonic() > deadline:
            raise RuntimeError(f"sessions on {name} do not end")
        time.sleep(0.02)


def _empty(base: str, name: str) -> None:
    """Leave database ``name`` as CREATE DATABASE makes it: no schema but an empty ``public``."""
    admin = _admin(base)
    try:
        with admin.connect() as connection:
            _disconnect(connection, name)
    finally:
        admin.dispose()
    engine = _admin(make_url(base).set(database=name).render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            schemas = connection.scalars(
                text(
                    "SELECT nspname FROM pg_namespace"
                    " WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'"
                )
            ).all()
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            if int(connection.scalar(text("SHOW server_version_num"))) >= 150000:
                connection.execute(text("CREATE SCHEMA public AUTHORIZATION pg_database_owner"))
                connection.execute(text("GRANT USAGE ON SCHEMA public TO PUBLIC"))
            else:
                connection.execute(text("CREATE SCHEMA public"))
                connection.execute(text("GRANT ALL ON SCHEMA public TO PUBLIC"))
            connection.execute(text("COMMENT ON SCHEMA public IS 'standard public schema'"))
    finally:
        engine.dispose()


def _emptied(base: str, name: str) -> bool:
    try:
        _empty(base, name)
    except Exception:  # a database that could not be emptied is dropped, as without recycling
        return False
    return True


@contextmanager
def recycled_databases() -> Iterator[None]:
    """Within this block temporary databases are emptied and handed on instead of dropped one by one;
    those left are dropped at its end."""
    global _spares
    outer, _spares = _spares, {}
    try:
        yield
    finally:
        spares, _spares = _spares, outer
        for base, names in spares.items():
            _drop(base, names)


@contextmanager
def temporary_database(directory: Path, label: str = "lbt") -> Iterator[str]:
    """Yield the URL of an empty database that exists for the duration of the block."""
    base = server_url()
    if base is None:
        yield f"sqlite:///{directory / f'{label}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"{label}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    spares = _spares.setdefault(base, []) if _spares is not None else []
    admin = _admin(base)
    try:
        with admin.connect() as connection:
            if spares:
                spare = spares.pop()
                _disconnect(connection, spare)
                connection.execute(text(f'ALTER DATABASE "{spare}" RENAME TO "{name}"'))
            else:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        if _spares is not None and _emptied(base, name):
            spares.append(name)
        else:
            _drop(base, [name])
