"""The public check at /v knows the partner state's permits once the exchange carried its trust list:
"genuine, issued by the border service of Kyrgyzstan", and "withdrawn" when its withdrawal came too."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lbt.exchange.models import ExchangeLink, PartnerSigningKey, PartnerWithdrawal
from lbt.permits.signing import PERMIT_TYP, PermitClaims, SigningKey, new_private_key, qr_url, sign
from lbt.permits.status_list import token_digest
from lbt.reference.models import Agreement

pytestmark = pytest.mark.browser


def _kg_permit(key: SigningKey, number: str) -> str:
    claims = PermitClaims(
        permit_number=number,
        surname="ASANOV",
        given_names="BAKYT",
        birth_date=date(1980, 5, 5),
        document_number="ID1234567",
        issuing_state="KG",
        agreement_code="TJ-KG-LBT",
        valid_from=date(2026, 1, 1),
        valid_until=date(2099, 12, 31),
        max_stay_days=30,
        issued_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return sign(claims.to_payload(), key, PERMIT_TYP)


@pytest.fixture
def kg_key(live_server):  # type: ignore[no-untyped-def]
    """The Kyrgyz permit key, as its trust list would have brought it over the link."""
    key = SigningKey.of(new_private_key())
    partner = SigningKey.of(new_private_key())
    with live_server.state.database.transaction() as session:
        agreement = session.scalar(select(Agreement).where(Agreement.code == "TJ-KG-LBT"))
        link = session.scalar(select(ExchangeLink).where(ExchangeLink.agreement_id == agreement.id))
        if link is None:
            link = ExchangeLink(
                agreement_id=agreement.id,
                partner_state="KG",
                partner_url="https://lbt.kg.example",
                partner_kid=partner.kid,
                partner_jwk=partner.public_jwk(),
                own_kid="own",
                marks={},
            )
            session.add(link)
            session.flush()
        session.add(PartnerSigningKey(link_id=link.id, state="KG", kid=key.kid, jwk=key.public_jwk()))
    return key


def _result(page) -> str:  # type: ignore[no-untyped-def]
    locator = page.locator("#check-result")
    locator.filter(has_not_text="Checking").wait_for()
    return locator.inner_text()


def test_a_partner_permit_is_genuine_of_its_state_and_withdrawn_when_the_exchange_said_so(
    page, live_server, kg_key
):
    valid = _kg_permit(kg_key, "KG-2026-000101-1")
    withdrawn = _kg_permit(kg_key, "KG-2026-000102-9")
    with live_server.state.database.transaction() as session:
        link = session.scalar(select(ExchangeLink))
        session.add(
            PartnerWithdrawal(
                link_id=link.id,
                state="KG",
                permit_number="KG-2026-000102-9",
                status="revoked",
                digest=token_digest(withdrawn),
            )
        )

    page.goto(qr_url(live_server.url, valid))
    assert _result(page) == "Genuine: this permit was issued and signed by the border service of Kyrgyzstan."
    assert page.locator('[data-claim="pn"]').inner_text() == "KG-2026-000101-1"

    page.goto(qr_url(live_server.url, withdrawn))
    page.reload()  # the fragment alone changed: load the page again, as a new scan does
    page.locator("#check-result").filter(has_text="revoked").wait_for()
    assert _result(page).startswith("Genuine, but revoked")
    assert page.csp_violations == []


def test_a_permit_of_a_key_nobody_sent_stays_unknown(page, live_server, kg_key):
    stranger = SigningKey.of(new_private_key())
    page.goto(qr_url(live_server.url, _kg_permit(stranger, "KG-2026-000103-7")))
    assert _result(page).startswith("Not genuine: it was signed with a key")
