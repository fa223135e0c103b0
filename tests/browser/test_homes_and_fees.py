"""Issue 14 items 4 and 8 as a person meets them: the officer's home numbers open the queue filtered
to exactly what they count, and a payment recorded on an application reads the same on the page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from lbt.accounts.models import User
from lbt.applications import services
from tests.browser.test_verify_page import Holder, submitted_application
from tests.fixtures.browser import LiveServer, logged_in

pytestmark = pytest.mark.browser

ROW_LINK = "table tbody tr td:nth-child(2) a"


def _applications(live_server: LiveServer) -> dict[str, str]:
    """Three applications of their own: one waiting, one past its deadline, one waiting for the applicant."""
    now = datetime.now(UTC)
    references = {}
    with live_server.state.database.transaction() as session:
        officer = session.scalar(select(User).where(User.username == "officer"))
        for key, surname, number in (
            ("queue", "NAZAROV", "AF1400001"),
            ("overdue", "KARIMOV", "AF1400002"),
            ("information", "SOLIEV", "AF1400003"),
        ):
            holder = Holder("Назаров", "Фарид", surname, "FARID", date(1980, 1, 2))
            application = submitted_application(session, live_server.state, holder, number, now)
            if key == "overdue":
                application.decision_due = now.date() - timedelta(days=3)
            if key == "information":
                services.request_information(
                    session, application, officer=officer, message="The lease.", now=now
                )
            references[key] = application.reference
    return references


def _figure(page, key: str) -> int:  # type: ignore[no-untyped-def]
    text = page.locator(f'[data-figure="{key}"] [data-count]').inner_text()
    return int(re.sub(r"\D", "", text))


def test_the_officer_home_numbers_open_the_queue_they_count(page, live_server: LiveServer):  # type: ignore[no-untyped-def]
    references = _applications(live_server)
    logged_in(page, live_server, "officer")
    for key, query in (
        ("queue", "status=submitted"),
        ("overdue", "overdue=y"),
        ("information", "status=info_requested"),
    ):
        page.goto(f"{live_server.url}/")
        assert page.get_by_role("heading", name="Waiting for you").is_visible()
        count = _figure(page, key)
        assert 1 <= count < 50
        page.locator(f'[data-figure="{key}"] a').click()
        page.wait_for_url(re.compile(re.escape(query)))
        shown = page.locator(ROW_LINK).all_inner_texts()
        assert len(shown) == count and references[key] in shown, key
    assert page.csp_violations == []


def test_a_payment_recorded_by_the_officer_shows_with_its_receipt(page, live_server: LiveServer):  # type: ignore[no-untyped-def]
    with live_server.state.database.transaction() as session:
        holder = Holder("Раҳимова", "Зарина", "RAHIMOVA", "ZARINA", date(1983, 5, 6))
        application = submitted_application(
            session, live_server.state, holder, "AF1400009", datetime.now(UTC)
        )
        application_id = application.id
    logged_in(page, live_server, "officer")
    page.goto(f"{live_server.url}/applications/{application_id}")
    assert page.locator('[data-fee="due"]').inner_text().startswith("Due: ")
    page.get_by_text("Record the payment").first.click()
    page.get_by_label("Receipt number").fill("KB-77 0042")
    page.get_by_role("button", name="Record the payment").click()  # paid today, as the form offers
    page.get_by_text("The payment was recorded.").wait_for()
    fee = page.locator('[data-fee="paid"]')
    assert "receipt KB-77 0042 of" in fee.inner_text()
    assert page.get_by_role("button", name="Record the payment").count() == 0
    assert page.csp_violations == []
