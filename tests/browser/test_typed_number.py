"""A guard types a permit number as it comes (lower case, spaces instead of dashes): the permit is
found; a number whose check digit does not match is amber (a typing mistake), not red."""

from __future__ import annotations

from datetime import date

import pytest

from tests.browser.test_verify_page import Holder, choose_point, issue_permit, verdict
from tests.fixtures.browser import logged_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def number(live_server) -> str:  # type: ignore[no-untyped-def]
    holder = Holder("Сафаров", "Баҳром", "SAFAROV", "BAHROM", date(1979, 4, 5))
    return issue_permit(live_server.state, holder, "AC9990077", card=False)[0]


def check(page, typed: str) -> str:  # type: ignore[no-untyped-def]
    page.get_by_label("Permit number").fill(typed)
    page.get_by_role("button", name="Check", exact=True).click()
    return verdict(page)


def test_a_number_typed_with_spaces_in_lower_case_finds_the_permit(page, live_server, number):
    logged_in(page, live_server, "guard")
    page.goto(f"{live_server.url}/crossings/verify")
    choose_point(page, "TJ-KG-01")
    assert check(page, " " + number.lower().replace("-", " ") + " ") == "May pass"
    assert page.locator('[data-fact="surname-latin"]').inner_text() == "SAFAROV"
    assert page.csp_violations == []


def test_a_wrong_check_digit_is_amber_not_red(page, live_server, number):
    logged_in(page, live_server, "guard")
    page.goto(f"{live_server.url}/crossings/verify")
    choose_point(page, "TJ-KG-01")
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert check(page, wrong) == "Check and decide"
    reasons = page.locator("#verdict-reasons").inner_text()
    assert reasons == "The check digit does not match: a typing mistake?"
    assert page.get_by_role("button", name="Record entry").is_hidden()
    assert page.csp_violations == []
