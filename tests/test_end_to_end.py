"""Issue 3's whole path through the web pages, as people use it: a resident applies, the officer asks
for more, the resident answers, the officer approves, the card is printed, and the QR decoded from
the rendered card verifies with nothing but the published JWKS; then the renewal path."""

from __future__ import annotations

import io
import json
from datetime import date

import pypdfium2
import zxingcpp
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.applications.models import Application, ApplicationStatus
from lbt.permits.models import Permit
from lbt.permits.signing import PERMIT_TYP, PermitClaims, token_from_qr, verify
from tests.applications.test_public_views import apply, open_status, send, stored_application
from tests.fixtures.applications import PDF


def qr_text_of_card(pdf: bytes) -> str:
    """Render the card's back (page 2) at 300 dpi and read its QR code with a real decoder."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        image = document[1].render(scale=300 / 72).to_pil()
    finally:
        document.close()
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "exactly one QR code on the back of the card"
    return found[0].text


def test_apply_ask_answer_approve_print_and_verify_with_only_the_published_keys(
    client, app, ref, db, login_as
):
    applied = apply(client, ref)
    application = stored_application(db, applied.reference)
    officer = login_as(Role.OFFICER)

    asked = officer.submit(
        f"/applications/{application.id}/request-information", {"message": "Send a residence certificate."}
    )
    assert asked.status_code == 302
    open_status(client, applied)
    status_page = client.get("/apply/status/view").get_data(as_text=True)
    assert "Send a residence certificate." in status_page
    answered = send(
        client,
        {"text": "Attached."},
        url="/apply/status/answer",
        documents=(("residence_proof", PDF, "certificate.pdf"),),
    )
    assert answered.status_code == 302
    assert stored_application(db, applied.reference).status is ApplicationStatus.SUBMITTED

    approved = officer.submit(
        f"/applications/{application.id}/approve",
        {"valid_from": "2026-11-23", "valid_until": "2028-11-22", "fee_status": "paid"},
    )
    assert approved.status_code == 302
    db.expire_all()
    permit = db.scalar(select(Permit).where(Permit.application_id == application.id))
    assert permit is not None

    card = officer.get(f"/permits/{permit.id}/card.pdf")
    assert card.status_code == 200
    qr_text = qr_text_of_card(card.data)
    assert qr_text.startswith("http://localhost/v#")

    jwks = json.loads(client.get("/.well-known/jwks.json").get_data(as_text=True))  # anyone may fetch it
    claims = PermitClaims.from_payload(verify(token_from_qr(qr_text), jwks, PERMIT_TYP))
    assert claims.permit_number == permit.number
    assert (claims.surname, claims.given_names) == ("RAHIMOV", "FARRUKH")
    assert claims.birth_date == date(1985, 4, 12)
    assert claims.document_number == "A1234567"
    assert claims.issuing_state == "TJ"
    assert claims.agreement_code == ref.agreement.code
    assert (claims.valid_from, claims.valid_until) == (date(2026, 11, 23), date(2028, 11, 22))
    assert claims.max_stay_days == ref.agreement.max_stay_days

    # the resident's copy carries the same permit
    copy = client.get("/apply/status/permit.pdf")
    assert copy.status_code == 200 and token_from_qr(qr_text_of_card(copy.data)) == permit.token


def test_a_renewal_application_may_be_approved_for_the_longer_renewal_validity(client, ref, db, login_as):
    officer = login_as(Role.OFFICER)
    first = stored_application(db, apply(client, ref).reference)
    officer.submit(
        f"/applications/{first.id}/approve",
        {"valid_from": "2026-11-23", "valid_until": "2028-11-22", "fee_status": "paid"},
    )
    db.expire_all()
    old = db.scalar(select(Permit).where(Permit.application_id == first.id))

    renewal = apply(client, ref, kind="renewal", previous_permit_number=old.number)
    application = stored_application(db, renewal.reference)
    page = officer.get(f"/applications/{application.id}").get_data(as_text=True)
    assert old.number in page
    too_long = officer.submit(
        f"/applications/{application.id}/approve",
        {"valid_from": "2028-11-23", "valid_until": "2033-11-23", "fee_status": "paid"},
    )
    assert too_long.status_code == 400  # past the travel document's expiry (2031-06-30)
    renewed = officer.submit(
        f"/applications/{application.id}/approve",
        {"valid_from": "2026-12-01", "valid_until": "2031-06-30", "fee_status": "paid"},
    )
    assert renewed.status_code == 302  # a renewal is not capped at the first permit's 2 years
    db.expire_all()
    assert (
        db.scalar(select(Application.status).where(Application.id == application.id))
        is ApplicationStatus.APPROVED
    )
