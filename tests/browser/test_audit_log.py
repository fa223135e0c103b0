"""Issue 14 item 7 as an auditor meets it: names and words instead of ids and column names, the
filters kept in the CSV link and the pages, and "Verify the chain" with its result."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import LiveServer, logged_in

pytestmark = pytest.mark.browser


def test_the_auditor_reads_names_filters_exports_and_verifies(page, live_server: LiveServer):  # type: ignore[no-untyped-def]
    logged_in(page, live_server, "auditor")
    page.goto(f"{live_server.url}/audit/")
    page.get_by_label("Record type").select_option(label="Locality")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit/?*entity_type=localities*")
    record = page.locator("[data-record]").first.inner_text()
    assert record.startswith("Locality ") and "(" in record  # its name beside the id
    changes = page.locator("dl.changes").first.inner_text()
    assert "State" in changes and "state_id" not in changes
    assert "entity_type=localities" in (
        page.get_by_role("link", name="Download these entries (CSV)").get_attribute("href") or ""
    )
    older = page.get_by_role("link", name="Older entries")
    if older.count():  # the next page keeps the filter
        older.click()
        page.wait_for_url("**entity_type=localities*before=*")
        assert page.locator("[data-record]").first.inner_text().startswith("Locality ")
    page.get_by_role("button", name="Verify the chain").click()
    result = page.locator("[data-chain]")
    result.wait_for()
    assert result.get_attribute("data-chain") == "intact"
    assert "The chain is intact:" in result.inner_text()
    assert page.csp_violations == []
