"""Temporary databases for tests: a fresh SQLite file, or a fresh PostgreSQL database on the server
named by LBT_TEST_DATABASE_URL, dropped afterwards. Concurrent test runs never share tables."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text


def server_url() -> str | None:
    return os.environ.get("LBT_TEST_DATABASE_URL") or None


@contextmanager
def temporary_database(directory: Path, label: str = "lbt") -> Iterator[str]:
    """Yield the URL of an empty database that exists for the duration of the block."""
    base = server_url()
    if base is None:
        yield f"sqlite:///{directory / f'{label}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"{label}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
