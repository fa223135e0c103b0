"""The address cards and mails name (LBT_PUBLIC_URL): ``lbt serve`` names the address it serves when
none is set, and says so when the one set names another address."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pyotp
import pypdfium2
import zxingcpp

from lbt.accounts.models import Role
from lbt.cli.core import served_settings
from lbt.core.settings import Settings
from lbt.demo.reference import read_demo_logins
from tests.fixtures.gunicorn import free_port

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


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page
    )
    assert match, "the page carries a CSRF token"
    return match.group(1)


def test_a_card_printed_under_lbt_serve_on_another_port_names_that_port_in_its_qr(tmp_path):
    """``lbt serve --demo --port N`` (a real process, real HTTP): the officer prints a demo permit's
    card, and the QR decoded from the printed card opens /v on port N, not 5000."""
    port = free_port()
    instance = tmp_path / "instance"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LBT_")}
    environment["LBT_INSTANCE_PATH"] = str(instance)
    server = subprocess.Popen(
        [sys.executable, "-c", "from lbt.cli import main; main()", "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # migrations and the demo data first
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310 (http://127.0.0.1)
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "lbt serve did not start"
                time.sleep(0.5)
        officer = next(row for row in read_demo_logins(instance) if row.role == Role.OFFICER.value)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        login_page = opener.open(f"{base}/login").read().decode()
        form = {"csrf_token": _csrf(login_page), "username": officer.username, "password": officer.password}
        code_page = opener.open(f"{base}/login", urllib.parse.urlencode(form).encode()).read().decode()
        # the second step, with the code the printed key gives (as the README says, without a phone)
        second = {"csrf_token": _csrf(code_page), "code": pyotp.TOTP(officer.totp_secret).now()}
        opener.open(f"{base}/login/two-factor", urllib.parse.urlencode(second).encode()).read()
        permits_page = opener.open(f"{base}/permits/").read().decode()
        pdf = b""
        for permit_id in dict.fromkeys(re.findall(r'href="/permits/(\d+)"', permits_page)):
            with opener.open(f"{base}/permits/{permit_id}/card.pdf") as response:
                if response.headers["Content-Type"] == "application/pdf":  # a valid permit's card
                    pdf = response.read()
                    break
        assert pdf, "the demo officer can print a demo permit's card"
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    document = pypdfium2.PdfDocument(pdf)
    try:
        back = document[1].render(scale=4).to_pil().convert("L")
    finally:
        document.close()
    [qr] = zxingcpp.read_barcodes(back, formats=zxingcpp.BarcodeFormat.QRCode)
    assert qr.text.startswith(f"{base}/v#"), qr.text
    assert f"point at {base}/" in output
