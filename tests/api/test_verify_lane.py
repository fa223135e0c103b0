"""The verify lane (lbt/api/lane_views.py) answers the device's scan exactly as the view does: the
same status, JSON and headers, for every kind of verdict, in the guard's language; and it leaves to
the view every call it cannot answer so. Each case is asked twice on the same data, once with the
lane's hook in place and once without it (then the view answers), and the lane's own statement is
looked for among those run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask, url_for
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.api.lane_views import ENDPOINT, PATH, VerifyLane, answer_scan
from lbt.api.models import ApiToken
from lbt.api.services import create_token, revoke_token
from lbt.crossings.models import Direction
from lbt.permits.models import Permit
from lbt.permits.services import claims_of, suspend
from lbt.permits.signing import PERMIT_TYP, KeyStore, sign
from tests.crossings import sending
from tests.crossings.test_views import cross
from tests.fixtures.factories import make_user
from tests.perf.counting import statements

permit, guard_token, bearer = sending.permit, sending.guard_token, sending.bearer
LANE_STATEMENT = "FROM api_tokens JOIN users"  # the lane's one read of the token and the permit


@contextmanager
def _without_lane(app: Flask) -> Iterator[None]:
    """The lane turned off: the middleware on PostgreSQL, the hook on SQLite."""
    lane = app.wsgi_app
    if isinstance(lane, VerifyLane):
        lane.enabled = False
        try:
            yield
        finally:
            lane.enabled = True
        return
    hooks = app.before_request_funcs[None]
    at = hooks.index(answer_scan)
    hooks.remove(answer_scan)
    try:
        yield
    finally:
        hooks.insert(at, answer_scan)


def _asked(client, connection, body: Any, headers: dict[str, str]) -> tuple[int, Any, dict[str, str], bool]:  # type: ignore[no-untyped-def]
    with statements(connection) as seen:
        response = client.post("/api/v1/verify", json=body, headers=headers)
    kept = {name: value for name, value in response.headers.items() if name != "X-Request-ID"}
    laned = any(LANE_STATEMENT in " ".join(text.split()) for text, _parameters in seen)
    return response.status_code, response.get_json(), kept, laned


@pytest.fixture
def both(app, client, connection, guard_token, permit):  # type: ignore[no-untyped-def]
    """Ask with the lane, then without it; the first call of the token is made before (its last use
    is written then, by the view)."""
    assert sending.verdict(client, guard_token, permit)["verdict"] == "pass"

    def ask(body: Any, headers: dict[str, str] | None = None, token: str | None = None):  # type: ignore[no-untyped-def]
        sent = {**bearer(token or guard_token), **(headers or {})}
        laned = _asked(client, connection, body, sent)
        with _without_lane(app):
            viewed = _asked(client, connection, body, sent)
        assert not viewed[3]
        assert laned[:3] == viewed[:3]
        return laned

    return ask


def _scan(permit: Permit, direction: str = "entry", **more: Any) -> dict[str, Any]:
    return {"token": permit.token, "crossing_point": "KG-TJ-01", "direction": direction, **more}


def test_a_valid_entry_and_an_exit_without_entry_are_the_views_answers(both, permit):
    status, body, _headers, laned = both(_scan(permit))
    assert (status, body["verdict"], laned) == (200, "pass", True)
    assert body["permit"]["number"] == permit.number and body["stay"]["inside"] is False
    status, body, _headers, laned = both(_scan(permit, "exit"))
    assert (status, laned) == (200, True)
    assert body["reasons"]  # no entry on record


def test_no_crossing_point_named_is_the_guards_only_one(both, permit):
    for body in ({"token": permit.token}, {"token": permit.token, "crossing_point": None}):
        status, answer, _headers, laned = both(body)
        assert (status, answer["verdict"], laned) == (200, "pass", True)


def _later(client, clock, guard_token, permit, **delta: float) -> None:  # type: ignore[no-untyped-def]
    """The clock moved on, and the token's last use written again by a first call (the view's)."""
    clock.advance(**delta)
    sending.verdict(client, guard_token, permit)


def test_the_holder_inside_and_the_stay_counted(both, client, db, permit, ref, users, clock, guard_token):
    cross(db, permit, ref, users, Direction.ENTRY, clock())
    _later(client, clock, guard_token, permit, days=3)
    status, body, _headers, laned = both(_scan(permit))
    assert (status, laned) == (200, True)
    assert "already_inside" in {reason["code"] for reason in body["reasons"]}
    assert body["stay"]["inside"] is True and body["stay"]["current_stay_days"] == 4
    status, body, _headers, laned = both(_scan(permit, "exit"))
    assert (status, body["verdict"], laned) == (200, "pass", True)


def test_a_suspended_permit_is_red_in_the_guards_language(both, db, permit, users, clock):
    suspend(db, permit, officer=users[Role.OFFICER], reason="Checked", now=clock())
    users[Role.BORDER_GUARD].locale = "ru"
    db.flush()
    status, body, _headers, laned = both(_scan(permit))
    assert (status, body["verdict"], laned) == (200, "refuse", True)
    assert body["permit"]["status"] == "suspended"
    assert any("приостановлен" in reason["message"].lower() for reason in body["reasons"])


@pytest.mark.parametrize("language", ["tg", "ky", "uz", "en"])
def test_the_reasons_follow_accept_language(both, db, permit, ref, users, clock, language):
    cross(db, permit, ref, users, Direction.ENTRY, clock())
    status, body, _headers, laned = both(_scan(permit), {"Accept-Language": language})
    assert (status, laned) == (200, True)
    assert body["reasons"]


def test_another_agreements_point_and_a_point_not_allowed(both, db, permit, ref, users):
    guard = users[Role.BORDER_GUARD]
    guard.crossing_points.append(ref.other_crossing_point)
    db.flush()
    status, body, _headers, laned = both(_scan(permit, crossing_point="UZ-TJ-01"))
    assert (status, body["verdict"], laned) == (200, "refuse", True)
    assert "outside_area" in {reason["code"] for reason in body["reasons"]}
    ref.agreement.all_crossing_points = False
    db.flush()
    status, body, _headers, laned = both(_scan(permit))
    assert (status, body["verdict"], laned) == (200, "refuse", True)
    assert "crossing_point" in {reason["code"] for reason in body["reasons"]}
    ref.agreement.allowed_crossing_points.append(ref.crossing_point)
    db.flush()
    status, body, _headers, laned = both(_scan(permit))
    assert (status, body["verdict"], laned) == (200, "pass", True)


def test_a_permit_not_yet_valid_and_one_expired(both, client, db, permit, clock, guard_token):
    permit.valid_from = clock().date() + timedelta(days=2)
    db.flush()
    status, body, _headers, laned = both({"token": permit.token})
    assert "not_yet_valid" in {reason["code"] for reason in body["reasons"]} and laned
    permit.valid_from = date(2026, 11, 22)
    db.flush()
    _later(client, clock, guard_token, permit, days=366)  # valid until 2027-11-21
    status, body, _headers, laned = both({"token": permit.token})
    assert (status, body["verdict"], laned) == (200, "refuse", True)
    assert body["permit"]["status"] == "expired"


def test_a_genuine_code_of_a_permit_not_on_record(both, app, permit):
    key = app.extensions["lbt"].find(KeyStore).active_key()
    payload = {**claims_of(permit).to_payload(), "pn": "TJ-2026-999999-0"}
    status, body, _headers, laned = both({"token": sign(payload, key, PERMIT_TYP)})
    assert (status, body["verdict"], laned) == (200, "refuse", True)
    assert [reason["code"] for reason in body["reasons"]] == ["not_on_record"]
    assert "permit" not in body


@pytest.mark.parametrize(
    ("body", "status", "laned"),
    [
        ({"token": "not a code", "crossing_point": "KG-TJ-01"}, 200, False),  # red: the view says why
        ({"crossing_point": "KG-TJ-01"}, 400, False),  # no scanned text
        ({"token": "permit", "direction": "sideways"}, 400, False),
        ({"token": "permit", "crossing_point": 7}, 400, False),
        ({"token": "permit", "crossing_point": "UZ-TJ-01"}, 400, True),  # read, found not the guard's
        ({"token": "permit", "crossing_point": "KG-TJ-01\u0000"}, 400, False),  # never sent to the database
        ({"token": "permit", "crossing_point": "\ud800"}, 400, False),  # a lone surrogate
        ({"token": "permit", "crossing_point": "K" * 21}, 400, False),  # longer than any code
        (["a list"], 400, False),
    ],
)
def test_what_the_lane_cannot_answer_the_view_answers(both, permit, body, status, laned):
    if isinstance(body, dict) and body.get("token") == "permit":
        body = {**body, "token": permit.token}
    answered = both(body)
    assert (answered[0], answered[3]) == (status, laned)


def test_other_roles_a_due_last_use_and_a_revoked_token_are_the_views(both, db, permit, users, clock):
    officer_token = create_token(db, make_user(db, "officer2", Role.OFFICER), name="desk", now=clock())[1]
    assert both(_scan(permit), token=officer_token)[0] == 403
    clock.advance(minutes=6)  # the token's last use is due to be written: the view answers
    status, body, _headers, _laned = both(_scan(permit))
    assert (status, body["verdict"]) == (200, "pass")
    token = db.scalars(select(ApiToken).where(ApiToken.user_id == users[Role.BORDER_GUARD].id)).one()
    revoke_token(db, token, clock())
    db.flush()
    assert both(_scan(permit))[0] == 401


def test_a_remember_cookie_is_left_to_flask_login(both, client, permit):
    """Flask-Login reads no bearer token beside a remember-me cookie (the app sets none): the view's 401."""
    client.set_cookie("remember_token", "garbage")
    status, _body, _headers, laned = both(_scan(permit))
    assert (status, laned) == (401, False)


def test_options_is_answered_by_flask_without_a_verdict(client, connection, guard_token, permit):
    with statements(connection) as seen:
        response = client.open(
            "/api/v1/verify", method="OPTIONS", json=_scan(permit), headers=bearer(guard_token)
        )
    assert response.status_code == 200 and not response.get_data()
    assert "POST" in response.headers["Allow"]
    assert not any(LANE_STATEMENT in " ".join(text.split()) for text, _parameters in seen)


def test_a_query_string_is_left_to_the_view(client, connection, guard_token, permit):
    with statements(connection) as seen:
        response = client.post("/api/v1/verify?x=1", json=_scan(permit), headers=bearer(guard_token))
    assert response.status_code == 200
    assert not any(LANE_STATEMENT in " ".join(text.split()) for text, _parameters in seen)


def test_the_lane_answers_with_the_same_headers(both, permit):
    _status, _body, headers, laned = both(_scan(permit))
    assert laned
    assert headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in headers and headers["X-Content-Type-Options"] == "nosniff"


def test_the_lane_sits_in_front_of_flask_or_after_the_rate_limiter(app):
    """PostgreSQL: the middleware, right around Flask's own WSGI app (inside a proxy's ProxyFix);
    SQLite: the hook, right after the rate limiter's."""
    names = [getattr(hook, "__name__", "") for hook in app.before_request_funcs[None]]
    if isinstance(app.wsgi_app, VerifyLane):
        assert app.wsgi_app.wsgi_app == app.__class__.wsgi_app.__get__(app) and "answer_scan" not in names
    else:
        assert names.index("answer_scan") == names.index("_check_request_limit") + 1


def test_the_lanes_path_is_the_views(app):
    with app.test_request_context():
        assert url_for(ENDPOINT) == PATH


def _laned_post(app, client, connection, **options: Any) -> tuple[Any, Any, bool]:  # type: ignore[no-untyped-def]
    """One call asked with the lane and without it: both responses, and whether the lane answered."""
    with statements(connection) as seen:
        laned = client.post("/api/v1/verify", **options)
    with _without_lane(app):
        viewed = client.post("/api/v1/verify", **options)
    return laned, viewed, any(LANE_STATEMENT in " ".join(text.split()) for text, _parameters in seen)


def test_over_https_the_lane_adds_hsts_as_the_view_does(app, client, connection, guard_token, permit):
    assert sending.verdict(client, guard_token, permit)["verdict"] == "pass"
    laned, viewed, answered = _laned_post(
        app, client, connection, json=_scan(permit), headers=bearer(guard_token), base_url="https://localhost"
    )
    assert answered and laned.status_code == viewed.status_code == 200
    assert laned.headers["Strict-Transport-Security"] == viewed.headers["Strict-Transport-Security"]
    assert dict(laned.headers.items()).keys() == dict(viewed.headers.items()).keys()


@pytest.mark.parametrize(
    ("content_type", "answered"),
    [
        ("application/json; charset=utf-8", True),
        ("Application/JSON", True),
        ("application/vnd.lbt+json", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
    ],
)
def test_a_json_body_of_any_json_type_is_laned_and_no_other(  # type: ignore[no-untyped-def]
    app, client, connection, guard_token, permit, content_type, answered
):
    assert sending.verdict(client, guard_token, permit)["verdict"] == "pass"
    laned, viewed, was_laned = _laned_post(
        app,
        client,
        connection,
        data=json.dumps(_scan(permit)),
        headers={**bearer(guard_token), "Content-Type": content_type},
    )
    assert was_laned is answered
    assert (laned.status_code, laned.get_json(force=True)) == (
        viewed.status_code,
        viewed.get_json(force=True),
    )


def test_a_sane_request_id_comes_back_from_the_lane(app, client, connection, guard_token, permit):
    assert sending.verdict(client, guard_token, permit)["verdict"] == "pass"
    sent = {**bearer(guard_token), "X-Request-ID": "device-7f3e1c2a-0001"}
    laned, viewed, answered = _laned_post(app, client, connection, json=_scan(permit), headers=sent)
    assert (
        answered and laned.headers["X-Request-ID"] == viewed.headers["X-Request-ID"] == "device-7f3e1c2a-0001"
    )
