"""The verification page without a connection, on the live server: after one visit online it opens
from the service worker's cache, checks a scanned QR's signature in the browser against the kept
JWK Set and the kept signed list of withdrawn permits, keeps crossings recorded offline in
IndexedDB, and sends them when the connection returns: the server holds each exactly once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from sqlalchemy import select

from lbt.accounts.models import User
from lbt.permits import services as permits
from lbt.permits.models import Permit
from lbt.web.state import AppState
from tests.browser.test_verify_page import (
    Holder,
    choose_point,
    crossings_of,
    issue_permit,
    render_back,
    verdict,
    write_y4m,
)
from tests.fixtures.browser import CHROMIUM_ARGS, LiveServer, find_chromium, logged_in

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Issued:
    number: str
    token: str
    card_back: Image.Image | None


@pytest.fixture(scope="module")
def issue(live_server: LiveServer) -> Callable[..., Issued]:
    """A new permit valid from today (its own holder, so no other test's crossings count)."""

    def issue(document_number: str, *, card: bool = False) -> Issued:
        holder = Holder("Офлайнов", "Бахтиёр", "OFLAYNOV", "BAKHTIYOR", date(1975, 8, 9))
        number, token, pdf = issue_permit(live_server.state, holder, document_number, card=card)
        return Issued(number, token, render_back(pdf) if pdf else None)

    return issue


def revoke(state: AppState, number: str) -> None:
    with state.database.transaction() as session:
        permit = session.scalar(select(Permit).where(Permit.number == number))
        officer = session.scalar(select(User).where(User.username == "officer"))
        assert permit is not None and officer is not None
        permits.revoke(session, permit, officer=officer, reason="Obtained by fraud.", now=datetime.now(UTC))


def open_ready(page, url: str) -> None:  # type: ignore[no-untyped-def]
    """Open the verify page and wait until it has kept what it needs offline."""
    page.goto(url)
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)") is True
    page.locator('#verify[data-offline-ready="true"]').wait_for(state="attached")


def check_scanned_text(page, scanned: str) -> str:  # type: ignore[no-untyped-def]
    """What a handheld scanner does: type the QR's text into the number field."""
    page.get_by_label("Permit number").fill(scanned)
    page.get_by_role("button", name="Check", exact=True).click()
    return verdict(page)


def test_offline_the_page_opens_from_the_cache_and_a_crossing_is_sent_once_when_back_online(
    page, live_server, issue, tmp_path
):
    permit = issue("AC9990101", card=True)
    logged_in(page, live_server, "guard")
    open_ready(page, f"{live_server.url}/crossings/verify")
    assert "List of withdrawn permits from" in page.locator("#offline-lines").inner_text()

    page.context.set_offline(True)
    page.reload()  # no network: the service worker serves the page, its scripts and jsQR
    page.locator('#verify[data-offline-ready="true"]').wait_for(state="attached")
    assert "No connection" in page.locator("#offline-lines").inner_text()
    choose_point(page, "TJ-KG-01")
    picture = tmp_path / "card-back.png"
    assert permit.card_back is not None
    permit.card_back.save(picture)
    page.locator("#verify-file").set_input_files(str(picture))
    assert verdict(page) == "Check and decide"
    assert "Checked offline" in page.locator("#verdict-reasons").inner_text()
    assert "stay limits could not be checked" in page.locator("#verdict-reasons").inner_text()
    assert page.locator('[data-fact="number"]').inner_text() == permit.number
    assert page.locator('[data-fact="stay"]').inner_text() == "not checked (offline)"
    # no photo offline: the facts take the card's width instead of a squeezed photo column (issue 14)
    assert page.locator("#verdict-no-photo").is_visible()
    name = page.locator('[data-fact="surname-latin"]').bounding_box()
    assert name is not None and page.locator("#verdict-person dl").bounding_box()["width"] > 300

    page.get_by_label("Why is the holder let through?").fill("Checked offline, documents match.")
    page.get_by_role("button", name="Record entry").click()
    status = page.locator("#verdict-recorded")
    status.filter(has_text="kept on this device").wait_for()
    assert page.locator("#offline-waiting").inner_text() == "Crossings waiting to be sent: 1"
    assert crossings_of(live_server.state, permit.number) == 0

    page.context.set_offline(False)  # the "online" event sends the queue
    page.locator('#offline-results li[data-status="stored"]').wait_for()
    assert permit.number in page.locator("#offline-results").inner_text()
    page.locator('#offline-status[data-waiting="0"]').wait_for(state="attached")
    assert page.locator("#offline-waiting").count() == 0
    assert crossings_of(live_server.state, permit.number) == 1

    page.reload()  # nothing is left to send again
    page.locator('#verify[data-offline-ready="true"]').wait_for(state="attached")
    assert page.locator("#offline-results li").count() == 0
    assert crossings_of(live_server.state, permit.number) == 1
    assert page.csp_violations == []


def test_offline_a_qr_with_one_changed_character_is_red(page, live_server, issue):
    permit = issue("AC9990102")
    header, payload, signature = permit.token.split(".")
    middle = len(payload) // 2
    changed = payload[:middle] + ("A" if payload[middle] != "A" else "B") + payload[middle + 1 :]
    logged_in(page, live_server, "guard")
    open_ready(page, f"{live_server.url}/crossings/verify")
    page.context.set_offline(True)

    assert check_scanned_text(page, f"http://127.0.0.1/v#{header}.{changed}.{signature}") == "May not pass"
    assert "signature does not match" in page.locator("#verdict-reasons").inner_text()
    assert page.get_by_role("button", name="Record entry").is_hidden()

    page.get_by_role("button", name="Check the next permit").click()
    assert check_scanned_text(page, permit.token) == "Check and decide"  # the genuine one
    page.get_by_role("button", name="Check the next permit").click()
    assert check_scanned_text(page, "not.an.lbt-code") == "May not pass"
    assert page.locator("#verdict-reasons").inner_text() == "This is not an LBT permit code."
    page.get_by_role("button", name="Check the next permit").click()
    page.get_by_label("Permit number").fill(permit.number)  # a number needs the server
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator("#verify-message").filter(has_text="cannot be checked offline").wait_for()
    assert page.csp_violations == []


def test_a_revoked_permit_is_red_offline_once_the_list_was_refreshed(page, live_server, issue):
    permit = issue("AC9990103")
    logged_in(page, live_server, "guard")
    open_ready(page, f"{live_server.url}/crossings/verify")
    page.context.set_offline(True)
    assert check_scanned_text(page, permit.token) == "Check and decide"  # not on the kept list yet

    page.context.set_offline(False)
    revoke(live_server.state, permit.number)
    open_ready(page, f"{live_server.url}/crossings/verify")  # online: the list is fetched again
    page.context.set_offline(True)
    assert check_scanned_text(page, permit.token) == "May not pass"
    assert "withdrawn permits" in page.locator("#verdict-reasons").inner_text()
    assert page.get_by_role("button", name="Record entry").is_hidden()
    assert page.csp_violations == []


def test_an_old_list_of_withdrawn_permits_is_warned_about(page, live_server, issue):
    permit = issue("AC9990104")
    logged_in(page, live_server, "guard")
    open_ready(page, f"{live_server.url}/crossings/verify")
    assert page.locator("#verify").get_attribute("data-revocations-max-age-hours") == "24"
    page.context.set_offline(True)
    page.evaluate(
        """() => {
          const kept = JSON.parse(localStorage.getItem("lbt.crossings.revocations"));
          kept.iat -= 25 * 3600;
          kept.checked -= 25 * 3600;  // nor confirmed by the server since (a 304 would have)
          localStorage.setItem("lbt.crossings.revocations", JSON.stringify(kept));
        }"""
    )
    page.reload()
    page.locator('#verify[data-offline-ready="true"]').wait_for(state="attached")
    status = page.locator("#offline-lines").inner_text()
    assert "(25 h old)" in status and "older than 24 h" in status
    assert check_scanned_text(page, permit.token) == "Check and decide"
    assert "older than 24 h" in page.locator("#verdict-reasons").inner_text()


def test_an_unchanged_list_is_answered_304_and_kept_as_checked_now(page, live_server, issue):
    """The browser sends the list's ETag back (``cache: "no-cache"``): the server answers 304, the
    page gets the copy the browser holds and records that the server has just confirmed it."""
    permit = issue("AC9990105")
    logged_in(page, live_server, "guard")
    sent: list[str | None] = []  # the If-None-Match of each request for the list (the server's ETag)
    page.on(
        "request",
        lambda request: (
            "/api/v1/revocations" in request.url and sent.append(request.all_headers().get("if-none-match"))
        ),
    )
    open_ready(page, f"{live_server.url}/crossings/verify")
    kept = page.evaluate("""() => JSON.parse(localStorage.getItem("lbt.crossings.revocations"))""")
    page.evaluate(
        """() => {
          const kept = JSON.parse(localStorage.getItem("lbt.crossings.revocations"));
          kept.checked -= 25 * 3600;
          localStorage.setItem("lbt.crossings.revocations", JSON.stringify(kept));
        }"""
    )
    open_ready(page, f"{live_server.url}/crossings/verify")
    again = page.evaluate("""() => JSON.parse(localStorage.getItem("lbt.crossings.revocations"))""")
    assert sent[:1] == [None] and len(sent) == 2 and str(sent[1]).startswith('W/"')
    assert again["token"] == kept["token"] and again["checked"] >= kept["checked"]
    assert "older than 24 h" not in page.locator("#offline-lines").inner_text()

    revoke(live_server.state, permit.number)  # a change: the next answer is the new list
    open_ready(page, f"{live_server.url}/crossings/verify")
    assert len(sent) == 3 and sent[2] == sent[1]  # the same ETag sent, the new list answered
    assert (
        permit.number
        in page.evaluate("""() => JSON.parse(localStorage.getItem("lbt.crossings.revocations"))""")["revoked"]
    )


# Issue 4's path with a real card and a (fake) camera: green and an entry online, then with no
# network the same camera scans and the exit is kept; back online the server holds one record each.
def test_camera_green_entry_online_then_offline_exit_is_sent_once(browser, live_server, issue, tmp_path):
    permit = issue("AC9990301", card=True)
    assert permit.card_back is not None
    video = write_y4m(permit.card_back, tmp_path / "card.y4m")
    camera_browser = browser.browser_type.launch(
        executable_path=find_chromium(),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    context = camera_browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-US", timezone_id="Asia/Dushanbe"
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        logged_in(page, live_server, "guard")
        open_ready(page, f"{live_server.url}/crossings/verify")
        choose_point(page, "TJ-KG-01")
        page.get_by_label("Entry").check()
        page.get_by_role("button", name="Scan with the camera").click()
        assert verdict(page) == "May pass"
        assert page.locator('[data-fact="number"]').inner_text() == permit.number
        page.get_by_role("button", name="Record entry").click()
        recorded = page.locator("#verdict-recorded")
        recorded.filter(has_not_text="Recording").wait_for()
        assert recorded.inner_text() == "Entry recorded."
        assert crossings_of(live_server.state, permit.number) == 1

        context.set_offline(True)
        page.reload()  # from the service worker's cache
        page.locator('#verify[data-offline-ready="true"]').wait_for(state="attached")
        choose_point(page, "TJ-KG-01")
        page.get_by_label("Exit").check()
        page.get_by_role("button", name="Scan with the camera").click()
        assert verdict(page) == "Check and decide"  # offline: never green, stay limits unchecked
        page.get_by_label("Why is the holder let through?").fill(
            "Checked offline, the card matches the passport."
        )
        page.get_by_role("button", name="Record exit").click()
        recorded.filter(has_text="kept on this device").wait_for()
        assert page.locator("#offline-waiting").inner_text() == "Crossings waiting to be sent: 1"
        assert crossings_of(live_server.state, permit.number) == 1

        context.set_offline(False)  # the queue goes out by itself
        page.locator('#offline-results li[data-status="stored"]').wait_for()
        assert crossings_of(live_server.state, permit.number) == 2
        page.reload()  # nothing is sent twice
        page.locator('#verify[data-offline-ready="true"]').wait_for(state="attached")
        assert crossings_of(live_server.state, permit.number) == 2
    finally:
        context.close()
        camera_browser.close()
