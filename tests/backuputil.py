"""Helpers of the backup tests: an instance of its own (a real, migrated database and instance folder),
the `lbt` command against it, and what an instance holds (every row of every table, every file)."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import MetaData, select

from lbt import create_app
from lbt.cli import main
from lbt.core.settings import Settings, load_or_create_secret_key
from tests.dbutil import temporary_database


@contextmanager
def instance_app(directory: Path, label: str = "lbt_backup") -> Iterator[Flask]:
    """An app on an empty database and instance folder of its own."""
    with temporary_database(directory, label) as url:
        instance = directory / "instance"
        # the session key kept in the instance folder, as without LBT_SECRET_KEY
        secret_key = load_or_create_secret_key(instance)
        settings = Settings(instance_path=instance, database_url=url, secret_key=secret_key, testing=True)
        app = create_app(settings)
        try:
            yield app
        finally:
            app.extensions["lbt"].database.dispose()


def run(app: Flask, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def rows(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the database holds (read from the database, not the models), in
    primary-key order."""
    found = {}
    database = app.extensions["lbt"].database
    tables = MetaData()
    tables.reflect(database.engine)
    with database.transaction() as session:
        for table in sorted(tables.tables.values(), key=lambda table: table.name):
            order = list(table.primary_key.columns) or list(table.columns)
            found[table.name] = [tuple(row) for row in session.execute(select(table).order_by(*order))]
    return found


def files(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` but the hidden ones (locks), by relative path."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def instance_files(app: Flask) -> dict[str, dict[str, bytes]]:
    instance = app.extensions["lbt"].settings.instance_path
    return {
        **{folder: files(instance / folder) for folder in ("keys", "uploads", "exchange-keys", "jobs")},
        "secret_key": {"": (instance / "secret_key").read_bytes()},
    }


def rewrite(
    archive: Path,
    out: Path,
    change: Callable[[str, bytes], bytes | None],
    extra: dict[str, bytes] | None = None,
) -> Path:
    """A copy of ``archive`` with each member's bytes passed through ``change`` (None drops it), plus
    ``extra`` members before the manifest: how a tampered archive is made."""
    members: list[tuple[str, bytes]] = []
    with tarfile.open(archive, "r:gz") as tar:
        for info in tar:
            handle = tar.extractfile(info)
            assert handle is not None
            members.append((info.name, handle.read()))
    manifest = [item for item in members if item[0] == "manifest.json"]
    others = [item for item in members if item[0] != "manifest.json"]
    with tarfile.open(out, "w:gz") as tar:
        for name, data in [*others, *(extra or {}).items(), *manifest]:
            changed = change(name, data)
            if changed is None:
                continue
            info = tarfile.TarInfo(name)
            info.size = len(changed)
            tar.addfile(info, io.BytesIO(changed))
    return out


def manifest_of(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        return dict(json.loads(handle.read()))
