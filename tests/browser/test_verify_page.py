"""A border guard on a phone checks a permit on the live server: by its number, and by showing the
printed card to a (fake) camera; the verdict is shown and the entry is recorded exactly once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.applications.models import Application, ApplicationKind, FeeStatus, Sex, TravelDocumentType
from lbt.applications.services import approve, local_today, validity_bounds
from lbt.applications.submission import ApplicationInput, submit
from lbt.crossings.models import Crossing
from lbt.demo.applications import demo_photo
from lbt.permits.models import Permit
from lbt.permits.printing import card_pdf
from lbt.permits.services import PermitIssuer
from lbt.permits.signing import KeyStore
from lbt.reference.models import Locality, State
from lbt.storage.uploads import FileStore, check_photo
from lbt.web.state import AppState
from tests.fixtures.browser import CHROMIUM_ARGS, LiveServer, find_chromium, logged_in

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Holder:
    surname_national: str
    given_names_national: str
    surname_latin: str
    given_names_latin: str
    birth_date: date


def submitted_application(
    session: Session, state: AppState, holder: Holder, document_number: str, now: datetime
) -> Application:
    """A new application in the live server's database, submitted at ``now`` by a holder of its own."""
    settings = state.settings
    # where the applicants live: the partner's side of the border
    locality = session.scalars(
        select(Locality).join(Locality.state).where(State.code != settings.home_state).order_by(Locality.id)
    ).first()
    assert locality is not None
    photo = state.find(FileStore).save(check_photo(demo_photo(holder.surname_national[:2], 2), "photo.jpg"))
    session.add(photo)
    data = ApplicationInput(
        locality_id=locality.id,
        kind=ApplicationKind.FIRST,
        surname_national=holder.surname_national,
        given_names_national=holder.given_names_national,
        surname_latin=holder.surname_latin,
        given_names_latin=holder.given_names_latin,
        sex=Sex.MALE,
        birth_date=holder.birth_date,
        birth_place=locality.name_latin,
        nationality="KGZ",
        phone="+996 770 555 123",
        document_type=TravelDocumentType.PASSPORT,
        document_number=document_number,
        document_issuing_state="KGZ",
        document_expiry=date(2034, 6, 30),
        address=f"{locality.name_latin}, 1 Manas street",
        resident_since=date(2001, 5, 1),
        reason="family",
        reason_text="Visiting relatives across the border.",
        declaration_accepted=True,
        preferred_locale="ru",
    )
    return submit(session, data, photo=photo, documents=[], now=now, home_state="TJ").application


def issue_permit(
    state: AppState, holder: Holder, document_number: str, *, card: bool
) -> tuple[str, str, bytes | None]:
    """A new application approved today in the live server's database, for a holder of its own (so no
    other test's crossings count); returns the permit number, its token and, if asked, its card."""
    settings = state.settings
    now = datetime.now(UTC)
    with state.database.transaction() as session:
        officer = session.scalar(select(User).where(User.username == "officer"))
        assert officer is not None
        application = submitted_application(session, state, holder, document_number, now)
        permit = approve(
            session,
            application,
            officer=officer,
            valid_from=local_today(application, now),
            valid_until=validity_bounds(application, local_today(application, now)).max_until,
            fee_status=FeeStatus.PAID,
            issue=PermitIssuer(settings.home_state, state.find(KeyStore).active_key()),
            now=now,
        )
        assert isinstance(permit, Permit)
        pdf = card_pdf(session, permit, settings=settings, files=state.find(FileStore)) if card else None
        return permit.number, permit.token, pdf


def crossings_of(state: AppState, number: str) -> int:
    """How many crossings of this permit the live server holds."""
    with state.database.transaction() as session:
        return session.scalar(
            select(func.count())
            .select_from(Crossing)
            .join(Permit, Permit.id == Crossing.permit_id)
            .where(Permit.number == number)
        )


@dataclass(frozen=True)
class LiveData:
    state: AppState
    number: str  # a permit of its own, valid from today (the demo permits start tomorrow)
    card_back: Image.Image

    def crossings_of(self, number: str) -> int:
        return crossings_of(self.state, number)


@pytest.fixture(scope="module")
def live_data(live_server: LiveServer) -> LiveData:
    """A new application approved today, so that no other test's crossings change its verdict."""
    holder = Holder("Тошматов", "Камол", "TOSHMATOV", "KAMOL", date(1980, 2, 3))
    number, _token, pdf = issue_permit(live_server.state, holder, "AC9990001", card=True)
    assert pdf is not None
    return LiveData(live_server.state, number, render_back(pdf))


def render_back(pdf: bytes) -> Image.Image:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        back = document[1]
        return back.render(scale=960 / back.get_width()).to_pil().convert("RGB")
    finally:
        document.close()


def write_y4m(image: Image.Image, path: Path, frames: int = 10) -> Path:
    """A still video for Chromium's fake camera: the card on a white 960×720 frame, YUV 4:2:0."""
    frame = Image.new("RGB", (960, 720), "white")
    frame.paste(image, ((960 - image.width) // 2, (720 - image.height) // 2))
    y, u, v = frame.convert("YCbCr").split()
    half = (frame.width // 2, frame.height // 2)
    planes = y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{frame.width} H{frame.height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)
    return path


def verdict(page) -> str:  # type: ignore[no-untyped-def]
    page.locator("#verify-result").wait_for(state="visible")
    return page.locator("#verdict-title").inner_text()


def record_entry(page) -> str:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Record entry").click()
    status = page.locator("#verdict-recorded")
    status.filter(has_not_text="Recording").wait_for()
    return status.inner_text()


def choose_point(page, code: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Crossing point").select_option(code)


def test_a_typed_permit_number_gets_its_verdict_and_the_entry_is_recorded_once(
    page, live_server, live_data, tmp_path
):
    logged_in(page, live_server, "guard")
    page.goto(f"{live_server.url}/crossings/verify")
    choose_point(page, "TJ-KG-01")
    page.get_by_label("Permit number").fill(live_data.number)
    page.get_by_role("button", name="Check", exact=True).click()
    assert verdict(page) == "May pass"
    assert page.locator("#verdict-reasons").inner_text() == "Valid: the holder may pass."
    assert page.locator('[data-fact="surname-latin"]').inner_text() == "TOSHMATOV"
    assert page.locator('[data-fact="surname-national"]').inner_text() == "Тошматов"
    assert page.locator('[data-fact="document"]').inner_text() == "AC9990001"
    assert (
        page.locator('[data-fact="birth-date"]').inner_text() == "03/02/1980"
    )  # not ISO: the page language's pattern
    page.locator("#verdict-photo").wait_for(state="visible")
    page.screenshot(
        path=str(Path(os.environ.get("LBT_SCREENSHOTS", tmp_path)) / "verdict-390.png"), full_page=True
    )
    assert record_entry(page) == "Entry recorded."
    assert live_data.crossings_of(live_data.number) == 1
    # the same permit again: the holder is inside now, so the page asks the guard to decide
    page.get_by_role("button", name="Check the next permit").click()
    page.get_by_label("Permit number").fill(live_data.number)
    page.get_by_role("button", name="Check", exact=True).click()
    assert verdict(page) == "Check and decide"
    assert "without an exit" in page.locator("#verdict-reasons").inner_text()
    assert page.csp_violations == []


def test_an_unknown_number_is_red(page, live_server):
    logged_in(page, live_server, "guard")
    page.goto(f"{live_server.url}/crossings/verify")
    page.get_by_label("Permit number").fill("TJ-2026-999999-2")
    page.get_by_role("button", name="Check", exact=True).click()
    assert verdict(page) == "May not pass"
    assert page.locator("#verdict-reasons").inner_text() == "No permit with this number is on record."
    assert page.get_by_role("button", name="Record entry").is_hidden()


@pytest.fixture
def camera_page(browser, live_data, tmp_path) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A phone whose camera films the back of the printed card: a second Chromium from the same
    Playwright, launched with the fake-camera flags the shared browser lacks."""
    video = write_y4m(live_data.card_back, tmp_path / "card.y4m")
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
    page.csp_violations = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and page.csp_violations.append(message.text)
        ),
    )
    try:
        yield page
    finally:
        context.close()
        camera_browser.close()


def test_the_card_shown_to_the_camera_is_read_and_its_exit_recorded(camera_page, live_server, live_data):
    page = camera_page
    logged_in(page, live_server, "guard")
    page.goto(f"{live_server.url}/crossings/verify")
    choose_point(page, "TJ-KG-02")
    page.get_by_label("Exit").check()
    page.get_by_role("button", name="Scan with the camera").click()
    assert verdict(page) in ("May pass", "Check and decide")
    assert page.locator('[data-fact="number"]').inner_text() == live_data.number
    before = live_data.crossings_of(live_data.number)
    if page.get_by_label("Why is the holder let through?").is_visible():  # run alone: no entry before
        page.get_by_label("Why is the holder let through?").fill("Entry was not recorded at the other post.")
    page.get_by_role("button", name="Record exit").click()
    status = page.locator("#verdict-recorded")
    status.filter(has_not_text="Recording").wait_for()
    assert status.inner_text() == "Exit recorded."
    assert live_data.crossings_of(live_data.number) == before + 1
    assert page.locator("video").evaluate("video => video.srcObject") is None  # the camera is off again
    assert page.csp_violations == []


def test_a_photo_of_the_card_is_read_when_there_is_no_camera(page, live_server, live_data, tmp_path):
    logged_in(page, live_server, "guard")
    page.goto(f"{live_server.url}/crossings/verify")
    page.get_by_role("button", name="Scan with the camera").click()
    message = page.locator("#verify-message")
    message.filter(has_text="camera").wait_for()
    assert message.inner_text().startswith(("No camera was found", "The camera was refused"))
    picture = tmp_path / "card-back.png"
    live_data.card_back.save(picture)
    page.locator("#verify-file").set_input_files(str(picture))
    assert verdict(page) in ("May pass", "Check and decide")
    assert page.locator('[data-fact="number"]').inner_text() == live_data.number
    assert page.csp_violations == []
