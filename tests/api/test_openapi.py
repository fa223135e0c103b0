"""The OpenAPI document (lbt/api/openapi) against the code: it is valid OpenAPI 3.1, it names exactly
the app's JSON routes with their methods, it is what /api/v1/openapi.json serves, and what the live
app answers (every documented status, with real permits, tokens and crossings) validates against it
with schemathesis's own response checks. The fuzzing is in test_openapi_schemathesis.py."""

from __future__ import annotations

import inspect
import re
from datetime import date, timedelta
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from flask import jsonify
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lbt.accounts.models import Role
from lbt.api.limits import MAX_BATCH
from lbt.api.openapi import openapi_document
from lbt.api.services import create_token
from lbt.applications.models import FeeStatus
from lbt.applications.services import approve
from lbt.permits import services as permits
from lbt.permits.services import PermitIssuer
from lbt.permits.signing import KeyStore
from lbt.web.security import public
from tests.crossings import sending

permit, guard_token = sending.permit, sending.guard_token  # the shared fixtures, by name
bearer = sending.bearer

# The JSON API is everything under these prefixes; elsewhere, a route whose view answers JSON is found
# by its source (jsonify, a JSON media type, json.dumps) and must be documented or listed below.
API_PREFIXES = ("/api/", "/.well-known/")
ANSWERS_JSON = re.compile(r"jsonify\(|application/(?:[\w.+-]*\+)?json|json\.dumps\(")
NOT_JSON = {"/api/v1/docs": "the HTML reference page over the document"}
# JSON that is not the API, each with where it is described instead
NOT_THE_API = {
    "/v/status": "the public check page's signed status list (docs/permit-format.md)",
    "/v/partners": "the public check page's partner keys and withdrawals (docs/exchange.md)",
    "/crossings/verify-number": "the guard page's typed number, with the login session (docs/api.md)",
    "/crossings/manifest.webmanifest": "the guard page's web app manifest",
    "/healthz": "monitoring (docs/operations.md)",
    "/readyz": "monitoring (docs/operations.md)",
    "/metrics": "monitoring, Prometheus text (docs/operations.md)",
    "/jobs/<int:job_id>/status": "a page's background job progress, polled by that page",
    "/admin/exchange/key.json": "the partner exchange's key, an administrator's download (docs/exchange.md)",
}
# The partner exchange is another interface, documented on its own in docs/exchange.md: its prefix is
# left out of this document's drift check on purpose.
OTHER_DOCUMENTS = ("/exchange/v1/",)
IGNORED_METHODS = {"HEAD", "OPTIONS"}  # Flask answers them for every route
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema() -> Any:
    return schemathesis.openapi.from_dict(openapi_document())


def conforms(api_schema: Any, method: str, path: str, response: Any, **request: Any) -> Any:
    """Fail unless the answer is documented for this operation: status, content type, required
    headers, and the body against the status's schema. Returns the JSON body."""
    case = api_schema[path][method].Case(**request)
    case.validate_response(response, checks=CHECKS)
    return response.get_json()


def answers_json(view: Any) -> bool:
    try:
        return ANSWERS_JSON.search(inspect.getsource(view)) is not None
    except (OSError, TypeError):  # no source (a lambda typed in a shell, a C function)
        return False


def json_routes(app) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Every JSON route of the app that belongs to this document, with its methods."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(OTHER_DOCUMENTS) or rule.rule in NOT_JSON or rule.rule in NOT_THE_API:
            continue
        if rule.rule.startswith(API_PREFIXES) or answers_json(app.view_functions[rule.endpoint]):
            routes.setdefault(rule.rule, set()).update((rule.methods or set()) - IGNORED_METHODS)
    return routes


# --- the document and the code ------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1_with_valid_json_schemas(api_schema):
    document = openapi_document()
    assert document["openapi"].startswith("3.1.")
    api_schema.validate()  # the OpenAPI 3.1 meta-schema (raises on any error)
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name  # JSON Schema 2020-12


def test_every_json_route_is_documented_with_its_methods_and_nothing_else(app):
    documented = {
        path: {method.upper() for method in operations}
        for path, operations in openapi_document()["paths"].items()
    }
    routes = json_routes(app)
    undocumented = {path: methods for path, methods in routes.items() if documented.get(path) != methods}
    assert undocumented == {}, (
        "describe these routes in lbt/api/openapi/paths.py, or list them in NOT_THE_API with where they"
        " are described instead"
    )
    assert routes.keys() >= documented.keys(), "the document names routes the app does not have"


def test_the_route_check_would_notice_an_undocumented_route_or_method(make_app, settings, tmp_path):
    other = make_app(settings.with_changes(instance_path=tmp_path / "instance"))

    def elsewhere() -> Any:
        return jsonify(answer=42)

    other.add_url_rule("/api/v1/extra", "extra", public(lambda: "{}"))
    other.add_url_rule("/api/v1/verify", "verify_get", public(lambda: "{}"), methods=["GET"])
    other.add_url_rule("/reports/answer", "answer", public(elsewhere))
    other.add_url_rule("/exchange/v1/state", "exchange_state", public(elsewhere))
    routes = json_routes(other)
    assert routes["/api/v1/extra"] == {"GET"} and routes["/api/v1/verify"] == {"GET", "POST"}
    assert routes["/reports/answer"] == {"GET"}
    assert "/exchange/v1/state" not in routes and "/v/status" not in routes


def test_every_operation_names_its_answers_and_who_may_call_it():
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            assert operation["operationId"] and operation["summary"], (method, path)
            assert "200" in operation["responses"], (method, path)
            if operation["security"]:
                assert {"401", "403"} <= operation["responses"].keys(), (method, path)
                assert "Roles:" in operation["description"], (method, path)


def test_the_document_is_served_as_built_without_a_login(client, api_schema):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == openapi_document()
    assert list(response.get_json()) == list(openapi_document())  # in the order it is written
    conforms(api_schema, "GET", "/api/v1/openapi.json", response)


def test_the_batch_limit_in_the_document_is_the_one_the_api_enforces():
    batch = openapi_document()["components"]["schemas"]["CrossingBatch"]["oneOf"][0]
    assert batch["maxItems"] == MAX_BATCH


# --- the live answers against the document ------------------------------------------------------


def test_a_green_verdict_with_the_permit_and_the_stay_conforms(client, api_schema, permit, guard_token):
    body = {"token": f"http://localhost/v#{permit.token}", "direction": "entry"}
    response = client.post("/api/v1/verify", json=body, headers=bearer(guard_token))
    answer = conforms(api_schema, "POST", "/api/v1/verify", response, body=body)
    assert answer["verdict"] == "pass" and answer["permit"]["number"] == permit.number
    assert answer["stay"]["days_allowed"] == 90


def test_red_verdicts_without_a_permit_and_with_a_withdrawn_one_conform(
    client, db, api_schema, permit, guard_token, users, clock
):
    forged = {"token": permit.token[:-4] + "AAAA"}
    response = client.post("/api/v1/verify", json=forged, headers=bearer(guard_token))
    answer = conforms(api_schema, "POST", "/api/v1/verify", response, body=forged)
    assert answer["verdict"] == "refuse" and "permit" not in answer
    permits.revoke(db, permit, officer=users[Role.OFFICER], reason="Fraud.", now=clock())
    db.flush()
    body = {"token": permit.token, "crossing_point": None, "direction": "exit"}
    response = client.post(
        "/api/v1/verify", json=body, headers={**bearer(guard_token), "Accept-Language": "tg"}
    )
    answer = conforms(api_schema, "POST", "/api/v1/verify", response, body=body)
    assert answer["reasons"][0]["code"] == "revoked" and answer["permit"]["status"] == "revoked"


@pytest.mark.parametrize(
    "body",
    [
        {"crossing_point": "KG-TJ-01"},
        {"token": 7},
        {"token": "x", "direction": "sideways"},
        {"token": "x", "crossing_point": "TJ-UZ-01"},  # not one of the guard's
        ["token"],
    ],
    ids=["no token", "token not text", "direction", "foreign point", "not an object"],
)
def test_a_request_the_verdict_cannot_read_gets_a_documented_400(client, api_schema, guard_token, body):
    response = client.post("/api/v1/verify", json=body, headers=bearer(guard_token))
    assert response.status_code == 400
    assert conforms(api_schema, "POST", "/api/v1/verify", response, body=body)["error"]


def test_broken_json_gets_a_documented_400(client, api_schema, guard_token):
    response = client.post(
        "/api/v1/verify",
        data='{"token": "a", "token": "b"}',
        content_type="application/json",
        headers=bearer(guard_token),
    )
    assert response.status_code == 400
    assert "twice" in conforms(api_schema, "POST", "/api/v1/verify", response)["error"]


@pytest.mark.parametrize("path", ["/api/v1/verify", "/api/v1/crossings", "/api/v1/revocations"])
def test_without_a_valid_token_the_answer_is_a_documented_401_with_its_challenge(client, api_schema, path):
    method = "GET" if path.endswith("revocations") else "POST"
    for headers in ({}, bearer("lbt_not-a-token")):
        response = client.open(path, method=method, json=None if method == "GET" else {}, headers=headers)
        assert response.status_code == 401
        conforms(api_schema, method, path, response)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_officer_gets_the_revocations_and_a_documented_403_on_the_guards_operations(
    client, db, api_schema, users, clock
):
    officer = create_token(db, users[Role.OFFICER], name="office", now=clock())[1]
    response = client.get("/api/v1/revocations", headers=bearer(officer))
    assert (
        conforms(api_schema, "GET", "/api/v1/revocations", response)["jwks_url"] == "/.well-known/jwks.json"
    )
    for path in ("/api/v1/verify", "/api/v1/crossings"):
        response = client.post(path, json={"token": "x"}, headers=bearer(officer))
        assert response.status_code == 403
        conforms(api_schema, "POST", path, response, body={"token": "x"})


def test_the_revocation_list_and_its_304_conform_with_their_etag(client, api_schema, guard_token):
    response = client.get("/api/v1/revocations", headers=bearer(guard_token))
    conforms(api_schema, "GET", "/api/v1/revocations", response)
    headers = {**bearer(guard_token), "If-None-Match": response.headers["ETag"]}
    unchanged = client.get("/api/v1/revocations", headers=headers)
    assert unchanged.status_code == 304
    conforms(api_schema, "GET", "/api/v1/revocations", unchanged, headers=headers)


def test_a_batch_over_the_limit_gets_a_documented_413(client, api_schema, guard_token):
    body = [{}] * (MAX_BATCH + 1)
    response = client.post("/api/v1/crossings", json=body, headers=bearer(guard_token))
    assert response.status_code == 413
    conforms(api_schema, "POST", "/api/v1/crossings", response, body=body)


@pytest.mark.parametrize("body", [[], {"items": []}, "crossings"], ids=["empty", "no crossings", "text"])
def test_a_batch_that_is_not_a_list_of_crossings_gets_a_documented_400(client, api_schema, guard_token, body):
    response = client.post("/api/v1/crossings", json=body, headers=bearer(guard_token))
    assert response.status_code == 400
    conforms(api_schema, "POST", "/api/v1/crossings", response, body=body)


def test_every_result_status_of_a_batch_conforms(client, db, api_schema, permit, guard_token, users, clock):
    clock.advance(days=4)  # an offline crossing of 80 hours ago is then after the permit's issue
    now = clock()
    stored = sending.item(permit, now - timedelta(minutes=5))
    reused = {**stored, "direction": "exit"}
    held = sending.item(permit, now - timedelta(hours=80), direction="exit")
    body: list[Any] = [
        stored,
        dict(stored),  # duplicate
        reused,  # conflict: id_reused
        held,
        sending.item(permit, now + timedelta(days=2)),  # invalid: time_in_future
        {**sending.item(permit, now), "permit_number": permit.number[:-1] + "0"},  # check_digit
        {"id": "x" * 65},
        "text",
        None,
    ]
    response = client.post("/api/v1/crossings", json={"crossings": body}, headers=bearer(guard_token))
    results = conforms(api_schema, "POST", "/api/v1/crossings", response, body={"crossings": body})["results"]
    assert [result["status"] for result in results] == [
        "stored",
        "duplicate",
        "conflict",
        "held",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert results[5]["verdict"] == "check" and results[6]["id"] is None

    permits.revoke(db, permit, officer=users[Role.OFFICER], reason="Fraud.", now=now)
    db.flush()
    online = sending.item(permit, now, direction="exit", offline=False)
    offline = sending.item(permit, now, direction="exit")
    body = [online, offline]
    response = client.post("/api/v1/crossings", json=body, headers=bearer(guard_token))
    results = conforms(api_schema, "POST", "/api/v1/crossings", response, body=body)["results"]
    assert [(r["status"], r["code"]) for r in results] == [("refused", "revoked"), ("conflict", "revoked")]


def test_an_exit_after_an_overstay_answers_its_misuse_case_as_documented(
    client, api_schema, permit, guard_token, clock
):
    sending.send(client, guard_token, sending.item(permit, clock(), offline=False))
    clock.advance(days=95)
    body = [sending.item(permit, clock(), direction="exit")]
    response = client.post("/api/v1/crossings", json=body, headers=bearer(guard_token))
    result = conforms(api_schema, "POST", "/api/v1/crossings", response, body=body)["results"][0]
    assert result["status"] == "stored" and isinstance(result["misuse_case"], int)


def test_the_keys_conform_with_a_retired_key_still_published(
    make_app, settings, tmp_path, api_schema, db, make_application, users, clock
):
    own = make_app(settings.with_changes(instance_path=tmp_path / "instance"))  # a key store of its own
    keys: KeyStore = own.extensions["lbt"].find(KeyStore)
    client = own.test_client()
    conforms(api_schema, "GET", "/.well-known/jwks.json", client.get("/.well-known/jwks.json"))
    approve(
        db,
        make_application().application,
        officer=users[Role.OFFICER],
        valid_from=date(2026, 11, 22),
        valid_until=date(2027, 11, 21),
        fee_status=FeeStatus.PAID,
        issue=PermitIssuer("TJ", keys.active_key()),
        now=clock(),
    )
    db.flush()
    keys.rotate(clock())
    answer = conforms(api_schema, "GET", "/.well-known/jwks.json", client.get("/.well-known/jwks.json"))
    assert len(answer["keys"]) == 2  # the new key, and the old one its permit still needs


def test_a_check_would_fail_on_an_undocumented_answer(client, api_schema, guard_token):
    """The response checks are not vacuous: an answer the document does not describe fails them."""
    response = client.post("/api/v1/verify", json={}, headers=bearer(guard_token))
    assert response.status_code == 400
    with pytest.raises(FailureGroup, match="Undocumented status code"):
        conforms(api_schema, "GET", "/api/v1/revocations", response)  # 400 is not documented there
    answer = client.post(
        "/api/v1/verify", json={"token": "x", "crossing_point": "KG-TJ-01"}, headers=bearer(guard_token)
    )
    with pytest.raises(FailureGroup, match="Response violates schema"):
        conforms(api_schema, "GET", "/.well-known/jwks.json", answer)  # a verdict is not a key set
