"""A resident applies on a phone, step by step, in a real browser; then follows the application."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from lbt.core.catalogs import translate
from lbt.core.dates import EXAMPLE_DAY, format_day

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


def english(message: str, **params: Any) -> str:
    return message % params if params else message


def next_step(page: Any, expected: str, t: Any = english) -> None:
    page.get_by_role("button", name=t("Next"), exact=True).click()
    assert step_title(page).endswith(t(expected))


def fill_application(
    page: Any, tmp_path: Path, *, resident_since: str = "01.01.2010", t: Any = english, locale: str = "en"
) -> None:
    """Steps 1 to 6 as a Kyrgyz resident of Ak-Sai would fill them in, the labels read in the page's
    language (``t`` translates an English label); the page is left on the declaration."""
    assert step_title(page).endswith(t("Your application"))
    assert page.get_by_label(t("My first permit")).is_checked()
    assert not page.get_by_label(t("Number of the permit you want to renew")).is_visible()
    next_step(page, "About you", t)

    page.get_by_label(t("Surname(s)"), exact=True).fill("Раҳимов")
    page.get_by_label(t("Given name(s)"), exact=True).fill("Фаррух")
    assert page.get_by_label(t("Surname(s) in Latin letters")).input_value() == "RAHIMOV"
    assert page.get_by_label(t("Given name(s) in Latin letters")).input_value() == "FARRUKH"
    page.screenshot(path=str(tmp_path / f"apply-step-2-{locale}.png"), full_page=True)
    page.get_by_role("button", name=t("Next"), exact=True).click()  # not everything is filled in yet
    assert step_title(page).endswith(t("About you"))
    assert page.locator("#birth_date-client-error").inner_text() == t("This field is required.")
    page.get_by_label(t("Male"), exact=True).check()
    # a phone's date box would show mm/dd/yyyy; this one is typed, and checked at its step like the server
    page.get_by_label(t("Date of birth")).fill("31021985")
    page.get_by_role("button", name=t("Next"), exact=True).click()
    assert step_title(page).endswith(t("About you"))
    expected = t("Enter the date as %(example)s.", example=format_day(EXAMPLE_DAY, locale))
    assert page.locator("#birth_date-client-error").inner_text() == expected
    page.screenshot(path=str(tmp_path / f"apply-date-error-{locale}.png"), full_page=True)
    page.get_by_label(t("Date of birth")).fill("12.04.1985")
    page.get_by_label(t("Place of birth")).fill("Batken")
    page.get_by_label(t("Nationality")).select_option("KGZ")
    page.get_by_label(t("Phone number")).fill("+996 770 123 456")
    next_step(page, "Travel document", t)

    page.get_by_label(t("Document number")).fill("AC1234567")
    page.get_by_label(t("Issuing state")).select_option("KGZ")
    page.get_by_label(t("Valid until")).fill("30.06.2031")
    next_step(page, "Where you live", t)

    localities = page.get_by_label(t("Locality where you live"))
    assert (
        "Vorukh" not in localities.inner_text()
    )  # the Tajik side is where the permit is valid, not where one applies from
    # in Kyrgyz the Kyrgyz name comes first ("Ак-Сай — Ak-Sai"), in English the Latin one
    localities.select_option(localities.locator("option", has_text="Ак-Сай").get_attribute("value"))
    page.get_by_label(t("Address")).fill("Manas street 5")
    page.get_by_label(t("Living there since")).fill(resident_since)
    next_step(page, "Reason for crossing", t)

    page.get_by_label(t("Reason for crossing")).select_option("family")
    page.get_by_label(t("Tell us more about your reason")).fill("My sister lives in Vorukh.")
    next_step(page, "Photo and documents", t)

    page.get_by_label(t("Photo of you")).set_input_files(str(photo_file(tmp_path)))
    assert page.locator(".upload__preview").is_visible()
    page.screenshot(path=str(tmp_path / f"apply-step-6-{locale}.png"), full_page=True)
    next_step(page, "Declaration", t)


def send(page: Any, t: Any = english) -> None:
    page.locator("#declaration_accepted").check()  # the labels are long sentences
    page.locator("#consent").check()
    page.get_by_role("button", name=t("Send the application")).click()


def test_a_resident_applies_step_by_step_on_a_phone_and_follows_the_application(page, live_server, tmp_path):
    page.goto(f"{live_server.url}/apply/")
    page.screenshot(path=str(tmp_path / "apply-start.png"), full_page=True)
    fill_application(page, tmp_path)
    review = page.locator("[data-review]")
    assert "RAHIMOV" in review.inner_text() and "Ak-Sai — Ак-Сай" in review.inner_text()
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
    fill_application(page, tmp_path, resident_since="01.01.2025")
    send(page)

    assert step_title(page).endswith("Where you live")
    error = page.locator("#resident_since-error")
    assert error.inner_text() == "You must have lived in the border area for at least 3 years."
    assert page.get_by_label("Surname(s) in Latin letters").input_value() == "RAHIMOV"
    page.screenshot(path=str(tmp_path / "apply-error.png"), full_page=True)
    page.get_by_label("Living there since").fill("01.01.2010")
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
        page.get_by_label("Place of birth").fill("Batken")
        page.get_by_label("Nationality").select_option("KGZ")
        page.get_by_label("Phone number").fill("+996 770 765 432")
        page.get_by_label("Document number").fill("B7654321")
        page.get_by_label("Issuing state").select_option("KGZ")
        page.get_by_label("Valid until").fill("2030-01-31")
        page.get_by_label("Locality where you live").select_option(label="Ak-Sai — Ак-Сай")
        page.get_by_label("Address").fill("Manas street 7")
        page.get_by_label("Living there since").fill("1990-03-08")
        page.get_by_label("Reason for crossing").select_option("economic")
        page.get_by_label("Photo of you").set_input_files(str(photo_file(tmp_path)))
        send(page)
        page.wait_for_url(f"{live_server.url}/apply/submitted")
        assert REFERENCE_RE.fullmatch(page.locator("[data-reference]").inner_text())
    finally:
        context.close()


def test_a_kyrgyz_resident_applies_in_kyrgyz_on_a_phone(browser, live_server, tmp_path):
    """The Tajik instance's applicants are Kyrgyz residents: the whole form in Kyrgyz, a mistyped date of
    birth caught at its step in Kyrgyz, the review and the confirmation in Kyrgyz."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ky-KG")
    page = context.new_page()
    page.set_default_timeout(15000)

    def t(message: str, **params: Any) -> str:
        return translate("ky", message, **params)

    try:
        page.goto(f"{live_server.url}/apply/")
        assert page.locator("html").get_attribute("lang") == "ky"
        fill_application(page, tmp_path, t=t, locale="ky")
        review = page.locator("[data-review]")
        assert "Ак-Сай" in review.inner_text() and "12.04.1985" in review.inner_text()
        wide = page.evaluate(
            """Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 391)
               .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').slice(0, 60))"""
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, (
            wide
        )  # nothing wider than the phone
        page.screenshot(path=str(tmp_path / "apply-review-ky.png"), full_page=True)
        send(page, t)
        page.wait_for_url(f"{live_server.url}/apply/submitted")
        assert REFERENCE_RE.fullmatch(page.locator("[data-reference]").inner_text())
        assert t("Follow your application") in page.content()
    finally:
        context.close()
