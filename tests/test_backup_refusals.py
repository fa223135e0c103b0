"""What `lbt restore` refuses, with a readable reason, an exit code other than 0 and nothing changed:
a tampered, truncated or foreign archive, a backup of another database kind or of a newer lbt, and a
database whose schema is newer than the backup's. And what `lbt backup` refuses."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from lbt.backup import postgresql as backup_postgresql
from lbt.backup import sqlite as backup_sqlite
from tests.backuputil import instance_app, instance_files, manifest_of, rewrite, rows, run


@dataclass
class Backed:
    app: Flask
    archive: Path
    rows: dict[str, list[tuple[Any, ...]]]
    files: dict[str, dict[str, bytes]]


@pytest.fixture(scope="module")
def backed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backed]:
    """An instance with the demo data and one backup of it; the tests here must leave both unchanged."""
    directory = tmp_path_factory.mktemp("refusals")
    with instance_app(directory) as app:
        assert run(app, "demo").exit_code == 0
        archive = directory / "lbt.backup"
        assert run(app, "backup", "--out", str(archive)).exit_code == 0
        yield Backed(app, archive, rows(app), instance_files(app))


def _refused(backed: Backed, archive: Path, *words: str) -> str:
    result = run(backed.app, "restore", str(archive), "--yes")
    assert result.exit_code != 0, result.output
    assert "not restored" in result.output
    for word in words:
        assert word in result.output
    assert rows(backed.app) == backed.rows
    assert instance_files(backed.app) == backed.files
    instance = backed.app.extensions["lbt"].settings.instance_path
    assert not [path for path in instance.iterdir() if path.name.startswith(".restore-")]
    return str(result.output)


def _manifest_changed(**changes: Any):  # type: ignore[no-untyped-def]
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        for key, value in changes.items():
            if key in manifest:
                manifest[key] = value
            else:
                manifest["database"][key] = value
        return json.dumps(manifest).encode()

    return change


def test_an_upload_changed_inside_the_archive_is_refused(backed, tmp_path):
    def change(name: str, data: bytes) -> bytes:
        return data + b"!" if name.startswith("instance/uploads/") else data

    tampered = rewrite(backed.archive, tmp_path / "tampered", change)
    _refused(backed, tampered, "does not match the checksum in the manifest")


def test_a_changed_database_dump_is_refused(backed, tmp_path):
    def change(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("database/") else data

    _refused(backed, rewrite(backed.archive, tmp_path / "tampered", change), "database/", "checksum")


@pytest.mark.parametrize("keep", [0.5, 0.95, 0.999])
def test_a_truncated_archive_is_refused(backed, tmp_path, keep):
    data = backed.archive.read_bytes()
    truncated = tmp_path / "truncated"
    truncated.write_bytes(data[: int(len(data) * keep)])
    _refused(backed, truncated, "truncated")


def test_a_file_that_is_no_backup_is_refused(backed, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_bytes(os.urandom(4096))
    _refused(backed, other, "truncated or damaged")


def test_a_member_missing_from_the_archive_is_refused(backed, tmp_path):
    def change(name: str, data: bytes) -> bytes | None:
        return None if name.startswith("instance/keys/") and name.endswith(".pem") else data

    _refused(backed, rewrite(backed.archive, tmp_path / "short", change), "lacks 1 member")


def test_a_member_the_manifest_does_not_list_is_refused(backed, tmp_path):
    extra = {"instance/uploads/" + "f" * 32: b"slipped in"}
    _refused(backed, rewrite(backed.archive, tmp_path / "extra", lambda _n, d: d, extra), "does not list")


def test_a_member_outside_the_instance_is_refused_and_never_written(backed, tmp_path):
    extra = {"instance/../../escaped": b"outside"}
    _refused(
        backed, rewrite(backed.archive, tmp_path / "escape", lambda _n, d: d, extra), "no lbt backup writes"
    )
    instance = backed.app.extensions["lbt"].settings.instance_path
    assert not (instance.parent / "escaped").exists() and not (instance / "escaped").exists()


def test_an_archive_without_manifest_is_refused(backed, tmp_path):
    stripped = rewrite(backed.archive, tmp_path / "bare", lambda n, d: None if n == "manifest.json" else d)
    _refused(backed, stripped, "has no manifest")


def test_a_manifest_whose_revision_disagrees_with_the_database_inside_is_refused(backed, tmp_path):
    real = manifest_of(backed.archive)["database"]["schema_revision"]
    older = f"{int(real) - 1:04d}"
    changed = rewrite(backed.archive, tmp_path / "revision", _manifest_changed(schema_revision=older))
    _refused(backed, changed, f"the manifest says schema revision {older}", f"is at {real}")


def test_a_backup_of_a_newer_lbt_is_refused(backed, tmp_path):
    newer = rewrite(backed.archive, tmp_path / "newer", _manifest_changed(schema_revision="9999"))
    _refused(backed, newer, "9999 is newer than this lbt knows")
    future = rewrite(backed.archive, tmp_path / "format", _manifest_changed(format_version=2))
    _refused(backed, future, "format version 2")


def test_a_backup_of_the_other_database_kind_is_refused(backed, tmp_path):
    kind = manifest_of(backed.archive)["database"]["kind"]
    other = "postgresql" if kind == "sqlite" else "sqlite"
    changed = rewrite(backed.archive, tmp_path / "kind", _manifest_changed(kind=other))
    _refused(backed, changed, f"holds a {other} database", f"names a {kind} one")


def test_without_yes_a_sound_archive_is_only_checked(backed):
    result = run(backed.app, "restore", str(backed.archive))
    assert result.exit_code == 0, result.output
    assert "intact lbt backup" in result.output and "checksums verified" in result.output
    assert "Nothing was changed" in result.output
    assert rows(backed.app) == backed.rows and instance_files(backed.app) == backed.files


def test_a_restore_over_a_newer_schema_is_refused_until_the_database_is_brought_down(tmp_path):
    with instance_app(tmp_path) as app:
        assert run(app, "db", "upgrade").exit_code == 0
        head = run(app, "db", "current").output.split("latest:")[1].split()[0]
        older = f"{int(head) - 1:04d}"
        assert run(app, "db", "downgrade", older).exit_code == 0
        archive = tmp_path / "older.backup"
        assert run(app, "backup", "--out", str(archive)).exit_code == 0
        assert manifest_of(archive)["database"]["schema_revision"] == older
        assert run(app, "db", "upgrade").exit_code == 0
        before = rows(app)

        refused = run(app, "restore", str(archive), "--yes")
        assert refused.exit_code != 0
        assert (
            f"the database's schema (revision {head}) is newer than the backup's ({older})" in refused.output
        )
        assert f"lbt db downgrade {older}" in refused.output and "lbt db upgrade" in refused.output
        assert rows(app) == before

        # doing what the message says works
        assert run(app, "db", "downgrade", older).exit_code == 0
        restored = run(app, "restore", str(archive), "--yes")
        assert restored.exit_code == 0, restored.output
        assert "run `lbt db upgrade` before starting the app" in restored.output
        assert run(app, "db", "upgrade").exit_code == 0


def test_a_backup_of_a_database_without_schema_is_refused_and_writes_no_file(tmp_path):
    with instance_app(tmp_path) as app:
        out = tmp_path / "empty.backup"
        result = run(app, "backup", "--out", str(out))
        assert result.exit_code != 0
        assert "no backup written" in result.output and "schema" in result.output
        assert not out.exists()
        assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".lbt-backup")] == []


def test_a_backup_into_a_missing_folder_is_refused(backed, tmp_path):
    result = run(backed.app, "backup", "--out", str(tmp_path / "no" / "such" / "folder" / "b"))
    assert result.exit_code != 0 and "does not exist" in result.output


def test_a_restore_while_the_app_holds_the_database_gives_up_and_changes_nothing(backed, monkeypatch):
    """A writer of the app's (SQLite) or a reader's lock (PostgreSQL) that does not go away in time."""
    monkeypatch.setattr(backup_sqlite, "BUSY_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(backup_postgresql, "LOCK_TIMEOUT_SECONDS", 1)
    engine = backed.app.extensions["lbt"].database.engine
    with engine.connect() as connection:
        connection.begin()  # on SQLite: BEGIN IMMEDIATE, the write lock (lbt.core.db.make_engine)
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("UPDATE states SET name_en = name_en")
        else:
            connection.exec_driver_sql("SELECT count(*) FROM users")  # a share lock until it ends
        result = run(backed.app, "restore", str(backed.archive), "--yes")
        connection.rollback()
    assert result.exit_code != 0, result.output
    assert "in use" in result.output and "nothing was changed" in result.output
    assert rows(backed.app) == backed.rows and instance_files(backed.app) == backed.files
