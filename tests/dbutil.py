"""Temporary databases for tests: a fresh SQLite file, or a fresh PostgreSQL database on the server
named by LBT_TEST_DATABASE_URL, dropped afterwards. Concurrent test runs never share tables."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

_deferred: list[tuple[str, str]] | None = None  # (server URL, database) to drop when the run ends


def server_url() -> str | None:
    return os.environ.get("LBT_TEST_DATABASE_URL") or None


def _drop(base: str, names: list[str]) -> None:
    admin = create_engine(make_url(base), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def dropped_at_the_end() -> Iterator[None]:
    """Within this block (the test run), temporary databases are dropped together at its end instead of
    each after its own block: PostgreSQL writes a checkpoint for every DROP DATABASE, a second or more
    once the tests have written anything, while the drops after the first find little left to write."""
    global _deferred
    outer, _deferred = _deferred, []
    try:
        yield
    finally:
        pending, _deferred = _deferred, outer
        for base in dict.fromkeys(base for base, _ in pending):
            _drop(base, [name for server, name in pending if server == base])


@contextmanager
def temporary_database(directory: Path, label: str = "lbt") -> Iterator[str]:
    """Yield the URL of an empty database that exists for the duration of the block."""
    base = server_url()
    if base is None:
        yield f"sqlite:///{directory / f'{label}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"{label}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(base), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        if _deferred is not None:
            _deferred.append((base, name))
        else:
            _drop(base, [name])
