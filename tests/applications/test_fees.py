"""Issue 14 item 4: the fee is worked out once and reads the same on the checklist, the officer's page, the
applicant's status page and the mails; the officer records a payment; each agreement says how to pay."""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.applications import notify, services
from lbt.applications.fees import FeeKind, fee_state, fee_text
from lbt.applications.models import Application, EventKind, FeeStatus
from lbt.audit.models import AuditEntry
from lbt.notifications.models import OutboxMessage
from lbt.reference.csv_import import import_csv
from tests.applications.test_public_views import apply, open_status, stored_application
from tests.reference.test_views import AGREEMENT_FORM

TODAY = date(2026, 11, 22)


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def officer_page(login_as, application: Application) -> str:  # type: ignore[no-untyped-def]
    return text_of(login_as(Role.OFFICER).get(f"/applications/{application.id}"))


def status_page(app, applied) -> str:  # type: ignore[no-untyped-def]
    client = app.test_client()
    open_status(client, applied)
    return text_of(client.get("/apply/status/view"))


def test_a_pensioners_fee_reads_waived_on_the_checklist_the_officer_page_and_her_status_page(
    app, client, ref, db, login_as
):
    applied = apply(client, ref, birth_date="12.04.1950")
    application = stored_application(db, applied.reference)
    assert fee_state(application, TODAY).kind is FeeKind.WAIVED
    officer = officer_page(login_as, application)
    assert officer.count("Waived: the applicant is a pensioner.") == 2  # the checklist and the fee panel
    assert "Due" not in officer.split("Fee status")[1].split("</dd>")[0]
    assert "Record the payment" not in officer
    status = status_page(app, applied)
    assert "Waived: the applicant is a pensioner." in status and "How to pay the fee" not in status


def test_after_a_refusal_the_fee_is_not_due_anywhere(app, client, ref, db, login_as, users, clock):
    applied = apply(client, ref)
    application = stored_application(db, applied.reference)
    services.refuse(db, application, officer=users[Role.OFFICER], reasons=["other"], text="No.", now=clock())
    db.flush()
    assert "Not due: the application was refused." in officer_page(login_as, application)
    status = status_page(app, applied)
    assert "Not due: the application was refused." in status and "€20.00" not in status
    notify.refused(db, application, "http://127.0.0.1/apply/status", clock())  # as the officer's page does
    mail = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert "was refused" in mail.body and "Fee: Not due: the application was refused." in mail.body


def test_the_officer_records_the_payment_and_everyone_reads_the_receipt(app, client, ref, db, login_as):
    applied = apply(client, ref)
    application = stored_application(db, applied.reference)
    assert "Due: €20.00." in status_page(app, applied)
    officer = login_as(Role.OFFICER)
    response = officer.submit(
        f"/applications/{application.id}/payment", {"receipt_number": " KB 004512 ", "paid_on": "21.11.2026"}
    )
    assert response.status_code == 302
    application = stored_application(db, applied.reference)
    assert (application.fee_status, application.fee_receipt_number, application.fee_paid_on) == (
        FeeStatus.PAID,
        "KB 004512",
        date(2026, 11, 21),
    )
    assert application.events[-1].kind is EventKind.FEE_RECORDED
    line = "Paid: €20.00, receipt KB 004512 of 21/11/2026."
    assert line in officer_page(login_as, application)
    assert line in status_page(app, applied)
    audited = db.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "applications", AuditEntry.action == "update")
    ).all()
    assert any("fee_receipt_number" in entry.changes for entry in audited)
    # approving now needs no fee choice beyond "paid", and keeps the receipt
    assert fee_text(fee_state(application, TODAY), "ru").startswith("Оплачено")


def test_a_bad_payment_is_refused_beside_its_field_and_changes_nothing(client, ref, db, login_as):
    applied = apply(client, ref)
    application = stored_application(db, applied.reference)
    officer = login_as(Role.OFFICER)
    for data, message in (
        ({"receipt_number": "", "paid_on": "21.11.2026"}, "This field is required."),
        ({"receipt_number": "R1", "paid_on": "01.12.2026"}, "The payment date cannot be in the future."),
        ({"receipt_number": "R1", "paid_on": "31.02.2026"}, "date"),
        ({"receipt_number": "R" * 41, "paid_on": "21.11.2026"}, "40"),
    ):
        response = officer.submit(f"/applications/{application.id}/payment", data)
        assert response.status_code == 400, data
        assert message in text_of(response)
    application = stored_application(db, applied.reference)
    assert (application.fee_status, application.fee_receipt_number) == (FeeStatus.DUE, "")


def test_no_payment_can_be_recorded_on_a_waived_fee(client, ref, db, login_as):
    applied = apply(client, ref, birth_date="12.04.2012", resident_since="01.01.2013")  # a minor
    application = stored_application(db, applied.reference)
    response = login_as(Role.OFFICER).submit(
        f"/applications/{application.id}/payment", {"receipt_number": "R1", "paid_on": "21.11.2026"}
    )
    assert response.status_code == 400 and "No fee is due on this application." in text_of(response)
    assert stored_application(db, applied.reference).fee_status is FeeStatus.DUE


def test_payment_instructions_come_from_the_agreement_in_the_applicants_language(app, client, ref, db):
    ref.agreement.payment_instructions = {"": "Bank TJ-1, account 123.", "ru": "Банк TJ-1, счёт 123."}
    db.flush()
    applied = apply(client, ref)
    status = status_page(app, applied)
    assert "How to pay the fee" in status and "Bank TJ-1, account 123." in status
    mail = db.scalar(select(OutboxMessage))
    assert "Fee: Due: €20.00." in mail.body and "Bank TJ-1, account 123." in mail.body
    russian = app.test_client()
    russian.set_cookie("lbt_locale", "ru")
    open_status(russian, applied)
    assert "Банк TJ-1, счёт 123." in text_of(russian.get("/apply/status/view"))


def test_payment_instructions_are_imported_from_csv_per_language(db, ref):
    result = import_csv(
        db,
        "agreement",
        (
            "code,name,state_a_code,state_b_code,in_force_from,reasons,payment_instructions,payment_instructions_tg\n"
            f"{ref.agreement.code},{ref.agreement.name},TJ,KG,2025-01-01,family,Pay at the bank,Дар бонк пардохт кунед\n"
        ).encode(),
    )
    assert result.ok, result.problems
    assert ref.agreement.payment_instructions == {"": "Pay at the bank", "tg": "Дар бонк пардохт кунед"}


def test_the_agreement_form_saves_the_instructions_and_the_page_shows_them(login_as, db, ref):
    admin = login_as(Role.ADMIN)
    assert 'name="payment_instructions_ky"' in admin.get(
        f"/reference/agreements/{ref.agreement.id}/edit"
    ).get_data(as_text=True)
    data = {
        **AGREEMENT_FORM,
        "code": "TJ-KG",
        "state_a_code": "TJ",
        "state_b_code": "KG",
        "payment_instructions": "Any bank.\nBring the receipt.",
        "payment_instructions_ky": "Каалаган банк.",
    }
    assert admin.submit(f"/reference/agreements/{ref.agreement.id}/edit", data).status_code == 302
    db.refresh(ref.agreement)
    assert ref.agreement.payment_instructions == {"": "Any bank.\nBring the receipt.", "ky": "Каалаган банк."}
    page = admin.get(f"/reference/agreements/{ref.agreement.id}").get_data(as_text=True)
    assert "Any bank.<br>Bring the receipt." in page and "Кыргызча:</strong> Каалаган банк." in page
    too_long = admin.submit(
        f"/reference/agreements/{ref.agreement.id}/edit", {**data, "payment_instructions_ky": "x" * 2001}
    )
    assert too_long.status_code == 400
    db.refresh(ref.agreement)
    assert ref.agreement.payment_instructions["ky"] == "Каалаган банк."
