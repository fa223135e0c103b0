"""The address cards and mails name (LBT_PUBLIC_URL): ``lbt serve`` names the address it serves when
none is set, and says so when the one set names another address."""

from __future__ import annotations

from pathlib import Path

from lbt.accounts.models import Role
from lbt.cli.core import served_settings
from lbt.core.settings import Settings

SECRET = {"LBT_SECRET_KEY": "s" * 40}


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(tmp_path, {**SECRET, "LBT_INSTANCE_PATH": str(tmp_path), **env})


def test_serve_without_a_public_url_names_the_port_it_serves(tmp_path):
    served, warning = served_settings(_settings(tmp_path), "127.0.0.1", 5101, SECRET)
    assert served.public_url == "http://127.0.0.1:5101"
    assert warning is None


def test_serve_on_every_interface_names_the_loopback_and_warns(tmp_path):
    served, warning = served_settings(_settings(tmp_path), "0.0.0.0", 8080, SECRET)  # noqa: S104
    assert served.public_url == "http://127.0.0.1:8080"
    assert warning is not None and "LBT_PUBLIC_URL" in warning


def test_serve_on_an_ipv6_address_brackets_it(tmp_path):
    served, _ = served_settings(_settings(tmp_path), "::1", 5101, SECRET)
    assert served.public_url == "http://[::1]:5101"


def test_a_public_url_that_is_set_is_kept_and_a_different_one_warned_about(tmp_path):
    env = {**SECRET, "LBT_PUBLIC_URL": "https://lbt.border.example"}
    served, warning = served_settings(_settings(tmp_path, **env), "127.0.0.1", 5101, env)
    assert served.public_url == "https://lbt.border.example"
    assert warning is not None
    assert "https://lbt.border.example" in warning and "http://127.0.0.1:5101" in warning


def test_a_public_url_naming_the_served_address_gives_no_warning(tmp_path):
    env = {**SECRET, "LBT_PUBLIC_URL": "http://127.0.0.1:5101/"}
    served, warning = served_settings(_settings(tmp_path, **env), "127.0.0.1", 5101, env)
    assert served.public_url == "http://127.0.0.1:5101"
    assert warning is None


def test_admin_home_warns_when_the_public_url_names_another_address(app, login_as, monkeypatch):
    state = app.extensions["lbt"]
    monkeypatch.setattr(state, "settings", state.settings.with_changes(public_url="http://127.0.0.1:5000"))
    client = login_as(Role.ADMIN)  # the test client asks for http://localhost/
    page = client.get("/").get_data(as_text=True)
    assert 'id="public-url-warning"' in page
    assert "http://127.0.0.1:5000" in page and "http://localhost" in page


def test_admin_home_has_no_warning_when_opened_at_the_public_url(login_as):
    client = login_as(Role.ADMIN)  # the test settings' public URL is http://localhost
    page = client.get("/").get_data(as_text=True)
    assert "<h1>" in page
    assert 'id="public-url-warning"' not in page


def test_other_homes_never_show_the_warning(app, login_as, monkeypatch):
    state = app.extensions["lbt"]
    monkeypatch.setattr(state, "settings", state.settings.with_changes(public_url="http://127.0.0.1:5000"))
    client = login_as(Role.OFFICER)
    page = client.get("/").get_data(as_text=True)
    assert "<h1>" in page
    assert 'id="public-url-warning"' not in page
