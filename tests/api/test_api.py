"""The JSON API for crossing-point devices, with bearer tokens."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.api.services import create_token
from lbt.crossings.models import Crossing
from lbt.permits import services as permits
from lbt.permits.signing import REVOCATION_LIST_TYP, verify
from tests.crossings import sending

permit, guard_token = sending.permit, sending.guard_token  # the shared fixtures, by name
bearer = sending.bearer


def test_a_valid_permit_gets_green_with_what_the_guard_compares(client, permit, guard_token):
    response = client.post(
        "/api/v1/verify", json={"token": f"http://localhost/v#{permit.token}"}, headers=bearer(guard_token)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["verdict"] == "pass"
    assert body["permit"]["number"] == permit.number
    assert body["permit"]["surname"] == {"national": "Раҳимов", "latin": "RAHIMOV"}
    assert body["stay"]["inside"] is False and body["stay"]["days_allowed"] == 90


def test_one_changed_character_gets_signature_invalid(client, permit, guard_token):
    header, payload, signature = permit.token.split(".")
    changed = payload[:20] + ("A" if payload[20] != "A" else "B") + payload[21:]
    body = client.post(
        "/api/v1/verify", json={"token": f"{header}.{changed}.{signature}"}, headers=bearer(guard_token)
    ).get_json()
    assert body["verdict"] == "refuse"
    assert body["reasons"][0]["code"] == "signature_invalid"
    assert "permit" not in body


def test_a_revoked_permit_gets_red(client, db, permit, guard_token, users, clock):
    permits.revoke(db, permit, officer=users[Role.OFFICER], reason="Fraud.", now=clock())
    db.flush()
    body = client.post("/api/v1/verify", json={"token": permit.token}, headers=bearer(guard_token)).get_json()
    assert body["verdict"] == "refuse" and body["reasons"][0]["code"] == "revoked"


def test_the_same_crossing_sent_twice_is_stored_once(client, db, permit, guard_token, ref):
    item = {
        "id": str(uuid.uuid4()),
        "permit_number": permit.number,
        "crossing_point": ref.crossing_point.code,
        "direction": "entry",
        "at": "2026-11-22T09:30:00+05:00",
    }
    first = client.post("/api/v1/crossings", json=[item], headers=bearer(guard_token)).get_json()["results"]
    again = client.post(
        "/api/v1/crossings", json={"crossings": [item]}, headers=bearer(guard_token)
    ).get_json()["results"]
    assert first[0]["status"] == "stored" and again[0]["status"] == "duplicate"
    assert db.scalar(select(func.count()).select_from(Crossing)) == 1
    conflicting = {**item, "direction": "exit"}
    assert (
        client.post("/api/v1/crossings", json=[conflicting], headers=bearer(guard_token)).get_json()[
            "results"
        ][0]["status"]
        == "conflict"
    )


def test_bad_items_get_their_own_reason_and_the_good_ones_are_stored(client, db, permit, guard_token, ref):
    good = {
        "id": str(uuid.uuid4()),
        "permit_number": permit.number,
        "crossing_point": ref.crossing_point.code,
        "direction": "entry",
        "at": "2026-11-22T09:30:00Z",
    }
    bad = [
        {"id": "x"},
        {**good, "id": str(uuid.uuid4()), "at": "yesterday"},
        {**good, "id": "not-a-uuid"},
        "text",
    ]
    results = client.post("/api/v1/crossings", json=[*bad, good], headers=bearer(guard_token)).get_json()[
        "results"
    ]
    assert [r["status"] for r in results] == ["invalid", "invalid", "invalid", "invalid", "stored"]
    assert db.scalar(select(func.count()).select_from(Crossing)) == 1


def test_malformed_requests_get_400_with_a_reason(client, guard_token):
    assert client.post("/api/v1/verify", data="nonsense", headers=bearer(guard_token)).status_code == 400
    response = client.post("/api/v1/crossings", json=[], headers=bearer(guard_token))
    assert response.status_code == 400 and response.get_json()["error"]


def test_without_a_valid_token_the_api_answers_401_and_other_roles_403(client, db, users, clock, permit):
    assert client.post("/api/v1/verify", json={"token": permit.token}).status_code in (400, 401)
    assert (
        client.post("/api/v1/verify", json={"token": permit.token}, headers=bearer("lbt_wrong")).status_code
        == 401
    )
    officer = create_token(db, users[Role.OFFICER], name="x", now=clock())[1]
    assert (
        client.post("/api/v1/verify", json={"token": permit.token}, headers=bearer(officer)).status_code
        == 403
    )


def test_a_logged_in_browser_session_still_needs_its_csrf_token(login_as, permit):
    guard = login_as(Role.BORDER_GUARD)
    assert guard.post("/api/v1/verify", json={"token": permit.token}).status_code == 400
    token = guard.csrf_token()
    assert (
        guard.post("/api/v1/verify", json={"token": permit.token}, headers={"X-CSRFToken": token}).status_code
        == 200
    )


def test_a_revoked_token_stops_working(client, db, users, clock, permit):
    from lbt.api.models import ApiToken
    from lbt.api.services import revoke_token

    token, plain = create_token(db, users[Role.BORDER_GUARD], name="lost tablet", now=clock())
    revoke_token(db, token, clock())
    db.flush()
    assert (
        client.post("/api/v1/verify", json={"token": permit.token}, headers=bearer(plain)).status_code == 401
    )
    assert db.get(ApiToken, token.id).token_hash not in plain


def test_the_revocation_list_is_signed_and_lists_withdrawn_permits(
    client, db, permit, guard_token, users, clock
):
    permits.suspend(db, permit, officer=users[Role.OFFICER], reason="Check.", now=clock())
    db.flush()
    body = client.get("/api/v1/revocations", headers=bearer(guard_token)).get_json()
    jwks = client.get("/.well-known/jwks.json").get_json()
    claims = verify(body["token"], jwks, REVOCATION_LIST_TYP)
    assert claims["suspended"] == [permit.number] and claims["revoked"] == []
