"""Issue 14 item 2 as the second side's head meets it: the demo's meeting of last week, frozen and
approved by the Tajik head, waits for the Kyrgyz head. He approves from his own login, without adding
himself as a participant and without anyone freezing the record again; the protocol is then signed,
with both approvals valid for the same SHA-256."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.browser import LiveServer, logged_in

pytestmark = pytest.mark.browser


def test_the_second_sides_head_approves_without_re_freezing(page, live_server: LiveServer):  # type: ignore[no-untyped-def]
    logged_in(page, live_server, "rep-kg")
    page.goto(f"{live_server.url}/representatives/")
    page.locator("#recent-heading ~ * tr", has_text="Vorukh school").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/representatives/meetings/\d+$"))
    steps = page.locator("#next-steps")
    assert "Col. Almaz Toktogulov" in steps.inner_text()  # from the register: what is needed, from whom
    protocol = page.locator("section[aria-labelledby=protocol-heading]")
    frozen_hash = protocol.locator("dd code").first.inner_text()
    assert protocol.get_by_text("Valid").count() == 1  # the Tajik head's approval

    protocol.get_by_role("button", name="Approve as head of delegation").click()
    page.wait_for_load_state()
    protocol = page.locator("section[aria-labelledby=protocol-heading]")
    assert protocol.get_by_text("Locked").count() == 1
    assert protocol.get_by_text("Valid").count() == 2  # the first approval was not voided
    assert "Void" not in protocol.inner_text()
    hashes = {code.inner_text() for code in protocol.locator("td code").all()}
    assert hashes == {frozen_hash}  # both approved the same frozen content, version 1
    assert "1, " in protocol.locator("dl.facts dd").first.inner_text()
    assert page.csp_violations == []
