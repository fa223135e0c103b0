"""Anyone who scans a permit card's QR lands on /v: the browser checks the signature itself."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lbt.permits.signing import PERMIT_TYP, KeyStore, PermitClaims, qr_url, sign

pytestmark = pytest.mark.browser


@pytest.fixture
def token(live_server) -> str:  # type: ignore[no-untyped-def]
    key = KeyStore(live_server.instance_path / "keys").active_key()
    claims = PermitClaims(
        permit_number="TJ-2026-000042-7",
        surname="RAHIMOV",
        given_names="FARRUKH",
        birth_date=date(1985, 4, 12),
        document_number="A1234567",
        issuing_state="TJ",
        agreement_code="TJ-KG-LBT",
        valid_from=date(2026, 1, 1),
        valid_until=date(2099, 12, 31),
        max_stay_days=30,
        issued_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return sign(claims.to_payload(), key, PERMIT_TYP)


def result(page) -> str:  # type: ignore[no-untyped-def]
    locator = page.locator("#check-result")
    locator.filter(has_not_text="Checking").wait_for()
    return locator.inner_text()


def test_a_genuine_card_is_shown_as_genuine_with_its_dates(page, live_server, token):
    page.goto(qr_url(live_server.url, token))
    assert result(page).startswith("Genuine")
    assert page.locator('[data-claim="pn"]').inner_text() == "TJ-2026-000042-7"
    assert (
        page.locator('[data-claim="vu"]').inner_text() == "31/12/2099"
    )  # as the page language writes a date, not ISO
    assert page.csp_violations == []


def test_one_changed_character_in_the_payload_is_not_genuine(page, live_server, token):
    header, payload, signature = token.split(".")
    changed = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    page.goto(qr_url(live_server.url, f"{header}.{changed}.{signature}"))
    assert result(page).startswith("Not genuine")
    assert page.locator("#check-claims").is_hidden()


def test_something_else_is_not_taken_for_a_permit(page, live_server):
    page.goto(f"{live_server.url}/v#hello-world")
    assert result(page) == "This is not an LBT permit code."
    page.goto(f"{live_server.url}/v")
    assert result(page).startswith("Scan the QR code")


def test_a_withdrawn_permit_is_genuine_but_withdrawn_and_a_valid_one_is_not(page, live_server):
    """The public status list (hashes of withdrawn permits' signatures) lets /v say so without the server
    learning which permit was checked."""
    from sqlalchemy import select

    from lbt.accounts.models import User
    from lbt.permits import services as permits
    from lbt.permits.models import Permit
    from tests.browser.test_verify_page import Holder, issue_permit

    holder = Holder("Осмонов", "Эрлан", "OSMONOV", "ERLAN", date(1980, 5, 1))
    revoked_number, revoked_token, _ = issue_permit(live_server.state, holder, "AC9990801", card=False)
    other = Holder("Осмонова", "Айгүл", "OSMONOVA", "AIGUL", date(1982, 6, 2))
    _, valid_token, _ = issue_permit(live_server.state, other, "AC9990802", card=False)
    with live_server.state.database.transaction() as session:
        permit = session.scalar(select(Permit).where(Permit.number == revoked_number))
        officer = session.scalar(select(User).where(User.username == "officer"))
        permits.revoke(session, permit, officer=officer, reason="Resale trade.", now=datetime.now(UTC))

    page.goto(qr_url(live_server.url, revoked_token))
    page.locator("#check-result").filter(has_text="revoked").wait_for()
    assert result(page) == "Genuine, but revoked: the permit is no longer valid."
    assert page.locator('[data-claim="iss"]').inner_text() == "Tajikistan (TJ)"

    page.goto(f"{live_server.url}/")
    page.goto(qr_url(live_server.url, valid_token))
    page.locator("#check-validity").filter(has_text="not withdrawn").wait_for()
    assert result(page).startswith("Genuine")
    assert page.locator(
        "[data-area-for='TJ-KG-LBT']"
    ).is_visible()  # where it is valid: the Tajik border area
    page.locator("[data-area-for='TJ-KG-LBT'] summary").click()  # "20 localities" opens the list
    assert "Vorukh" in page.locator("[data-area-for='TJ-KG-LBT']").inner_text()
    assert page.csp_violations == []
