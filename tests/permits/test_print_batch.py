"""Printing: whatever the application form accepts, the card prints (names too long for their field are
shortened as ICAO Doc 9303 allows, never refused); a print batch holds only valid permits, prints what
it can and names what it skipped and why, and `lbt permits print` then exits with 1."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from pypdf import PdfReader
from sqlalchemy import select

from lbt import create_app
from lbt.accounts.models import Role
from lbt.applications.models import Application
from lbt.applications.submission import MAX_DOCUMENT_NUMBER_LENGTH, MAX_NAME_LENGTH
from lbt.audit.models import AuditActor
from lbt.cli import main
from lbt.core.settings import Settings
from lbt.permits import services as permit_services
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.printing import print_batch
from lbt.storage.uploads import check_photo
from tests.applications.test_public_views import error_beside, form_data, jpeg, send
from tests.dbutil import temporary_database
from tests.fixtures.applications import PDF, photo_bytes

# the widest letters the form accepts, to the form's own limits
WIDEST = {
    "surname_national": "Щ" * MAX_NAME_LENGTH,
    "given_names_national": "Ж" * MAX_NAME_LENGTH,
    "surname_latin": "W" * MAX_NAME_LENGTH,
    "given_names_latin": "M" * MAX_NAME_LENGTH,
    "document_number": "W" * MAX_DOCUMENT_NUMBER_LENGTH,
}


def pages_text(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def batch(db, permits, store, clock):  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    report = print_batch(
        db,
        [permit.id for permit in permits],
        out,
        today=clock().date(),
        now=clock(),
        home_state="TJ",
        authority="Border service",
        public_url="http://localhost",
        files=store,
    )
    return report, out.getvalue()


def test_a_maximal_application_is_accepted_and_its_card_prints(
    client, ref, db, approve_one, app_store, clock
):
    response = send(
        client,
        form_data(ref, **WIDEST),
        photo=jpeg(),
        documents=(("residence_proof", PDF, "residence.pdf"),),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    application = db.scalar(select(Application))
    assert application.surname_national == WIDEST["surname_national"]  # stored in full
    permit = approve_one(application)
    assert isinstance(permit, Permit)

    report, pdf = batch(db, [permit], app_store, clock)
    assert report.printed == (permit.number,) and report.skipped == ()
    front, back = pages_text(pdf)
    # as much of each name as the card holds (wrapped lines joined), a visible "…" where it was cut;
    # the given names are cut before the surnames
    kept = {letter: len(max(re.findall(f"{letter}+", front.replace(" ", "")), key=len)) for letter in "ЩЖWM"}
    assert kept["Щ"] >= 60 and kept["W"] >= 60
    assert kept["Ж"] >= 25 and kept["M"] >= 25
    assert "…" in front
    # the travel document number is never cut: it is what the officer matches against the passport
    assert WIDEST["document_number"] in back.replace(" ", "")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("surname_national", "Ш" * (MAX_NAME_LENGTH + 1), "Field cannot be longer than 100 characters."),
        ("given_names_national", "王小明", "The permit card cannot print these characters: 小 明 王"),
        (
            "document_number",
            "A" * (MAX_DOCUMENT_NUMBER_LENGTH + 1),
            "Field cannot be longer than 30 characters.",
        ),
    ],
    ids=["name-too-long", "no-glyph", "document-number-too-long"],
)
def test_the_form_refuses_what_the_permit_cannot_hold_or_print(client, ref, db, field, value, message):
    response = send(
        client,
        form_data(ref, **{field: value}),
        photo=jpeg(),
        documents=(("residence_proof", PDF, "residence.pdf"),),
    )
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), field) == message
    assert db.scalar(select(Application)) is None


def test_the_service_refuses_a_name_longer_than_the_permit_holds(make_application):
    from lbt.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="longer than 100 characters") as error:
        make_application(surname_latin="ab" * 51)
    assert error.value.field == "surname_latin"


def test_a_batch_prints_the_valid_permits_and_names_the_others(
    db, make_application, approve_one, users, store, clock
):
    officer = users[Role.OFFICER]
    made = [
        approve_one(make_application(surname_latin=surname).application)
        for surname in ("ALIEV", "BOBOEV", "KARIMOV", "NAZAROV", "SAIDOV")
    ]
    active, suspended, revoked, no_photo, no_glyph = made
    permit_services.suspend(db, suspended, officer=officer, reason="Under review", now=clock())
    permit_services.revoke(db, revoked, officer=officer, reason="Overstay", now=clock())
    no_photo.photo = store.save(check_photo(photo_bytes(), "lost.jpg"))
    (store.directory / no_photo.photo.stored_name).unlink()  # lost from the file store
    no_glyph.given_names_national = "Фаррух 王"  # issued before the form checked the font
    db.flush()

    report, pdf = batch(db, made, store, clock)
    assert report.printed == (active.number,)
    assert {skipped.number: skipped.reason for skipped in report.skipped} == {
        suspended.number: "the permit is suspended",
        revoked.number: "the permit is revoked",
        no_photo.number: "the holder's photo is missing from the file store",
        no_glyph.number: f"the card cannot be printed: cannot print '王' (U+738B) in {'Фаррух 王'!r}: "
        "the card font has no glyph for it",
    }
    front, _back = pages_text(pdf)  # one card, no half-drawn pages of the others
    assert active.number in front and "ALIEV" in front
    # drawn parts are let go of the session (a batch of any size holds one part), the mark kept
    assert not any(isinstance(held, Permit) for held in db.identity_map.values())
    assert db.get(Permit, active.id).card_printed_at is not None
    assert db.get(Permit, suspended.id).card_printed_at is None


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """A database of its own with the demo loaded: permits in every status."""
    directory = tmp_path_factory.mktemp("print")
    with temporary_database(directory, "lbt_print") as url:
        settings = Settings(
            instance_path=directory / "instance", database_url=url, secret_key="k" * 40, testing=True
        )
        app = create_app(settings)
        app.extensions["lbt"].clock = lambda: datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
        assert run(app, "demo").exit_code == 0
        yield app
        app.extensions["lbt"].database.dispose()


def run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def permits_by_status(app: Flask) -> dict[PermitStatus, list[str]]:
    found: dict[PermitStatus, list[str]] = {}
    with app.extensions["lbt"].database.transaction() as session:
        for permit in session.scalars(select(Permit).order_by(Permit.id)):
            found.setdefault(permit.effective_status(datetime(2026, 11, 22).date()), []).append(permit.number)
    return found


def test_the_command_skips_suspended_and_revoked_permits_and_says_so(demo_app, tmp_path):
    statuses = permits_by_status(demo_app)
    valid, suspended, revoked = (
        statuses[s] for s in (PermitStatus.ACTIVE, PermitStatus.SUSPENDED, PermitStatus.REVOKED)
    )
    out = tmp_path / "batch.pdf"
    numbers = [valid[0], suspended[0], revoked[0]]
    result = run(demo_app, "permits", "print", *(f"--number={n}" for n in numbers), "-o", str(out))
    assert result.exit_code == 1, result.output
    assert "1 card(s) written to" in result.output
    assert f"Skipped {suspended[0]}: the permit is suspended." in result.output
    assert f"Skipped {revoked[0]}: the permit is revoked." in result.output
    assert "2 permit(s) skipped." in result.output
    assert "Traceback" not in result.output
    assert len(PdfReader(out).pages) == 2
    assert (out.stat().st_mode & 0o777) == 0o600


def test_the_command_exits_0_when_every_card_printed(demo_app, tmp_path):
    valid = permits_by_status(demo_app)[PermitStatus.ACTIVE]
    out = tmp_path / "batch.pdf"
    result = run(demo_app, "permits", "print", *(f"--number={n}" for n in valid[:2]), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Skipped" not in result.output
    assert len(PdfReader(out).pages) == 4


def test_the_command_writes_no_file_when_nothing_could_be_printed(demo_app, tmp_path):
    suspended = permits_by_status(demo_app)[PermitStatus.SUSPENDED]
    out = tmp_path / "batch.pdf"
    result = run(demo_app, "permits", "print", f"--number={suspended[0]}", "-o", str(out))
    assert result.exit_code == 1
    assert "No card printed" in result.output and not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind either


@pytest.mark.parametrize(("hour", "printed"), [(18, True), (20, False)])
def test_a_card_expires_for_printing_at_the_home_states_midnight(demo_app, tmp_path, hour, printed):
    """A permit on its last day, printed at 18:00 UTC on that day (23:00 in Dushanbe) is printed; at
    20:00 UTC (01:00 the next day there) it has expired, although UTC's day is still its last."""
    state = demo_app.extensions["lbt"]
    with state.database.transaction(AuditActor(None, "test", "cli")) as session:
        permit = session.scalars(
            select(Permit).where(Permit.status == PermitStatus.ACTIVE).order_by(Permit.id.desc())
        ).first()
        assert permit is not None
        number, kept_until, last_day = (
            permit.number,
            permit.valid_until,
            permit.valid_from + timedelta(days=1),
        )
        permit.valid_until = last_day
    kept_clock = state.clock
    state.clock = lambda: datetime(last_day.year, last_day.month, last_day.day, hour, 0, tzinfo=UTC)
    try:
        result = run(demo_app, "permits", "print", f"--number={number}", "-o", str(tmp_path / "one.pdf"))
    finally:
        state.clock = kept_clock
        with state.database.transaction(AuditActor(None, "test", "cli")) as session:
            session.scalars(select(Permit).where(Permit.number == number)).one().valid_until = kept_until
    if printed:
        assert result.exit_code == 0, result.output
    else:
        assert f"Skipped {number}: the permit has expired." in result.output
