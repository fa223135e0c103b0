"""A device maker reads the JSON API's interactive reference (/api/v1/docs, Swagger UI vendored in
static/vendor/swagger-ui) on a phone: every operation of the document is listed, and with a guard's
token ("Authorize") "Try it out" sends a scanned permit to POST /api/v1/verify and shows the green
verdict. All of it under the site's own Content-Security-Policy, loading nothing from elsewhere."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lbt.accounts.models import User
from lbt.api.openapi import openapi_document
from lbt.api.services import create_token
from tests.browser.test_verify_page import Holder, issue_permit
from tests.fixtures.browser import LiveServer

pytestmark = pytest.mark.browser

VERIFY = "#operations-devices-verifyPermit"


def _guard_token(live_server: LiveServer) -> str:
    with live_server.state.database.transaction() as session:
        guard = session.scalar(select(User).where(User.username == "guard"))
        assert guard is not None
        return create_token(session, guard, name="API reference", now=datetime.now(UTC))[1]


def _operations() -> int:
    return sum(len(operations) for operations in openapi_document()["paths"].values())


def test_the_reference_lists_every_operation_and_tries_one_with_a_guards_token(page, live_server):
    _number, scanned, _card = issue_permit(
        live_server.state, Holder("Доков", "Саид", "DOKOV", "SAID", date(1984, 2, 3)), "AC9990601", card=False
    )
    token = _guard_token(live_server)
    elsewhere: list[str] = []
    page.on(
        "request", lambda request: request.url.startswith(live_server.url) or elsewhere.append(request.url)
    )

    page.goto(f"{live_server.url}/api/v1/docs")
    page.get_by_role("heading", name="JSON API reference").wait_for()
    page.locator(".opblock").nth(_operations() - 1).wait_for()
    assert page.locator(".opblock").count() == _operations()
    assert (
        page.get_by_role("link", name="The OpenAPI document").get_attribute("href") == "/api/v1/openapi.json"
    )

    page.locator("button.authorize").first.click()
    page.locator(".auth-container input").fill(token)
    page.locator(".auth-btn-wrapper button.authorize").click()
    page.locator("button.btn-done").click()

    page.locator(f"{VERIFY} .opblock-summary-control").click()
    page.locator(f"{VERIFY} button.try-out__btn").click()
    page.locator(f"{VERIFY} textarea.body-param__text").fill(
        f'{{"token": "{scanned}", "crossing_point": "TJ-KG-01", "direction": "entry"}}'
    )
    page.locator(f"{VERIFY} button.execute").click()
    answer = page.locator(f"{VERIFY} .live-responses-table .response .response-col_description")
    answer.first.wait_for()
    assert (
        page.locator(f"{VERIFY} .live-responses-table .response .response-col_status").first.inner_text()
        == "200"
    )
    assert '"verdict": "pass"' in answer.first.inner_text()

    problem = page.locator(".models .json-schema-2020-12").first  # the schemas, drawn too
    problem.locator(".json-schema-2020-12-accordion").first.click()
    problem.get_by_text("Why the request was refused").wait_for()
    assert page.csp_violations == []  # the site's policy as it is: no inline code, no eval
    assert elsewhere == []  # no CDN, no validator badge, no analytics


def test_without_a_token_try_it_out_shows_the_documented_401(page, live_server):
    page.goto(f"{live_server.url}/api/v1/docs")
    summary = page.locator("#operations-devices-getRevocations .opblock-summary-control")
    summary.wait_for()
    summary.click()
    page.locator("#operations-devices-getRevocations button.try-out__btn").click()
    page.locator("#operations-devices-getRevocations button.execute").click()
    status = page.locator(
        "#operations-devices-getRevocations .live-responses-table .response .response-col_status"
    )
    status.first.wait_for()
    assert status.first.inner_text() == "401"
    assert page.csp_violations == []
