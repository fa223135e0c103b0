"""With the database unreachable (a PostgreSQL port where nothing listens, a SQLite file that cannot be
opened) the app says so instead of failing: the readiness check answers 503 with the reason, pages say
"temporarily unavailable" (503) in the reader's language, the API answers 503 in JSON, and the JWKS is
served from the key store alone, so crossing points can still check permits."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from lbt import create_app
from lbt.accounts.models import Role
from lbt.core.settings import Settings
from lbt.permits.signing import KEYS_FOLDER, KeyStore
from tests.fixtures.clients import Client

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _closed_port() -> int:
    """A local port where nothing listens (bound once by us, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unreachable_url(kind: str, tmp_path: Path) -> str:
    if kind == "postgresql":
        return f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/lbt?connect_timeout=2"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be")
    return f"sqlite:///{blocker / 'lbt.sqlite3'}"


@pytest.fixture(params=["postgresql", "sqlite"])
def broken_app(request: pytest.FixtureRequest, tmp_path: Path, shared_settings: Settings) -> Flask:
    settings = shared_settings.with_changes(
        instance_path=tmp_path / "instance", database_url=_unreachable_url(request.param, tmp_path)
    )
    app = create_app(settings)
    app.test_client_class = Client
    app.extensions["lbt"].clock = lambda: NOW
    return app


def test_the_readiness_check_says_503_naming_the_database(broken_app):
    response = broken_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["database", "migrations"]
    assert response.get_json()["checks"]["database"] == "unavailable (OperationalError)"
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_the_health_check_says_the_process_lives_without_the_database(broken_app):
    response = broken_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_a_page_says_temporarily_unavailable_in_the_readers_language(broken_app):
    client = broken_app.test_client()
    english = client.get("/apply/")
    assert english.status_code == 503
    assert "Temporarily unavailable" in english.get_data(as_text=True)
    assert english.headers["Retry-After"] == "60"
    russian = client.get("/apply/", headers={"Accept-Language": "ru"})
    assert russian.status_code == 503
    assert "Временно недоступно" in russian.get_data(as_text=True)


def test_a_logged_in_users_page_is_503_too(broken_app, app, login_as):
    """Loading the user from the session fails first; the page must not try again while it renders."""
    cookie = login_as(Role.OFFICER).get_cookie("lbt_session")
    assert cookie is not None
    client = broken_app.test_client()
    client.set_cookie("lbt_session", cookie.value)
    response = client.get("/applications/")
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_api_answers_503_in_json(broken_app):
    response = broken_app.test_client().get(
        "/api/v1/revocations", headers={"Authorization": "Bearer lbt_" + "x" * 40}
    )
    assert response.status_code == 503
    assert response.get_json()["status"] == 503


def test_the_jwks_is_served_from_the_key_store_without_the_database(broken_app):
    store = KeyStore(Path(broken_app.instance_path) / KEYS_FOLDER)
    first = store.active_key().kid
    second = store.rotate(NOW).kid  # the first is retired; a permit signed with it may still be valid
    response = broken_app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert [key["kid"] for key in response.get_json()["keys"]] == [second, first]
