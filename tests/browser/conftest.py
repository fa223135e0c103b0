"""A live `lbt` server on its own migrated database with demo data, and Debian's Chromium driven by
Playwright. Without Chromium the browser tests skip, unless LBT_REQUIRE_BROWSER=1 makes them fail."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lbt import create_app
from lbt.core.migrate import upgrade
from lbt.core.settings import Settings
from lbt.demo.reference import load_demo, read_demo_accounts
from tests.dbutil import temporary_database

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def find_chromium() -> str | None:
    explicit = os.environ.get("LBT_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("LBT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required (LBT_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class LiveServer:
    url: str
    accounts: dict[str, str]  # username -> password
    instance_path: Path
    database_url: str


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("live")
    with temporary_database(directory, "lbt_browser") as url:
        settings = Settings(
            instance_path=directory / "instance",
            database_url=url,
            secret_key="b" * 40,
            public_url="http://127.0.0.1",
        )
        app = create_app(settings)
        state = app.extensions["lbt"]
        upgrade(state.database.engine)
        with state.database.transaction() as session:
            load_demo(session, settings.instance_path, now=state.clock())
        accounts = {name: password for name, password, _ in read_demo_accounts(settings.instance_path)}
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield LiveServer(f"http://127.0.0.1:{server.server_port}", accounts, settings.instance_path, url)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            state.database.dispose()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    executable = find_chromium()
    if executable is None:
        _unavailable("no Chromium was found (install Debian's chromium, or set LBT_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception as error:
        playwright.stop()
        _unavailable(f"Chromium did not start: {error}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")  # a phone
    page = context.new_page()
    page.set_default_timeout(15000)
    page.csp_violations = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and page.csp_violations.append(message.text)
        ),
    )
    yield page
    context.close()


def log_in(page, live_server: LiveServer, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(live_server.accounts[username])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
