"""Personal data on disk (the SQLite database with its password hashes, the uploaded documents, the
instance folder) is readable by the app's user only, like the signing keys: folders 0700, files 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lbt.app import build_state
from lbt.core.db import Database
from lbt.core.settings import Settings
from lbt.storage.uploads import JPEG, CheckedFile, FileStore


@pytest.fixture(autouse=True)
def usual_umask():
    """The usual umask (022), under which folders used to be made 0755 and files 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_upload_folder_and_its_files_are_private(tmp_path):
    store = FileStore(tmp_path / "instance" / "uploads")
    stored = store.save(CheckedFile(JPEG, b"\xff\xd8\xff data", "me.jpg"))
    assert mode(store.directory) == 0o700
    assert mode(store.directory / stored.stored_name) == 0o600


def test_an_upload_folder_made_before_with_wider_rights_is_closed(tmp_path):
    directory = tmp_path / "uploads"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    FileStore(directory).save(CheckedFile(JPEG, b"\xff\xd8\xff data", "me.jpg"))
    assert mode(directory) == 0o700


def test_a_new_sqlite_database_and_its_wal_files_are_private(tmp_path):
    path = tmp_path / "lbt.sqlite3"
    database = Database(f"sqlite:///{path}")
    try:
        with database.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE people (name TEXT)")
            connection.exec_driver_sql("INSERT INTO people VALUES ('a password hash')")
        companions = [tmp_path / "lbt.sqlite3-wal", tmp_path / "lbt.sqlite3-shm"]
        assert all(name.exists() for name in companions)  # WAL mode, while a connection is open
        assert [mode(name) for name in (path, *companions)] == [0o600, 0o600, 0o600]
    finally:
        database.dispose()


def test_an_older_sqlite_database_made_readable_by_others_is_closed(tmp_path):
    path = tmp_path / "lbt.sqlite3"
    for name in (path, tmp_path / "lbt.sqlite3-wal"):
        name.write_bytes(b"")
        name.chmod(0o644)
    Database(f"sqlite:///{path}").dispose()
    assert mode(path) == mode(tmp_path / "lbt.sqlite3-wal") == 0o600


def test_the_instance_folder_is_private(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    settings = Settings(
        instance_path=instance,
        database_url=f"sqlite:///{instance / 'lbt.sqlite3'}",
        secret_key="test-secret-key-" + "x" * 32,
    )
    build_state(settings).database.dispose()
    assert mode(instance) == 0o700
    assert mode(instance / "lbt.sqlite3") == 0o600
