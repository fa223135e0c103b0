"""The resident's pages: applying without an account, and following the application with its code."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lbt.accounts.models import Role
from lbt.applications import services, submission
from lbt.applications.models import Application, ApplicationStatus, DocumentKind, EventKind, FeeStatus
from lbt.notifications.models import OutboxMessage
from lbt.storage.models import StoredFile
from lbt.storage.uploads import MAX_PHOTO_BYTES, FileStore
from tests.fixtures.applications import PDF

CODE_RE = re.compile(r"data-access-code>([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})<")
TOKEN_RE = r'name="{name}" value="([^"]+)"'
NOT_FOUND = "No application matches this reference and access code."


def jpeg(size: tuple[int, int] = (360, 460), *, exif_make: str | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (190, 170, 150))
    if exif_make:
        exif = Image.Exif()
        exif[0x010F] = exif_make  # Make
        exif[0x0110] = "Model with a secret"  # Model
        image.save(out, "JPEG", exif=exif.tobytes())
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def form_data(ref: Any, **changes: str) -> dict[str, str]:
    data = {
        "kind": "first",
        "surname_national": "Раҳимов",
        "given_names_national": "Фаррух",
        "surname_latin": "RAHIMOV",
        "given_names_latin": "FARRUKH",
        "sex": "M",
        "birth_date": "1985-04-12",
        "birth_place": "Batken",
        "nationality": "KGZ",
        "phone": "+992 92 123 4567",
        "email": "farrukh@example.org",
        "document_type": "passport",
        "document_number": "A1234567",
        "document_issuing_state": "KGZ",
        "document_expiry": "2031-06-30",
        "locality_id": str(ref.locality.id),
        "address": "Ak-Sai, Navruz street 5",
        "resident_since": "2010-01-01",
        "reason": "family",
        "reason_text": "My sister lives in Vorukh.",
        "declaration_accepted": "y",
        "consent": "y",
    }
    data.update(changes)
    return data


def send(
    client: Any,
    data: dict[str, Any],
    *,
    photo: bytes | None = None,
    photo_name: str = "me.jpg",
    documents: tuple[tuple[str, bytes, str], ...] = (),
    url: str = "/apply/",
) -> Any:
    payload = MultiDict({"csrf_token": client.csrf_token(), **data})
    if photo is not None:
        payload["photo"] = FileStorage(io.BytesIO(photo), photo_name)
    for index, (kind, content, name) in enumerate(documents):
        payload[f"documents-{index}-kind"] = kind
        payload[f"documents-{index}-file"] = FileStorage(io.BytesIO(content), name)
    # encoded in memory: the test client would spool a large body to a temporary file it never closes
    boundary, body = encode_multipart(payload)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def error_beside(page: str, field_id: str) -> str:
    match = re.search(rf'<p class="field__error" id="{re.escape(field_id)}-error"[^>]*>(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def count(db: Any, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model))


@dataclass
class Applied:
    reference: str
    code: str


def apply(client: Any, ref: Any, **changes: str) -> Applied:
    response = send(
        client,
        form_data(ref, **changes),
        photo=jpeg(),
        documents=(("residence_proof", PDF, "residence.pdf"),),
    )
    assert response.status_code == 302, error_summary(response.get_data(as_text=True))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    reference = re.search(r"data-reference>([^<]+)<", page).group(1)  # type: ignore[union-attr]
    return Applied(reference, CODE_RE.search(page).group(1))  # type: ignore[union-attr]


def error_summary(page: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    return html.unescape(match.group(0)) if match else page[:2000]


def stored_application(db: Any, reference: str) -> Application:
    db.expire_all()
    return db.scalar(select(Application).where(Application.reference == reference))


# --- applying ---------------------------------------------------------------------------------


def test_the_form_lists_the_border_area_and_the_agreements_reasons(client, ref):
    page = client.get("/apply/").get_data(as_text=True)
    assert (
        f'<optgroup label="TJ-KG: Kyrgyzstan · Batken"><option data-agreement="{ref.agreement.id}" value="{ref.locality.id}">Ak-Sai — Ак-Сай</option>'
        in page
    )
    assert re.search(r'<option data-agreements="[\d ]+" value="family">Family ties</option>', page)
    assert 'value="education"' not in page  # no agreement in force accepts it
    assert (
        'data-date="day"' in page
        and 'type="date"' not in page
        and 'autocomplete="family-name"' in page
        and 'inputmode="tel"' in page
    )
    assert 'src="/static/js/apply.js"' in page and "<script>" not in page


def test_a_complete_application_gives_a_reference_and_a_code_shown_once(client, ref, db):
    response = send(
        client, form_data(ref), photo=jpeg(), documents=(("residence_proof", PDF, "residence.pdf"),)
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/apply/submitted"

    confirmation = client.get("/apply/submitted")
    page = confirmation.get_data(as_text=True)
    assert confirmation.headers["Cache-Control"] == "no-store"
    assert "data-reference>LBT-2026-000001<" in page
    code = CODE_RE.search(page).group(1)  # type: ignore[union-attr]

    application = stored_application(db, "LBT-2026-000001")
    assert application.status is ApplicationStatus.SUBMITTED
    assert (application.surname_latin, application.locality_id, application.preferred_locale) == (
        "RAHIMOV",
        ref.locality.id,
        "en",
    )
    assert [(d.kind, d.file.content_type) for d in application.documents] == [
        (DocumentKind.RESIDENCE_PROOF, "application/pdf")
    ]
    assert submission.find_for_applicant(db, "LBT-2026-000001", code) is application

    mail = db.scalar(select(OutboxMessage))
    assert mail.recipient == "farrukh@example.org"
    assert (
        "LBT-2026-000001" in mail.body and code in mail.body and "http://localhost/apply/status" in mail.body
    )

    again = client.get("/apply/submitted", follow_redirects=True).get_data(as_text=True)
    assert code not in again  # shown once; the page now is the application's own page
    assert "LBT-2026-000001" in again


def test_the_language_of_the_form_is_kept_for_the_mails(client, ref, db):
    client.set_cookie("lbt_locale", "ru")
    assert send(client, form_data(ref), photo=jpeg()).status_code == 302
    assert stored_application(db, "LBT-2026-000001").preferred_locale == "ru"


def test_the_photo_is_stored_re_encoded_without_its_metadata(client, ref, db, app):
    original = jpeg(exif_make="SpyCam 3000")
    assert b"SpyCam" in original
    assert send(client, form_data(ref), photo=original).status_code == 302
    photo = stored_application(db, "LBT-2026-000001").photo
    stored = app.extensions["lbt"].find(FileStore).read(photo)
    assert b"SpyCam" not in stored and b"secret" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and dict(image.getexif()) == {}
    assert photo.original_name == "me.jpg" and photo.stored_name not in ("me.jpg", "")


def test_an_empty_form_answers_each_field_and_stores_nothing(client, ref, db):
    response = send(client, {"kind": "first"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error_beside(page, "surname_national") == "This field is required."
    assert error_beside(page, "birth_date") == "Enter your date of birth."
    assert error_beside(page, "sex") == "Choose one of the options."
    assert error_beside(page, "locality_id") == "Choose your locality from the list."
    assert error_beside(page, "photo") == "Add a photo of yourself."
    assert error_beside(page, "declaration_accepted") == "You must accept the declaration."
    assert (
        '<a href="#surname_national">Surname(s): This field is required.</a>' in page
    )  # the summary links to it
    assert count(db, Application) == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"birth_date": "1985-02-31"}, "birth_date", "Enter the date as 14/03/1985."),
        (
            {"document_expiry": "1980-01-01"},
            "document_expiry",
            "The expiry date must be after the date of birth.",
        ),
        ({"birth_date": "2027-01-01"}, "birth_date", "Enter a real date of birth."),
        (
            {"resident_since": "2025-01-01"},
            "resident_since",
            "You must have lived in the border area for at least 3 years.",
        ),
        (
            {"document_expiry": "2026-11-01"},
            "document_expiry",
            "The travel document has expired: a valid travel document is required.",
        ),
        ({"kind": "renewal"}, "previous_permit_number", "Give the number of the permit you want to renew."),
        ({"reason": "other", "reason_text": ""}, "reason_text", "Describe your reason for crossing."),
        (
            {"family_relationship": "spouse"},
            "family_reference",
            "Give the permit or application number of your family member.",
        ),
        ({"fee_exemption": "student"}, "fee_exemption", "Not a valid choice."),
        (
            {"surname_latin": "Рахимов"},
            "surname_latin",
            "Use Latin letters A–Z only (and space, hyphen, apostrophe).",
        ),
        ({"phone": "call me"}, "phone", "Enter a phone number: digits, with + and the country code."),
        ({"email": "farrukh-at-example"}, "email", "Enter an email address like name@example.org."),
        ({"locality_id": "999999"}, "locality_id", "Choose a locality from the list of the border area."),
        ({"consent": ""}, "consent", "Your consent is needed to process the application."),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_stores_no_application(
    client, ref, db, changes, field, message
):
    response = send(client, form_data(ref, **changes), photo=jpeg())
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), field) == message
    assert count(db, Application) == 0


def test_a_locality_outside_the_border_area_is_refused(client, ref, db):
    ref.locality.distance_km = 49
    ref.agreement.border_area_straddle_km = 40
    db.flush()
    response = send(client, form_data(ref), photo=jpeg())
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "locality_id") == (
        "Ak-Sai lies outside the border area (49.0 km from the border)."
    )
    assert count(db, Application) == 0


@pytest.mark.parametrize(
    ("photo", "name", "message"),
    [
        (b"\xff\xd8\xff" + b"0" * MAX_PHOTO_BYTES, "big.jpg", "The file is too large: at most 5 MB."),
        (b"just some text, not a picture", "me.jpg", "The file is not a JPEG or PNG image."),
        (b"\xff\xd8\xff\xe0 broken jpeg body", "me.jpg", "The file is not a readable image."),
        (PDF, "me.jpg", "The file is not a JPEG or PNG image."),
        (jpeg((200, 260)), "small.jpg", "The photo is too small: at least 300 × 385 pixels."),
        (
            jpeg((600, 460)),
            "wide.jpg",
            "The photo must be portrait, about 35 × 45 mm (like a passport photo).",
        ),
    ],
    ids=["too-many-bytes", "text", "broken-jpeg", "pdf", "too-small", "landscape"],
)
def test_a_bad_photo_is_refused_beside_the_photo_field(client, ref, db, photo, name, message):
    response = send(client, form_data(ref), photo=photo, photo_name=name)
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "photo") == message
    assert count(db, Application) == 0 and count(db, StoredFile) == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"%PDF-1.4 this is not really a PDF", "residence.pdf", "The file is not a complete PDF document."),
        (b"MZ\x90\x00 an executable", "residence.pdf", "The file is not a PDF, JPEG or PNG file."),
        (b"\x89PNG\r\n\x1a\n not a png", "scan.png", "The file is not a readable image."),
    ],
    ids=["truncated-pdf", "executable", "broken-png"],
)
def test_a_document_that_is_not_what_it_claims_is_refused(client, ref, db, content, name, message):
    response = send(client, form_data(ref), photo=jpeg(), documents=(("residence_proof", content, name),))
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "documents-0-file") == message
    assert count(db, Application) == 0


def test_a_document_needs_its_kind(client, ref, db):
    response = send(client, form_data(ref), photo=jpeg(), documents=(("", PDF, "residence.pdf"),))
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "documents-0-kind") == "Say what this document is."


def test_after_an_error_everything_entered_stays_and_the_uploads_are_reused(client, ref, db):
    response = send(
        client,
        form_data(
            ref,
            resident_since="2025-01-01",
            family_relationship="",
            reason_text="Visiting my sister & her kids",
        ),
        photo=jpeg(),
        documents=(("residence_proof", PDF, "residence.pdf"),),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for value in (
        'value="Раҳимов"',
        'value="RAHIMOV"',
        'value="1985-04-12"',
        'value="A1234567"',
        'value="+992 92 123 4567"',
        f'selected value="{ref.locality.id}"',
        'value="Ak-Sai, Navruz street 5"',
        'value="2025-01-01"',
    ):
        assert value in page
    assert re.search(r'<input checked id="sex-1" name="sex" required type="radio" value="M">', page)
    assert "Visiting my sister &amp; her kids</textarea>" in page
    assert "me.jpg uploaded — choose a new file to replace it." in page
    assert "residence.pdf uploaded — choose a new file to replace it." in page
    assert re.search(r'<option selected value="residence_proof">', page)
    photo_token = re.search(TOKEN_RE.format(name="photo_token"), page).group(1)  # type: ignore[union-attr]
    document_token = re.search(TOKEN_RE.format(name="documents-0-token"), page).group(1)  # type: ignore[union-attr]
    assert count(db, StoredFile) == 2  # kept although the form was refused

    data = form_data(
        ref,
        photo_token=photo_token,
        **{"documents-0-token": document_token, "documents-0-kind": "residence_proof"},
    )
    assert send(client, data).status_code == 302  # no new upload needed
    application = stored_application(db, "LBT-2026-000001")
    assert application.photo.original_name == "me.jpg"
    assert [d.file.original_name for d in application.documents] == ["residence.pdf"]
    assert count(db, StoredFile) == 2


def test_a_kept_document_can_be_removed(client, ref, db):
    page = send(
        client,
        form_data(ref, birth_date=""),
        photo=jpeg(),
        documents=(("residence_proof", PDF, "residence.pdf"),),
    ).get_data(as_text=True)
    data = form_data(ref, photo_token=re.search(TOKEN_RE.format(name="photo_token"), page).group(1))  # type: ignore[union-attr]
    data |= {
        "documents-0-token": re.search(TOKEN_RE.format(name="documents-0-token"), page).group(1),  # type: ignore[union-attr]
        "documents-0-kind": "residence_proof",
        "documents-0-remove": "1",
    }
    assert send(client, data).status_code == 302
    assert stored_application(db, "LBT-2026-000001").documents == []


def test_a_tampered_or_foreign_upload_token_is_ignored_with_a_message(client, app, ref, db):
    page = send(client, form_data(ref, birth_date=""), photo=jpeg()).get_data(as_text=True)
    token = re.search(TOKEN_RE.format(name="photo_token"), page).group(1)  # type: ignore[union-attr]
    kept = "The file you sent earlier could not be kept. Please choose it again."

    tampered = send(client, form_data(ref, photo_token=token[:-3] + "AAA")).get_data(as_text=True)
    assert kept in error_beside(tampered, "photo")

    other_browser = app.test_client()
    foreign = send(other_browser, form_data(ref, photo_token=token))
    assert foreign.status_code == 400 and kept in error_beside(foreign.get_data(as_text=True), "photo")

    document_as_photo = send(
        client, form_data(ref, **{"photo_token": "", "documents-0-token": token, "documents-0-kind": "other"})
    )
    assert kept in error_beside(document_as_photo.get_data(as_text=True), "documents-0-file")
    assert count(db, Application) == 0


def test_a_new_photo_replaces_the_kept_one(client, ref, db):
    page = send(client, form_data(ref, birth_date=""), photo=jpeg(), photo_name="old.jpg").get_data(
        as_text=True
    )
    token = re.search(TOKEN_RE.format(name="photo_token"), page).group(1)  # type: ignore[union-attr]
    assert (
        send(client, form_data(ref, photo_token=token), photo=jpeg(), photo_name="new.jpg").status_code == 302
    )
    assert stored_application(db, "LBT-2026-000001").photo.original_name == "new.jpg"


# --- following the application ----------------------------------------------------------------


def open_status(client: Any, applied: Applied) -> Any:
    return client.submit(
        "/apply/status", {"reference": applied.reference.lower(), "access_code": applied.code.lower()}
    )


def test_the_reference_and_code_open_the_status_page(client, app, ref):
    applied = apply(client, ref)
    other = app.test_client()
    response = open_status(other, applied)
    assert response.status_code == 302 and response.headers["Location"] == "/apply/status/view"
    page = other.get("/apply/status/view")
    text = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert f"Application {applied.reference}" in text
    assert "Submitted: waiting for a decision" in text
    assert "Application received" in text
    assert other.get("/apply/status/photo").headers["Content-Type"] == "image/jpeg"


def test_a_wrong_code_and_a_wrong_reference_get_the_same_answer(client, app, ref):
    applied = apply(client, ref)
    other = app.test_client()
    wrong_code = other.submit(
        "/apply/status", {"reference": applied.reference, "access_code": "AAAA-BBBB-CCCC-DDDD"}
    )
    wrong_reference = other.submit(
        "/apply/status", {"reference": "LBT-2026-999999", "access_code": applied.code}
    )
    assert wrong_code.status_code == wrong_reference.status_code == 400
    assert NOT_FOUND in wrong_code.get_data(as_text=True)
    assert NOT_FOUND in wrong_reference.get_data(as_text=True)
    assert other.get("/apply/status/view").status_code == 302


def test_the_status_login_is_rate_limited(client, ref):
    for _attempt in range(10):
        assert (
            client.submit(
                "/apply/status", {"reference": "LBT-2026-000001", "access_code": "WRONG"}
            ).status_code
            == 400
        )
    refused = client.submit("/apply/status", {"reference": "LBT-2026-000001", "access_code": "WRONG"})
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)


def test_another_browser_cannot_see_this_application(client, app, ref):
    first = apply(client, ref)
    second_client = app.test_client()
    second = apply(second_client, ref, document_number="B7654321")
    assert first.reference != second.reference
    page = second_client.get("/apply/status/view").get_data(as_text=True)
    assert second.reference in page and first.reference not in page
    stranger = app.test_client()
    assert stranger.get("/apply/status/view").headers["Location"] == "/apply/status"
    assert stranger.get("/apply/status/photo").status_code == 404
    assert stranger.get("/apply/status/permit.pdf").status_code == 302


def test_the_status_page_closes_after_inactivity_and_on_logout(client, ref, clock):
    apply(client, ref)
    assert client.get("/apply/status/view").status_code == 200
    clock.advance(minutes=31)
    closed = client.get("/apply/status/view", follow_redirects=True).get_data(as_text=True)
    assert "the application page was closed" in closed
    applied = apply(client, ref, document_number="B7654321")
    open_status(client, applied)
    assert client.submit("/apply/status/logout").status_code == 302
    assert client.get("/apply/status/view").status_code == 302


def test_an_information_request_is_shown_and_answering_returns_the_application(client, ref, db, users, clock):
    applied = apply(client, ref)
    application = stored_application(db, applied.reference)
    services.request_information(
        db, application, officer=users[Role.OFFICER], message="Send proof of address.", now=clock()
    )
    db.flush()
    page = client.get("/apply/status/view").get_data(as_text=True)
    assert "More information is needed from you" in page
    assert "Send proof of address." in page and 'action="/apply/status/answer"' in page

    empty = send(client, {}, url="/apply/status/answer")
    assert empty.status_code == 400
    assert error_beside(empty.get_data(as_text=True), "text") == "Write an answer or attach a document."

    clock.advance(days=1)
    open_status(client, applied)  # the page closed while the person was away
    response = send(
        client,
        {"text": "Here is the certificate."},
        url="/apply/status/answer",
        documents=(("residence_proof", PDF, "certificate.pdf"),),
    )
    assert response.status_code == 302
    application = stored_application(db, applied.reference)
    assert application.status is ApplicationStatus.SUBMITTED
    answer = application.events[-1]
    assert (answer.kind, answer.message) == (EventKind.INFO_ANSWERED, "Here is the certificate.")
    assert [d.file.original_name for d in application.documents if d.event_id == answer.id] == [
        "certificate.pdf"
    ]
    page = client.get("/apply/status/view").get_data(as_text=True)
    assert "Your answer was sent." in page and 'action="/apply/status/answer"' not in page
    history = re.findall(r"<strong>([^<]+)</strong>", page)
    assert history == ["Application received", "More information requested", "You answered"]


def test_a_refusal_shows_its_reasons_and_reconsideration_is_open_within_the_window(
    client, ref, db, users, clock
):
    applied = apply(client, ref)
    application = stored_application(db, applied.reference)
    services.refuse(
        db,
        application,
        officer=users[Role.OFFICER],
        reasons=["residence_not_proven", "other"],
        text="No proof of residence was sent.",
        now=clock(),
    )
    db.flush()
    page = client.get("/apply/status/view").get_data(as_text=True)
    assert "Residence in the border area was not proven" in page
    assert "Other reason (see the explanation)" in page and "No proof of residence was sent." in page
    assert 'action="/apply/status/reconsideration"' in page

    clock.advance(days=14)  # the last day of the window
    open_status(client, applied)
    response = send(
        client,
        {"text": "I attach the certificate."},
        url="/apply/status/reconsideration",
        documents=(("residence_proof", PDF, "certificate.pdf"),),
    )
    assert response.status_code == 302
    application = stored_application(db, applied.reference)
    assert application.status is ApplicationStatus.RECONSIDERATION
    assert application.events[-1].kind is EventKind.RECONSIDERATION_REQUESTED


def test_reconsideration_is_gone_after_the_window(client, ref, db, users, clock):
    applied = apply(client, ref)
    application = stored_application(db, applied.reference)
    services.refuse(
        db, application, officer=users[Role.OFFICER], reasons=["other"], text="Refused.", now=clock()
    )
    db.flush()
    clock.advance(days=15)
    open_status(client, applied)
    page = client.get("/apply/status/view").get_data(as_text=True)
    assert 'action="/apply/status/reconsideration"' not in page
    assert "This decision can no longer be reconsidered." in page
    late = send(client, {"text": "Please."}, url="/apply/status/reconsideration")
    assert late.status_code == 302
    assert "Reconsideration can no longer be asked" in client.get("/apply/status/view").get_data(as_text=True)
    assert stored_application(db, applied.reference).status is ApplicationStatus.REFUSED


def test_an_approved_application_offers_the_permit_as_a_pdf(client, ref, db, users, clock, issuer):
    applied = apply(client, ref)
    application = stored_application(db, applied.reference)
    permit = services.approve(
        db,
        application,
        officer=users[Role.OFFICER],
        valid_from=date(2026, 12, 1),
        valid_until=date(2028, 11, 30),
        fee_status=FeeStatus.PAID,
        issue=issuer,
        now=clock(),
    )
    db.flush()
    page = client.get("/apply/status/view").get_data(as_text=True)
    assert "Approved: your permit was issued" in page
    assert f"data-permit-number>{permit.number}<" in page  # type: ignore[attr-defined]
    response = client.get("/apply/status/permit.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="permit-{permit.number}.pdf"'  # type: ignore[attr-defined]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF")


def test_there_is_no_permit_to_download_before_approval(client, ref):
    apply(client, ref)
    assert client.get("/apply/status/permit.pdf").status_code == 404
