"""``/readyz``: 200 with each check named while the app can serve; 503 naming the failing check when
the database is gone, its schema is behind the code, the signing key is missing or the instance folder
takes no files. ``/healthz`` stays 200 meanwhile: the process lives."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import make_url

from lbt import create_app
from lbt.core.db import SQLITE_COMPANIONS, make_engine, sqlite_file
from lbt.core.migrate import downgrade, upgrade
from lbt.core.settings import Settings
from lbt.permits.signing import KEYS_FOLDER
from tests.dbutil import _drop, server_url, temporary_database

CHECKS = ["database", "migrations", "signing_key", "instance_folder"]


@pytest.fixture
def ready_url(tmp_path: Path) -> Iterator[str]:
    with temporary_database(tmp_path, "lbt_ready") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield url


@pytest.fixture
def ready_app(tmp_path: Path, shared_settings: Settings, ready_url: str) -> Iterator[Flask]:
    """An app on a database of its own (not the test's rolled-back connection), migrated to head."""
    settings = shared_settings.with_changes(instance_path=tmp_path / "instance", database_url=ready_url)
    app = create_app(settings)
    yield app
    app.extensions["lbt"].database.dispose()


def readiness(app: Flask) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = app.test_client().get("/readyz")
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def test_ready_names_every_check(ready_app):
    status, body = readiness(ready_app)
    assert status == 200
    assert body == {"status": "ready", "checks": dict.fromkeys(CHECKS, "ok"), "failing": []}


def _stop_the_database(app: Flask, url: str) -> None:
    """PostgreSQL: the database is dropped; SQLite: its file is replaced by a folder (no user, root
    included, can open it as a database)."""
    app.extensions["lbt"].database.dispose()  # no connection kept open from before
    path = sqlite_file(url)
    if path is None:
        parsed = make_url(url)
        _drop(str(parsed.set(database="postgres")), str(parsed.database))
        return
    for name in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        name.unlink(missing_ok=True)
    path.mkdir()


def test_the_database_gone_is_503_naming_it_without_its_address_or_driver_message(ready_app, ready_url):
    _stop_the_database(ready_app, ready_url)
    status, body = readiness(ready_app)
    assert status == 503
    assert body["status"] == "not ready"
    assert body["failing"] == ["database", "migrations"]
    assert body["checks"]["database"] == "unavailable (OperationalError)"
    assert body["checks"]["signing_key"] == "ok" and body["checks"]["instance_folder"] == "ok"
    text = str(body)
    for secret in (
        "127.0.0.1",
        "5432",
        "postgres",
        "sqlite3",
        "psycopg",
        str(make_url(ready_url).database),
    ):
        assert secret not in text
    assert ready_app.test_client().get("/healthz").status_code == 200  # the process still lives


def test_a_schema_behind_the_code_is_503_naming_the_migrations(ready_app, ready_url):
    engine = make_engine(ready_url)
    try:
        downgrade(engine, "-1")
    finally:
        engine.dispose()
    status, body = readiness(ready_app)
    assert status == 503
    assert body["failing"] == ["migrations"]
    assert "the code at" in body["checks"]["migrations"] and "lbt db upgrade" in body["checks"]["migrations"]


def test_a_missing_signing_key_is_503_naming_it(ready_app):
    keys = Path(ready_app.instance_path) / KEYS_FOLDER
    for pem in keys.glob("*.pem"):
        pem.unlink()
    status, body = readiness(ready_app)
    assert status == 503
    assert body["failing"] == ["signing_key"]
    assert body["checks"]["signing_key"] == "no usable permit signing key: run `lbt keys rotate`"


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """The folder takes no new file: mode 0500 for an ordinary user; root ignores modes, so there the
    folder is made immutable (chattr +i, ext4 and most Linux file systems), which binds root too."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    assert chattr, "chattr (e2fsprogs) is needed to make a folder read-only for root"
    subprocess.run([chattr, "+i", str(folder)], check=True)
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_a_read_only_instance_folder_is_503_naming_it(ready_app):
    with read_only(Path(ready_app.instance_path)):
        status, body = readiness(ready_app)
    assert status == 503
    assert body["failing"] == ["instance_folder"]
    assert body["checks"]["instance_folder"] == "the instance folder does not take new files"
    assert readiness(ready_app)[0] == 200  # writable again: ready again


def test_the_database_check_runs_on_the_test_database_too(ready_app):
    """Guards the fixture: the app really uses the database the test migrated (not the shared one)."""
    assert server_url() is None or "lbt_ready" in str(ready_app.extensions["lbt"].database.engine.url)
