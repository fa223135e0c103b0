"""The user's own two-factor page, and the TOTP rules themselves: set it up from the account page with
the QR code (decoded by a real QR reader) or the key typed by hand, new recovery codes, turning it off
where the role allows; codes of the step before, now and after are taken, others not."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.accounts.two_factor import services, totp
from lbt.accounts.two_factor.models import RecoveryCode, TwoFactorSecret
from tests.fixtures import two_factor
from tests.fixtures.factories import make_user
from tests.fixtures.passwords import PASSWORD

CODES_RE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


def _code_now(username: str, clock, offset: int = 0) -> str:  # type: ignore[no-untyped-def]
    return two_factor.code_for(two_factor.secret_for(username), totp.step_at(clock()) + offset)


def _guard_without_two_factor(app, db, ref):  # type: ignore[no-untyped-def]
    make_user(db, "guard2", Role.BORDER_GUARD, two_factor=False, crossing_points=[ref.crossing_point])
    client = app.test_client()
    assert client.login("guard2").headers["Location"] == "/"
    return client


def _raster(svg: str, scale: int = 8) -> Image.Image:
    """The SVG's runs of dark modules drawn as pixels, as a screen shows them."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    image = Image.new("L", (size * scale, size * scale), 255)
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x0, y0, w = int(x), int(y), int(width)
        image.paste(0, (x0 * scale, y0 * scale, (x0 + w) * scale, (y0 + 1) * scale))
    return image


# --- the rules ---------------------------------------------------------------------------------------


def test_codes_of_one_step_before_or_after_are_taken_and_no_further():
    secret, now = totp.new_secret(), datetime(2026, 11, 22, 10, 0, 10, tzinfo=UTC)
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        assert totp.matching_step(secret, totp.code_at_step(secret, step + offset), now) == step + offset
    for offset in (-2, 2):
        assert totp.matching_step(secret, totp.code_at_step(secret, step + offset), now) is None
    assert totp.code_at_step(secret, step) == pyotp.TOTP(secret).at(now)  # RFC 6238, as the apps compute it


def test_a_typed_code_may_have_spaces():
    secret, now = totp.new_secret(), datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    code = totp.code_at_step(secret, totp.step_at(now))
    assert totp.matching_step(secret, f" {code[:3]} {code[3:]} ", now) == totp.step_at(now)
    assert (
        totp.matching_step(secret, "12345", now) is None and totp.matching_step(secret, "abcdef", now) is None
    )


def test_the_qr_code_reads_as_the_otpauth_address():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "officer", "LBT TJ")
    assert uri == "otpauth://totp/LBT%20TJ:officer?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=LBT%20TJ"
    svg = totp.qr_svg(uri, 'QR "code" <x>')
    assert "style" not in svg and 'aria-label="QR &quot;code&quot; &lt;x&gt;"' in svg
    [found] = zxingcpp.read_barcodes(_raster(svg), formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text == uri


# --- the account page --------------------------------------------------------------------------------


def test_a_guard_turns_it_on_from_the_account_page_and_is_asked_for_a_code_from_then_on(app, db, ref, clock):
    client = _guard_without_two_factor(app, db, ref)
    page = client.get("/account/two-factor")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set up two-factor login" in text
    secret = two_factor.secret_on_page(text)
    [found] = zxingcpp.read_barcodes(_raster(re.search(r"<svg.*?</svg>", text).group(0)))  # type: ignore[union-attr]
    assert f"secret={secret}" in found.text
    done = client.submit("/account/two-factor", {"code": two_factor.code_for(secret, totp.step_at(clock()))})
    assert done.status_code == 200
    assert len(CODES_RE.findall(done.get_data(as_text=True))) == 10
    assert db.scalar(select(func.count()).select_from(RecoveryCode)) == 10
    client.submit("/logout")
    assert (
        client.submit("/login", {"username": "guard2", "password": PASSWORD}).headers["Location"]
        == "/login/two-factor"
    )


def test_a_wrong_first_code_turns_nothing_on(app, db, ref, clock):
    client = _guard_without_two_factor(app, db, ref)
    secret = two_factor.secret_on_page(client.get("/account/two-factor").get_data(as_text=True))
    wrong = next(
        code for code in ("000000", "111111", "222222") if totp.matching_step(secret, code, clock()) is None
    )
    response = client.submit("/account/two-factor", {"code": wrong})
    assert response.status_code == 400 and "This code is wrong." in response.get_data(as_text=True)
    assert client.submit("/account/two-factor", {"code": "12ab56"}).status_code == 400
    assert db.scalar(select(func.count()).select_from(TwoFactorSecret)) == 0


def test_enrolment_needs_its_csrf_token(app, db, ref, clock):
    client = _guard_without_two_factor(app, db, ref)
    secret = two_factor.secret_on_page(client.get("/account/two-factor").get_data(as_text=True))
    code = two_factor.code_for(secret, totp.step_at(clock()))
    assert client.post("/account/two-factor", data={"code": code}).status_code == 400
    assert db.scalar(select(func.count()).select_from(TwoFactorSecret)) == 0


def test_new_recovery_codes_replace_the_old_ones(app, login_as, users, db, clock):
    client = login_as(Role.OFFICER)
    old = services.new_recovery_codes(
        db,
        users[Role.OFFICER],
        _code_now("officer", clock, 1),
        attempt=services.Attempt("ip:x", 5, 15),
        now=clock(),
    )
    clock.advance(seconds=90)
    response = client.submit(
        "/account/two-factor/recovery-codes", {"renew-code": _code_now("officer", clock)}
    )
    new = CODES_RE.findall(response.get_data(as_text=True))
    assert response.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    other = app.test_client()
    other.submit("/login", {"username": "officer", "password": PASSWORD})
    assert other.submit("/login/two-factor", {"code": old[0]}).status_code == 401
    assert other.submit("/login/two-factor", {"code": new[0]}).status_code == 302


def test_new_recovery_codes_need_a_right_unused_code(login_as, users, db, clock):
    client = login_as(Role.OFFICER)  # the helper used a code of this step
    used = two_factor.code_for(two_factor.secret_for("officer"), two_factor.last_used_step(db, "officer"))
    response = client.submit("/account/two-factor/recovery-codes", {"renew-code": used})
    assert response.status_code == 400 and "This code was used already." in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(RecoveryCode)) == 0


def test_a_required_role_cannot_turn_it_off(login_as, users, clock, db):
    client = login_as(Role.OFFICER)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Turn off two-factor login" not in page and "Your role must log in with two factors" in page
    response = client.submit("/account/two-factor/off", {"off-code": _code_now("officer", clock, 1)})
    assert response.status_code == 302
    assert "it cannot be turned off" in client.get("/account/two-factor").get_data(as_text=True)
    assert services.secret_of(db, users[Role.OFFICER]) is not None


def test_an_optional_role_turns_it_off_with_a_code(login_as, users, clock, db, app):
    client = login_as(Role.BORDER_GUARD)
    response = client.submit("/account/two-factor/off", {"off-code": _code_now("guard", clock, 1)})
    assert response.status_code == 302
    assert services.secret_of(db, users[Role.BORDER_GUARD]) is None
    fresh = app.test_client()
    assert fresh.submit("/login", {"username": "guard", "password": PASSWORD}).headers["Location"] == "/"


def test_five_wrong_codes_on_the_account_page_lock_codes_for_a_while(login_as, users, clock, db):
    client = login_as(Role.BORDER_GUARD)
    for _attempt in range(4):
        assert client.submit("/account/two-factor/off", {"off-code": "000000"}).status_code in (400, 302)
    locked = client.submit("/account/two-factor/off", {"off-code": "000000"})
    assert locked.status_code == 302
    assert "Too many wrong codes" in client.get("/account/two-factor").get_data(as_text=True)
    assert (
        client.submit("/account/two-factor/off", {"off-code": _code_now("guard", clock, 1)}).status_code
        == 302
    )
    assert services.secret_of(db, users[Role.BORDER_GUARD]) is not None  # still locked: nothing turned off
