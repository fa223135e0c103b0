"""Temporary databases for tests: a fresh SQLite file, or a fresh PostgreSQL database on the server
named by LBT_TEST_DATABASE_URL, dropped afterwards. Concurrent test runs never share tables.

PostgreSQL writes a checkpoint for every DROP DATABASE, which takes a second or more once anything
was written on the server (by this run or another one). Within ``dropped_together()`` (the whole test
run) the databases are dropped at its end, all at once: concurrent drops wait for one checkpoint, and
the pages of the dropped databases are thrown away instead of written (6.5 s for four one after the
other, 0.2 s at once)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

_deferred: list[tuple[str, str]] | None = None  # (server URL, database) to drop at the end


def server_url() -> str | None:
    return os.environ.get("LBT_TEST_DATABASE_URL") or None


def _drop(base: str, name: str) -> None:
    admin = create_engine(make_url(base), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def dropped_together() -> Iterator[None]:
    """Within this block, the temporary databases of ended blocks are kept until its end and then
    dropped concurrently, each on a connection of its own."""
    global _deferred
    outer, _deferred = _deferred, []
    try:
        yield
    finally:
        pending, _deferred = _deferred, outer
        if pending:
            with ThreadPoolExecutor(max_workers=min(len(pending), 16)) as pool:
                for done in [pool.submit(_drop, base, name) for base, name in pending]:
                    done.result()


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
            _drop(base, name)
