"""The administrator's exchange page (links made from an uploaded key file, with CSRF, audited) and the
partner-facing endpoints, which need neither a login nor a CSRF token and refuse what is not signed."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.audit.models import AuditEntry
from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.messages import RECEIPT_TYP, verify_with
from lbt.exchange.models import ExchangeLink, ExchangeRefusal
from tests.exchange.helpers import Partner, link_to


def _link_form(client, key_file: bytes, url: str = "https://lbt.kg.example", **extra):
    return client.post(
        "/admin/exchange/links",
        data={
            "csrf_token": client.csrf_token(),
            "agreement": "TJ-KG",
            "partner_url": url,
            "partner_key": (io.BytesIO(key_file), "exchange-key-KG.json"),
            **extra,
        },
        content_type="multipart/form-data",
    )


def test_the_admin_links_an_agreement_from_the_partner_s_key_file(login_as, db, ref):
    partner = Partner("KG", "TJ", "TJ-KG")
    admin = login_as(Role.ADMIN)
    page = admin.get("/admin/exchange")
    assert page.status_code == 200 and "No agreement is linked yet" in page.get_data(as_text=True)

    response = _link_form(admin, partner.key_file())

    assert response.status_code == 302
    link = db.scalars(select(ExchangeLink)).one()
    assert (link.partner_state, link.partner_url, link.partner_kid) == (
        "KG",
        "https://lbt.kg.example",
        partner.key.kid,
    )
    entry = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "exchange_links")).one()
    assert entry.actor_name == "admin" and entry.action == "create"
    page = admin.get("/admin/exchange").get_data(as_text=True)
    assert 'data-agreement="TJ-KG"' in page and "https://lbt.kg.example" in page


def test_a_bad_key_file_or_address_is_refused_with_a_reason_and_nothing_stored(login_as, db, ref):
    admin = login_as(Role.ADMIN)
    partner = Partner("KG", "TJ", "TJ-KG")
    private = json.dumps({"keys": [{**partner.key.public_jwk(), "d": "secret"}]}).encode()

    answers = [
        _link_form(admin, b"not json"),
        _link_form(admin, private),
        _link_form(admin, partner.key_file(), url="http://lbt.kg.example"),
    ]

    assert [answer.status_code for answer in answers] == [400, 400, 400]
    texts = [answer.get_data(as_text=True) for answer in answers]
    assert "not JSON" in texts[0]
    assert "private key" in texts[1]
    assert "must use https://" in texts[2]
    assert db.scalars(select(ExchangeLink)).all() == []


def test_the_link_form_needs_its_csrf_token(login_as, db, ref):
    admin = login_as(Role.ADMIN)
    partner = Partner("KG", "TJ", "TJ-KG")
    response = admin.post(
        "/admin/exchange/links",
        data={
            "agreement": "TJ-KG",
            "partner_url": "https://x.example",
            "partner_key": (io.BytesIO(partner.key_file()), "k.json"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.scalars(select(ExchangeLink)).all() == []


def test_the_inbox_takes_signed_messages_without_a_login_or_csrf_token(app, client, db, clock, ref):
    partner = Partner("KG", "TJ", "TJ-KG")
    own = app.extensions["lbt"].find(ExchangeKeyStore).ensure_key(clock())
    link_to(db, ref.agreement, partner, own_kid=own.kid)
    token = partner.message("exchange.key", {"jwk": partner.key.public_jwk()}, now=clock())

    response = client.post("/exchange/v1/inbox", json={"messages": [token]})

    assert response.status_code == 200
    body = response.get_json()
    assert body["results"][0]["status"] == "applied"
    (receipt,) = body["receipts"]
    claims = verify_with(receipt, own.public_jwk(), RECEIPT_TYP)
    assert (claims["to"], claims["in_seq"], claims["results"][0]["status"]) == ("KG", 1, "applied")


def test_without_its_own_key_the_inbox_answers_503_and_keeps_nothing(client, db, clock, ref):
    partner = Partner("KG", "TJ", "TJ-KG")
    link = link_to(db, ref.agreement, partner, own_kid="missing")
    token = partner.message("exchange.key", {"jwk": partner.key.public_jwk()}, now=clock())

    response = client.post("/exchange/v1/inbox", json={"messages": [token]})

    assert response.status_code == 503 and "exchange key" in response.get_json()["error"]
    db.refresh(link)
    assert link.in_sequence == 0


def test_the_endpoints_refuse_what_is_not_a_signed_message(client, db, ref):
    assert client.post("/exchange/v1/inbox", json={"messages": "x"}).status_code == 400
    assert client.post("/exchange/v1/inbox", data="junk").status_code == 400
    answer = client.post("/exchange/v1/inbox", json={"messages": ["a.b.c"]}).get_json()
    assert answer["results"][0]["status"] == "refused" and answer["receipts"] == []
    fetch = client.post("/exchange/v1/fetch", data=b"a.b.c", content_type="application/jose")
    assert fetch.status_code == 403 and "refused" in fetch.get_json()["error"]
    assert client.post("/exchange/v1/fetch", data=b"").status_code == 400
    assert {row.reason for row in db.scalars(select(ExchangeRefusal))} == {"malformed"}
