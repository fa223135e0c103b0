"""The guard page and the partner's permits: online it keeps the partner states' keys and withdrawn
digests from /v/partners beside this state's keys, so offline a Kyrgyz permit is still "Genuine permit
of Kyrgyzstan" with its dates and its withdrawal, and its exit waits on the device for
/api/v1/partner-crossings when the agreement asks both sides to record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from lbt.exchange.models import ExchangeLink, PartnerCrossing, PartnerSigningKey, PartnerWithdrawal
from lbt.permits.signing import PERMIT_TYP, PermitClaims, SigningKey, new_private_key, sign
from lbt.permits.status_list import token_digest
from lbt.reference.models import Agreement
from tests.browser.test_verify_offline import check_scanned_text, open_ready
from tests.browser.test_verify_page import choose_point
from tests.fixtures.browser import LiveServer, logged_in

pytestmark = pytest.mark.browser


def kg_permit(key: SigningKey, number: str, *, valid_until: date = date(2099, 12, 31)) -> str:
    claims = PermitClaims(
        permit_number=number,
        surname="ASANOV",
        given_names="BAKYT",
        birth_date=date(1980, 5, 5),
        document_number="ID7654321",
        issuing_state="KG",
        agreement_code="TJ-KG-LBT",
        valid_from=date(2026, 1, 1),
        valid_until=valid_until,
        max_stay_days=30,
        issued_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return sign(claims.to_payload(), key, PERMIT_TYP)


@pytest.fixture
def kg_key(live_server: LiveServer) -> Iterator[SigningKey]:
    """A Kyrgyz permit key, as its trust list would have brought it, on an agreement whose both sides
    record (set back afterwards: the live server is shared)."""
    key = SigningKey.of(new_private_key())
    exchange = SigningKey.of(new_private_key())
    with live_server.state.database.transaction() as session:
        agreement = session.scalars(select(Agreement).where(Agreement.code == "TJ-KG-LBT")).one()
        link = session.scalar(select(ExchangeLink).where(ExchangeLink.agreement_id == agreement.id))
        if link is None:
            link = ExchangeLink(
                agreement_id=agreement.id,
                partner_state="KG",
                partner_url="https://lbt.kg.example",
                partner_kid=exchange.kid,
                partner_jwk=exchange.public_jwk(),
                own_kid="own",
                marks={},
            )
            session.add(link)
            session.flush()
        session.add(PartnerSigningKey(link_id=link.id, state="KG", kid=key.kid, jwk=key.public_jwk()))
        recorded_before, agreement.both_sides_record = agreement.both_sides_record, True
    yield key
    with live_server.state.database.transaction() as session:
        agreement = session.scalars(select(Agreement).where(Agreement.code == "TJ-KG-LBT")).one()
        agreement.both_sides_record = recorded_before


def _withdraw(live_server: LiveServer, number: str, token: str) -> None:
    with live_server.state.database.transaction() as session:
        link = session.scalars(select(ExchangeLink)).first()
        session.add(
            PartnerWithdrawal(
                link_id=link.id,
                state="KG",
                permit_number=number,
                status="revoked",
                digest=token_digest(token),
            )
        )


def _recorded(live_server: LiveServer, number: str) -> list[str]:
    with live_server.state.database.transaction() as session:
        return list(
            session.scalars(
                select(PartnerCrossing.direction).where(
                    PartnerCrossing.issuing_state == "KG", PartnerCrossing.permit_number == number
                )
            )
        )


def _reasons(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("#verdict-reasons li").evaluate_all("items => items.map(item => item.dataset.code)")


def _record_exit(page, reason: str | None = None) -> str:  # type: ignore[no-untyped-def]
    if reason is not None:
        page.get_by_label("Why is the holder let through?").fill(reason)
    page.get_by_role("button", name="Record exit").click()
    status = page.locator("#verdict-recorded")
    status.filter(has_not_text="Recording").wait_for()
    return status.inner_text()


def test_a_partner_permit_is_genuine_online_and_offline_and_its_offline_exit_is_sent_once(
    page, live_server, kg_key
):
    online = kg_permit(kg_key, "KG-2026-000201-5")
    offline = kg_permit(kg_key, "KG-2026-000202-3")
    withdrawn = kg_permit(kg_key, "KG-2026-000203-1")
    expired = kg_permit(kg_key, "KG-2026-000204-0", valid_until=datetime.now(UTC).date() - timedelta(days=2))
    _withdraw(live_server, "KG-2026-000203-1", withdrawn)
    logged_in(page, live_server, "guard")
    open_ready(page, f"{live_server.url}/crossings/verify")
    kept = page.evaluate("() => JSON.parse(localStorage.getItem('lbt.crossings.partners'))")
    assert kg_key.kid in [key["kid"] for key in kept["states"]["KG"]["keys"]]

    # online: the server's verdict, and the exit recorded at the partner-crossings address
    choose_point(page, "TJ-KG-01")
    page.locator('input[name="direction"][value="exit"]').check()
    assert check_scanned_text(page, online) == "May pass"
    assert page.locator("#verdict-reasons li").first.inner_text() == "Genuine permit of Kyrgyzstan."
    assert page.locator('[data-fact="number"]').inner_text() == "KG-2026-000201-5"
    assert _record_exit(page) == "Exit recorded."
    assert _recorded(live_server, "KG-2026-000201-5") == ["exit"]

    # offline: the kept partner keys and digests judge it on the device
    page.context.set_offline(True)
    page.reload()
    page.locator('#verify[data-offline-ready="true"]').wait_for(state="attached")
    choose_point(page, "TJ-KG-01")
    page.locator('input[name="direction"][value="exit"]').check()
    assert check_scanned_text(page, offline) == "Check and decide"
    assert _reasons(page) == ["partner_permit", "offline_partner"]
    assert page.locator("#verdict-reasons li").first.inner_text() == "Genuine permit of Kyrgyzstan."
    assert page.locator('[data-fact="validity"]').inner_text() == "01/01/2026 – 31/12/2099"
    assert page.locator("#verify-result").get_attribute("data-offline") == "true"
    assert "kept on this device" in _record_exit(page, "Offline, the card matches the passport.")
    assert page.locator("#offline-waiting").inner_text() == "Crossings waiting to be sent: 1"
    assert _recorded(live_server, "KG-2026-000202-3") == []

    page.get_by_role("button", name="Check the next permit").click()
    assert check_scanned_text(page, withdrawn) == "May not pass"
    assert _reasons(page) == ["partner_permit", "revoked"]
    assert page.get_by_role("button", name="Record exit").is_hidden()
    page.get_by_role("button", name="Check the next permit").click()
    assert check_scanned_text(page, expired) == "May not pass"
    assert _reasons(page) == ["partner_permit", "expired"]
    page.get_by_role("button", name="Check the next permit").click()
    stranger = kg_permit(SigningKey.of(new_private_key()), "KG-2026-000205-8")
    assert check_scanned_text(page, stranger) == "May not pass"
    assert _reasons(page) == ["unknown_key"]

    page.context.set_offline(False)  # the queue goes to /api/v1/partner-crossings
    page.locator('#offline-results li[data-status="stored"]').wait_for()
    assert "KG-2026-000202-3" in page.locator("#offline-results").inner_text()
    page.locator('#offline-status[data-waiting="0"]').wait_for(state="attached")
    assert _recorded(live_server, "KG-2026-000202-3") == ["exit"]
    page.reload()  # nothing is sent twice
    page.locator('#verify[data-offline-ready="true"]').wait_for(state="attached")
    assert _recorded(live_server, "KG-2026-000202-3") == ["exit"]
    assert page.csp_violations == []


def test_offline_a_partner_permit_has_no_record_button_when_only_the_issuer_records(
    page, live_server, kg_key
):
    with live_server.state.database.transaction() as session:
        agreement = session.scalars(select(Agreement).where(Agreement.code == "TJ-KG-LBT")).one()
        agreement.both_sides_record = False
    logged_in(page, live_server, "guard")
    open_ready(page, f"{live_server.url}/crossings/verify")
    page.context.set_offline(True)
    choose_point(page, "TJ-KG-01")
    assert check_scanned_text(page, kg_permit(kg_key, "KG-2026-000206-6")) == "Check and decide"
    assert _reasons(page) == ["partner_permit", "offline_partner"]
    assert page.get_by_role("button", name="Record entry").is_hidden()
    assert page.csp_violations == []
