"""A resident applies on a phone, step by step, in a real browser; then follows the application."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

pytestmark = pytest.mark.browser

REFERENCE_RE = re.compile(r"LBT-\d{4}-\d{6}")
CODE_RE = re.compile(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}")


def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (360, 460), (190, 170, 150)).save(path, "JPEG")
    return path


def step_title(page: Any) -> str:
    """What a screen reader hears: "Step 2 of 7: About you" (the step's name is visually hidden there)."""
    return page.locator(".progress__text").text_content()


def next_step(page: Any, expected: str) -> None:
    page.get_by_role("button", name="Next").click()
    assert step_title(page).endswith(expected)


def fill_application(page: Any, tmp_path: Path, *, resident_since: str = "2010-01-01") -> None:
    """Steps 1 to 6; the page is left on the declaration."""
    assert step_title(page) == "Step 1 of 7: Your application"
    assert page.get_by_label("My first permit").is_checked()
    assert not page.get_by_label("Number of the permit you want to renew").is_visible()
    next_step(page, "About you")

    page.get_by_label("Surname(s)", exact=True).fill("Раҳимов")
    page.get_by_label("Given name(s)", exact=True).fill("Фаррух")
    assert page.get_by_label("Surname(s) in Latin letters").input_value() == "RAHIMOV"
    assert page.get_by_label("Given name(s) in Latin letters").input_value() == "FARRUKH"
    page.screenshot(path=str(tmp_path / "apply-step-2.png"), full_page=True)
    page.get_by_role("button", name="Next").click()  # not everything is filled in yet
    assert step_title(page).endswith("About you")
    assert page.locator("#birth_date-client-error").inner_text() == "This field is required."
    page.get_by_label("Male", exact=True).check()
    # a phone's date box would show mm/dd/yyyy; this one is typed, and checked at its step like the server
    page.get_by_label("Date of birth").fill("31021985")
    page.get_by_role("button", name="Next").click()
    assert step_title(page).endswith("About you")
    assert page.locator("#birth_date-client-error").inner_text() == "Enter the date as 14/03/1985."
    page.get_by_label("Date of birth").fill("12.04.1985")
    page.get_by_label("Place of birth").fill("Isfara")
    page.get_by_label("Nationality").select_option("TJK")
    page.get_by_label("Phone number").fill("+992 92 123 4567")
    next_step(page, "Travel document")

    page.get_by_label("Document number").fill("A1234567")
    page.get_by_label("Issuing state").select_option("TJK")
    page.get_by_label("Valid until").fill("2031-06-30")
    next_step(page, "Where you live")

    page.get_by_label("Locality where you live").select_option(label="Vorukh — Ворух")
    page.get_by_label("Address").fill("Navruz street 5")
    page.get_by_label("Living there since").fill(resident_since)
    next_step(page, "Reason for crossing")

    page.get_by_label("Reason for crossing").select_option("family")
    page.get_by_label("Tell us more about your reason").fill("My sister lives in Ak-Sai.")
    next_step(page, "Photo and documents")

    page.get_by_label("Photo of you").set_input_files(str(photo_file(tmp_path)))
    assert page.locator(".upload__preview").is_visible()
    page.screenshot(path=str(tmp_path / "apply-step-6.png"), full_page=True)
    next_step(page, "Declaration")


def send(page: Any) -> None:
    page.get_by_label("I declare that what I have written is true").check()
    page.get_by_label("I agree that the border service processes my personal data").check()
    page.get_by_role("button", name="Send the application").click()


def test_a_resident_applies_step_by_step_on_a_phone_and_follows_the_application(page, live_server, tmp_path):
    page.goto(f"{live_server.url}/apply/")
    page.screenshot(path=str(tmp_path / "apply-start.png"), full_page=True)
    fill_application(page, tmp_path)
    review = page.locator("[data-review]")
    assert "RAHIMOV" in review.inner_text() and "Vorukh — Ворух" in review.inner_text()
    assert "12.04.1985" in review.inner_text()  # the date as typed, never the browser's own format
    page.screenshot(path=str(tmp_path / "apply-review.png"), full_page=True)
    send(page)

    page.wait_for_url(f"{live_server.url}/apply/submitted")
    reference = page.locator("[data-reference]").inner_text()
    code = page.locator("[data-access-code]").inner_text()
    assert REFERENCE_RE.fullmatch(reference) and CODE_RE.fullmatch(code)
    page.screenshot(path=str(tmp_path / "apply-submitted.png"), full_page=True)

    page.get_by_role("link", name="Follow your application").click()
    page.get_by_role("button", name="Log out of this application").click()
    page.get_by_label("Reference").fill(reference.lower())
    page.get_by_label("Access code").fill(code)
    page.get_by_role("button", name="Open my application").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Application {reference}"
    assert page.locator("[data-status]").inner_text() == "Submitted: waiting for a decision"
    page.screenshot(path=str(tmp_path / "apply-status.png"), full_page=True)
    assert page.csp_violations == []


def test_a_refusal_by_the_server_opens_the_step_with_the_error_and_keeps_the_photo(
    page, live_server, tmp_path
):
    page.goto(f"{live_server.url}/apply/")
    fill_application(page, tmp_path, resident_since="2025-01-01")
    send(page)

    assert step_title(page).endswith("Where you live")
    error = page.locator("#resident_since-error")
    assert error.inner_text() == "You must have lived in the border area for at least 3 years."
    assert page.get_by_label("Surname(s) in Latin letters").input_value() == "RAHIMOV"
    page.screenshot(path=str(tmp_path / "apply-error.png"), full_page=True)
    page.get_by_label("Living there since").fill("2010-01-01")
    next_step(page, "Reason for crossing")
    next_step(page, "Photo and documents")
    assert page.get_by_text("photo.jpg uploaded — choose a new file to replace it.").is_visible()
    next_step(page, "Declaration")
    send(page)
    page.wait_for_url(f"{live_server.url}/apply/submitted")
    assert REFERENCE_RE.fullmatch(page.locator("[data-reference]").inner_text())
    assert page.csp_violations == []


def test_without_javascript_the_form_is_one_page_that_works(browser, live_server, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/apply/")
        assert page.locator("fieldset.step:visible").count() == 7
        assert page.get_by_role("button", name="Next").count() == 0
        page.get_by_label("Surname(s)", exact=True).fill("Раҳимов")
        page.get_by_label("Given name(s)", exact=True).fill("Фаррух")
        page.get_by_label("Surname(s) in Latin letters").fill("RAHIMOV")
        page.get_by_label("Given name(s) in Latin letters").fill("FARRUKH")
        page.get_by_label("Female", exact=True).check()
        page.get_by_label("Date of birth").fill("1990-03-08")
        page.get_by_label("Place of birth").fill("Vorukh")
        page.get_by_label("Nationality").select_option("TJK")
        page.get_by_label("Phone number").fill("+992 92 765 4321")
        page.get_by_label("Document number").fill("B7654321")
        page.get_by_label("Issuing state").select_option("TJK")
        page.get_by_label("Valid until").fill("2030-01-31")
        page.get_by_label("Locality where you live").select_option(label="Vorukh — Ворух")
        page.get_by_label("Address").fill("Navruz street 7")
        page.get_by_label("Living there since").fill("1990-03-08")
        page.get_by_label("Reason for crossing").select_option("economic")
        page.get_by_label("Photo of you").set_input_files(str(photo_file(tmp_path)))
        send(page)
        page.wait_for_url(f"{live_server.url}/apply/submitted")
        assert REFERENCE_RE.fullmatch(page.locator("[data-reference]").inner_text())
    finally:
        context.close()
