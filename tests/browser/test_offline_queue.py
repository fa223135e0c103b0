"""The guard's offline queue drains even when some of its crossings cannot be stored: the good ones are
stored, each refused one leaves the queue with its reason shown to the guard, and nothing is sent again
(before, one bad crossing made the whole batch fail and the page sent the same batch forever)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.browser.test_verify_offline import open_ready
from tests.browser.test_verify_page import Holder, crossings_of, issue_permit
from tests.fixtures.browser import logged_in

pytestmark = pytest.mark.browser


def queued(number: str, **fields: Any) -> dict[str, Any]:
    """A crossing as the page keeps it in IndexedDB (recorded offline a minute ago, unless told)."""
    return {
        "id": str(uuid.uuid4()),
        "permit_number": number,
        "label": number,
        "crossing_point": "TJ-KG-01",
        "direction": "entry",
        "at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "reason": "Checked offline.",
        "offline": True,
        **fields,
    }


def test_refused_crossings_leave_the_queue_with_their_reason_and_the_good_one_is_stored(page, live_server):
    holder = Holder("Очередев", "Анвар", "OCHEREDEV", "ANVAR", date(1983, 1, 2))
    number = issue_permit(live_server.state, holder, "AC9990601", card=False)[0]
    logged_in(page, live_server, "guard")
    open_ready(page, f"{live_server.url}/crossings/verify")
    page.context.set_offline(True)
    items = [
        queued(number, reason="ok\u0000"),  # PostgreSQL cannot store a NUL
        queued(number, at="9999-12-31T23:59:59-05:00"),  # beyond the calendar in UTC
        queued(number, at="1900-01-01T00:00:00+00:00"),  # before the permit existed
        queued(number),  # the good one
    ]
    page.evaluate(
        "async (items) => { for (const item of items) { await window.LbtOffline.enqueue(item); } }", items
    )
    page.locator('#offline-status[data-waiting="4"]').wait_for(state="attached")
    assert crossings_of(live_server.state, number) == 0

    page.context.set_offline(False)  # the "online" event sends the queue
    page.locator('#offline-status[data-waiting="0"]').wait_for(state="attached")
    results = page.locator("#offline-results")
    assert results.locator('li[data-status="stored"]').count() == 1
    assert results.locator('li[data-status="invalid"]').count() == 3
    shown = results.inner_text()
    assert "“reason” must be text without NUL characters." in shown
    assert "ISO 8601 with a time zone" in shown
    assert "before the permit was issued" in shown
    assert results.locator('li[data-code="time_before_issue"]').get_attribute("class") == (
        "offline-results__item offline-results__item--bad"
    )
    assert page.locator("#offline-waiting").count() == 0
    assert crossings_of(live_server.state, number) == 1

    page.reload()  # nothing is left to send again
    page.locator('#verify[data-offline-ready="true"]').wait_for(state="attached")
    assert page.locator("#offline-results li").count() == 0
    assert crossings_of(live_server.state, number) == 1
    assert page.csp_violations == []
