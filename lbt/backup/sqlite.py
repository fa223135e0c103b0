"""SQLite: a consistent copy of a live database with SQLite's online backup API, and a restore that
writes a copy back in one transaction (readers see the old database or the new one, never a mix)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from lbt.backup.archive import BackupError
from lbt.core.db import make_private

BUSY_TIMEOUT_SECONDS = 30.0  # how long a restore waits for the app's writers before it gives up
_BUSY, _LOCKED = 5, 6  # SQLite's result codes, as the backup's progress callback gets them


class _InUse(Exception):
    pass


def _give_up_when_busy(status: int, _remaining: int, _total: int) -> None:
    """Python's backup retries a busy database for ever; after one busy timeout it stops instead."""
    if status in (_BUSY, _LOCKED):
        raise _InUse


def snapshot(live: Path, copy: Path) -> str:
    """Copy ``live`` to ``copy`` while the app may write to it (the backup API copies one consistent
    state) and return the schema revision the copy holds."""
    if not live.is_file():
        raise BackupError(f"the database file {live} does not exist")
    try:
        with (
            closing(sqlite3.connect(live, timeout=BUSY_TIMEOUT_SECONDS)) as source,
            closing(sqlite3.connect(copy)) as target,
        ):
            source.backup(target, progress=_give_up_when_busy)
            # one self-contained file: no -wal beside it in the archive
            target.execute("PRAGMA journal_mode=DELETE")
    except _InUse:
        raise BackupError(f"the database {live} stayed locked for {BUSY_TIMEOUT_SECONDS:.0f} s") from None
    except sqlite3.Error as error:
        raise BackupError(f"cannot copy the SQLite database {live}: {error}") from None
    return schema_revision(copy)


def schema_revision(path: Path) -> str:
    """The Alembic revision a database file holds; checks the file is a sound SQLite database."""
    try:
        with closing(sqlite3.connect(_read_only(path), uri=True)) as connection:
            check = connection.execute("PRAGMA integrity_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"the SQLite database in the archive is damaged ({check})")
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the SQLite database is not readable ({error}); is the schema migrated?") from None
    if len(rows) != 1:
        raise BackupError("the database has no schema revision: run `lbt db upgrade` first")
    return str(rows[0][0])


def current_revision(live: Path) -> str | None:
    """The revision of the live database, read without waiting for its writers (WAL: readers never
    wait); None for a database that is missing or has no schema yet."""
    if not live.is_file() or live.stat().st_size == 0:
        return None
    try:
        with closing(sqlite3.connect(live, timeout=BUSY_TIMEOUT_SECONDS)) as connection:
            tables = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'"
            ).fetchall()
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall() if tables else []
    except sqlite3.Error as error:
        raise BackupError(f"cannot read the schema revision of {live}: {error}") from None
    return str(rows[0][0]) if rows else None


def restore(copy: Path, live: Path) -> None:
    """Write ``copy`` over the live database in one transaction of the backup API."""
    make_private(live)  # created 0600 if missing, like the app's own file
    try:
        with (
            closing(sqlite3.connect(_read_only(copy), uri=True)) as source,
            closing(sqlite3.connect(live, timeout=BUSY_TIMEOUT_SECONDS)) as target,
        ):
            source.backup(target, progress=_give_up_when_busy)
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except _InUse:
        raise BackupError(
            f"the database {live} is in use (locked for {BUSY_TIMEOUT_SECONDS:.0f} s); nothing was changed: "
            "stop the app and the worker, then restore again"
        ) from None
    except sqlite3.Error as error:
        raise BackupError(
            f"cannot write the database {live}: {error}; stop the app and the worker and try again"
        ) from None


def _read_only(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"
