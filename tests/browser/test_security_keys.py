"""Security keys in a real Chromium with its virtual authenticator (DevTools ``WebAuthn`` domain
through Playwright's CDP session: CTAP2 over USB, user verification, presence simulated): an officer
who logs in with the app's code adds a key on /account/two-factor, logs out, and logs in with the key
alone; the key's counter grows. WebAuthn needs a secure context and a domain name, so this server is
reached at http://localhost:<port> with LBT_PUBLIC_URL saying so (the shared live server's
127.0.0.1 could not offer keys), and a page reached at 127.0.0.1 says why it offers none."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from werkzeug.serving import make_server

from lbt import create_app
from lbt.accounts.models import Role, User
from lbt.accounts.services import Scope, UserData, create_user
from lbt.accounts.two_factor import security_keys, services, totp
from lbt.core.migrate import upgrade
from lbt.core.settings import Settings
from lbt.demo.reference import load_demo
from lbt.demo.sides import AGREEMENT_CODE
from lbt.web.state import AppState
from tests.dbutil import temporary_database

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class KeyServer:
    url: str  # http://localhost:<port>
    port: int
    state: AppState


@pytest.fixture(scope="module")
def key_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyServer]:
    directory = tmp_path_factory.mktemp("keys")
    served: dict[str, Any] = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: served["app"](environ, start), threaded=True)
    port = server.server_port
    with temporary_database(directory, "lbt_keys") as url:
        settings = Settings(
            instance_path=directory / "instance",
            database_url=url,
            secret_key="k" * 40,
            public_url=f"http://localhost:{port}",
        )
        app = create_app(settings)
        state = app.extensions["lbt"]
        upgrade(state.database.engine)
        with state.database.transaction() as session:
            load_demo(session, Path(settings.instance_path), now=state.clock())
        served["app"] = app
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield KeyServer(f"http://localhost:{port}", port, state)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            state.database.dispose()


def _officer(server: KeyServer) -> tuple[str, str, str]:
    """A new officer who set up the app (its secret known here); username, password, secret."""
    username, password, secret = (
        f"officer.{secrets.token_hex(3)}",
        secrets.token_urlsafe(18),
        totp.new_secret(),
    )
    with server.state.database.transaction() as session:
        data = UserData(
            username=username, role=Role.OFFICER, scope=Scope.parse([f"agreement:{AGREEMENT_CODE}"])
        )
        user = create_user(session, data, password, now=server.state.clock())
        services.enrol_known_secret(session, user, secret, now=server.state.clock())
    return username, password, secret


def _password(page, server: KeyServer, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/login/two-factor")


def _virtual_key(page) -> Any:  # type: ignore[no-untyped-def]
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def _sign_count(server: KeyServer, username: str) -> int:
    with server.state.database.transaction() as session:
        user = session.query(User).filter_by(username=username).one()
        [key] = security_keys.keys_of(session, user)
        return key.sign_count


def test_an_officer_adds_a_security_key_and_logs_in_with_it(page, key_server):
    username, password, secret = _officer(key_server)
    _virtual_key(page)
    _password(page, key_server, username, password)
    assert page.get_by_role("button", name="Use a security key").count() == 0  # no key yet
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{key_server.url}/")

    page.goto(f"{key_server.url}/account/two-factor")
    page.get_by_label("Name of the key").fill("Blue key")
    page.get_by_role("button", name="Add this security key").click()
    # the same address again once the key has answered and the form is sent: wait for what it says
    page.get_by_role("status").filter(has_text="The security key “Blue key” was added.").wait_for()
    assert page.get_by_role("button", name="Remove “Blue key”").count() == 1
    registered = _sign_count(key_server, username)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    _password(page, key_server, username, password)
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(f"{key_server.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Officer"
    assert _sign_count(key_server, username) > registered
    assert page.csp_violations == []


def test_where_the_browser_gives_no_security_keys_the_page_says_why_and_codes_work(page, key_server):
    """A browser without WebAuthn, then a page that is not a secure context (both as the page's
    script sees them, set before it runs): a sentence says why, the key's form stays hidden, and the
    app's code logs in."""
    username, password, secret = _officer(key_server)
    page.add_init_script("delete window.PublicKeyCredential;")
    _password(page, key_server, username, password)
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{key_server.url}/")
    page.goto(f"{key_server.url}/account/two-factor")
    status = page.locator("[data-security-key-status]")
    assert status.inner_text() == "This browser cannot use security keys (WebAuthn)."
    assert page.get_by_role("button", name="Add this security key").is_hidden()

    page.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false});")
    page.reload()
    assert "not opened over HTTPS" in page.locator("[data-security-key-status]").inner_text()
    assert page.get_by_role("button", name="Add this security key").is_hidden()
    assert page.csp_violations == []
