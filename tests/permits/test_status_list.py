"""The public status list: hashes of withdrawn permits' signatures, signed, nothing personal."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import jwt
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.permits import services as permits
from lbt.permits.models import Permit
from lbt.permits.signing import keys as signing_keys
from lbt.permits.status_list import STATUS_LIST_TYP, status_list, token_digest
from tests.fixtures.permits import issue_permit


def test_the_digest_is_sha256_of_the_signature_bytes_cut_to_16():
    signature = bytes(range(64))
    token = "aGVhZGVy.cGF5bG9hZA." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    expected = base64.urlsafe_b64encode(hashlib.sha256(signature).digest()[:16]).rstrip(b"=").decode()
    assert token_digest(token) == expected and len(expected) == 22


def test_withdrawn_permits_are_listed_by_hash_only_and_the_list_verifies_with_pyjwt(
    db, make_application, users, clock, issuer, keystore
):
    officer = users[Role.OFFICER]
    kept = issue_permit(db, make_application().application, officer, issuer, clock())
    revoked = issue_permit(
        db, make_application(document_number="B7654321").application, officer, issuer, clock()
    )
    suspended = issue_permit(
        db, make_application(document_number="C1111111").application, officer, issuer, clock()
    )
    moment = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    permits.revoke(db, revoked, officer=officer, reason="Resale trade.", now=moment)
    permits.suspend(db, suspended, officer=officer, reason="Overstay under investigation.", now=moment)

    token = status_list(db, keystore.active_key(), issuer="TJ", now=moment)
    key = jwt.PyJWKSet.from_dict(signing_keys.jwks(keystore, set())).keys[0]  # as published
    assert jwt.get_unverified_header(token)["typ"] == STATUS_LIST_TYP
    claims = jwt.decode(token, key=key, algorithms=["ES256"], options={"verify_iat": False})
    assert claims["iss"] == "TJ"
    assert claims["withdrawn"] == {
        token_digest(revoked.token): "revoked",
        token_digest(suspended.token): "suspended",
    }
    assert token_digest(kept.token) not in claims["withdrawn"]
    text = str(claims)
    for permit in (revoked, suspended):  # nothing that names the permit or its holder
        assert (
            permit.number not in text
            and permit.surname_latin not in text
            and permit.document_number not in text
        )


def test_the_public_endpoint_follows_a_withdrawal_at_once(
    client, db, make_application, users, clock, issuer, keystore
):
    permit = issue_permit(db, make_application().application, users[Role.OFFICER], issuer, clock())
    before = client.get("/v/status")
    assert before.status_code == 200 and before.headers["Cache-Control"] == "public, max-age=60"
    listed = jwt.decode(before.json["token"], options={"verify_signature": False})["withdrawn"]
    assert token_digest(permit.token) not in listed
    permits.revoke(db, db.scalar(select(Permit)), officer=users[Role.OFFICER], reason="Fraud.", now=clock())
    db.flush()
    after = jwt.decode(client.get("/v/status").json["token"], options={"verify_signature": False})
    assert after["withdrawn"][token_digest(permit.token)] == "revoked"
