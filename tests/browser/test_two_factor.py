"""Two-factor login in a real browser on a phone-sized page: an officer without it is taken to set it
up right after the password, scans the QR code (decoded here by zxing-cpp from the page as drawn),
types the app's first code, keeps the recovery codes, and from then on logs in with a code, or once
with a recovery code."""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime

import pyotp
import pytest
import zxingcpp
from PIL import Image

from lbt.accounts.models import Role
from lbt.accounts.services import Scope, UserData, create_user
from lbt.accounts.two_factor import totp
from lbt.demo.sides import AGREEMENT_CODE
from tests.fixtures.browser import LiveServer, totp_code

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390  # the page fixture's viewport


def _new_officer(live_server: LiveServer) -> tuple[str, str]:
    username, password = f"officer.{secrets.token_hex(3)}", secrets.token_urlsafe(18)
    with live_server.state.database.transaction() as session:
        scope = Scope.parse([f"agreement:{AGREEMENT_CODE}"])
        data = UserData(username=username, role=Role.OFFICER, scope=scope)
        create_user(session, data, password, now=live_server.state.clock())
    live_server.accounts[username] = password
    return username, password


def _password(page, live_server: LiveServer, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(live_server.accounts[username])
    page.get_by_role("button", name="Log in").click()


def _fits_the_phone(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, page.url


def _qr_texts(screenshot: bytes) -> set[str]:
    """The texts of the QR codes in a screenshot: zxing-cpp, asked for every format, once read a
    second symbol in the QR code's own modules (a flaky unpacking in CI), and may read one twice."""
    image = Image.open(io.BytesIO(screenshot))
    return {found.text for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)}


def _log_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")


def test_an_officer_sets_up_two_factor_login_on_a_phone_and_logs_in_with_codes(page, live_server):
    username, _password_given = _new_officer(live_server)
    _password(page, live_server, username)
    page.wait_for_url(f"{live_server.url}/login/two-factor/enrol")
    assert page.get_by_role("heading", level=1).inner_text() == "Set up two-factor login"
    _fits_the_phone(page)

    # the QR code as the phone's camera sees it: decoded from a screenshot of the page
    qr = page.get_by_role("img", name="QR code to add your account to an authenticator app")
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 150 and box["x"] + box["width"] <= PHONE_WIDTH
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    key = page.locator("code.secret").inner_text().replace(" ", "")
    assert decoded.text.startswith(f"otpauth://totp/LBT%20TJ:{username}?secret={key}")
    live_server.two_factor[username] = key

    # a wrong first code is refused; the app's code turns it on
    wrong = next(
        code for code in ("000000", "111111") if totp.matching_step(key, code, datetime.now(UTC)) is None
    )
    page.get_by_label("Code from the app").fill(wrong)
    page.get_by_role("button", name="Turn on two-factor login").click()
    assert "This code is wrong." in page.get_by_role("alert").last.inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on two-factor login").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your recovery codes"
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(len(code) == 11 for code in codes)
    _fits_the_phone(page)
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Officer"
    _log_out(page)

    # from now on: the password, then the app's code (a later one: each is taken once)
    _password(page, live_server, username)
    page.wait_for_url(f"{live_server.url}/login/two-factor")
    _fits_the_phone(page)
    page.get_by_label("Code").fill(totp_code(live_server, username))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    _log_out(page)

    # or once with a recovery code, typed as read off paper
    _password(page, live_server, username)
    page.wait_for_url(f"{live_server.url}/login/two-factor")
    page.get_by_label("Code").fill(codes[0].upper().replace("-", " "))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "9 are left" in page.get_by_role("status").first.inner_text()
    assert page.csp_violations == []


def test_the_qr_code_names_the_key_shown_for_typing_in(page, live_server):
    """What the app reads from the QR code and the key typed by hand are the same account."""
    username, _ = _new_officer(live_server)
    _password(page, live_server, username)
    page.wait_for_url(f"{live_server.url}/login/two-factor/enrol")
    key = page.locator("code.secret").inner_text().replace(" ", "")
    assert len(key) == totp.SECRET_BYTES * 8 // 5
    qr = page.get_by_role("img", name="QR code to add your account to an authenticator app")
    [decoded] = _qr_texts(qr.screenshot())
    assert f"secret={key}" in decoded and "issuer=LBT%20TJ" in decoded
