"""The package as it is deployed: a built wheel carries templates, static files, migrations and
catalogs; gunicorn serves `lbt:create_app()` with several workers."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from lbt.core.db import make_engine
from lbt.core.migrate import upgrade
from tests.dbutil import temporary_database
from tests.fixtures.gunicorn import gunicorn

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return next(out.glob("lbt-*.whl"))


def test_the_wheel_carries_templates_static_files_migrations_and_catalogs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "lbt/templates/base.html",
        "lbt/static/css/lbt.css",
        "lbt/migrations/env.py",
        "lbt/migrations/versions/20261122_0001_initial_schema.py",
        "lbt/translations/ru/LC_MESSAGES/messages.mo",
        "lbt/translations/tg/LC_MESSAGES/messages.mo",
    ):
        assert required in names


def test_an_app_from_the_unpacked_wheel_finds_its_files_and_migrates(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import lbt, lbt.core.resources, sys; from lbt.core.migrate import upgrade;"
        "app = lbt.create_app(); assert lbt.core.resources.resource_dir('templates').is_relative_to(sys.argv[1]);"
        "upgrade(app.extensions['lbt'].database.engine);"
        "client = app.test_client(); r = client.get('/login'); assert r.status_code == 200, r.status_code;"
        "assert client.get('/static/css/lbt.css').status_code == 200; print('ok')"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "LBT_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("LBT_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script, str(site)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_gunicorn_serves_the_app_with_several_workers(tmp_path):
    with temporary_database(tmp_path, "lbt_gunicorn") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        environment = {
            "LBT_DATABASE_URL": url,
            "LBT_INSTANCE_PATH": str(tmp_path / "instance"),
            "LBT_SECRET_KEY": "g" * 40,
        }
        with gunicorn(tmp_path, environment) as port:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                assert response.read() == b"ok"
            for _ in range(6):  # spread over both workers
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    assert response.status == 200
                    assert b"<h1>" in response.read()
