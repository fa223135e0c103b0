"""The officers' and supervisors' application pages: the queue, one application, the decisions."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.alerts.services import AlertInput, create_alert
from lbt.applications import services
from lbt.applications.models import ApplicationStatus, EventKind
from lbt.notifications.models import OutboxMessage
from lbt.permits.models import Permit
from lbt.storage.uploads import FileStore
from tests.fixtures.factories import make_user
from tests.fixtures.permits import add_locality, statements_to_show


@pytest.fixture
def store(settings) -> FileStore:  # type: ignore[no-untyped-def]
    """Uploads where the app reads them, so its pages can serve the photo and the documents."""
    return FileStore(settings.instance_path / "uploads")


@pytest.fixture
def foreign_application(db, ref, make_application):  # type: ignore[no-untyped-def]
    """An application under ref.other_agreement, which the officer and supervisor do not serve."""
    locality = add_locality(db, ref.other_agreement, ref.uz, "Sokh", "Сох")
    return make_application(
        locality_id=locality.id, surname_latin="OSHOBAEV", document_number="Z9999999", nationality="UZB"
    ).application


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


# --- the queue ------------------------------------------------------------------------------------


def test_the_queue_shows_only_the_agreements_the_officer_serves(
    login_as, make_application, foreign_application
):
    own = make_application().application
    client = login_as(Role.OFFICER)
    response = client.get("/applications/")
    assert response.status_code == 200
    assert own.reference in page(response)
    assert foreign_application.reference not in page(response)
    assert client.get(f"/applications/{foreign_application.id}").status_code == 403
    assert client.get(f"/applications/{foreign_application.id}/photo").status_code == 403
    document = foreign_application.documents[0]
    assert client.get(f"/applications/{foreign_application.id}/documents/{document.id}").status_code == 403


def test_the_queue_puts_the_nearest_deadline_first_and_marks_overdue_ones(login_as, make_application, clock):
    older = make_application().application
    clock.advance(days=5)
    newer = make_application(document_number="B7654321").application
    clock.advance(days=27)  # the older one's 30 days are over, the newer one has 3 left
    text = page(login_as(Role.OFFICER).get("/applications/"))
    assert text.index(older.reference) < text.index(newer.reference)
    assert "Overdue by 2 days" in text
    assert "3 days left" in text
    overdue = page(login_as(Role.OFFICER).get("/applications/?overdue=y"))
    assert older.reference in overdue
    assert newer.reference not in overdue


def test_the_queue_filters_by_status_locality_and_reason(db, ref, login_as, make_application, users, clock):
    waiting = make_application().application
    services.request_information(
        db, waiting, officer=users[Role.OFFICER], message="Send the lease.", now=clock()
    )
    other_place = add_locality(db, ref.agreement, ref.kg, "Kara-Bak", "Кара-Бак", km="6")
    elsewhere = make_application(
        locality_id=other_place.id, reason="economic", document_number="C1111111"
    ).application
    client = login_as(Role.OFFICER)

    def found(query: str) -> set[str]:
        text = page(client.get(f"/applications/?{query}"))
        return {a.reference for a in (waiting, elsewhere) if a.reference in text}

    assert found("") == {waiting.reference, elsewhere.reference}  # open statuses by default
    assert found("status=info_requested") == {waiting.reference}
    assert found(f"locality={other_place.id}") == {elsewhere.reference}
    assert found("reason=economic") == {elsewhere.reference}
    assert found("status=approved") == set()


@pytest.mark.parametrize("query", ["lbt-2026-000001", "a 123-4567", "Раҳимов", "rahimov farr", "RAHIM"])
def test_the_queue_finds_by_reference_document_number_or_name(login_as, make_application, query):
    wanted = make_application().application
    other = make_application(
        surname_latin="KARIMOV", given_names_latin="ALI", document_number="D2222222"
    ).application
    text = page(login_as(Role.OFFICER).get("/applications/", query_string={"q": query}))
    assert wanted.reference in text
    assert other.reference not in text


def test_the_queue_costs_the_same_queries_for_2_rows_as_for_8(
    db, ref, login_as, connection, make_application
):
    def add(serial: int) -> None:  # each in its own locality: a lazy load per row would show
        locality = add_locality(db, ref.agreement, ref.kg, f"Village {serial}", f"Айыл {serial}")
        make_application(locality_id=locality.id, document_number=f"Q{serial:07d}")

    client = login_as(Role.OFFICER)
    for serial in range(2):
        add(serial)
    few = statements_to_show(client, connection, "/applications/")
    for serial in range(2, 8):
        add(serial)
    assert statements_to_show(client, connection, "/applications/") == few


def test_a_filter_that_does_not_validate_answers_400(login_as):
    assert login_as(Role.OFFICER).get("/applications/?status=lost").status_code == 400


def test_the_queue_pages_by_50(login_as, make_application):
    for serial in range(51):
        make_application(document_number=f"P{serial:07d}")
    client = login_as(Role.SUPERVISOR)
    assert "Page 1 of 2 (51 in all)" in page(client.get("/applications/"))
    assert len(re.findall(r'href="/applications/\d+"', page(client.get("/applications/?page=2")))) == 1


# --- one application ------------------------------------------------------------------------------


def test_the_application_page_shows_both_scripts_the_checklist_and_the_fee(login_as, make_application):
    application = make_application().application
    text = page(login_as(Role.OFFICER).get(f"/applications/{application.id}"))
    assert "Раҳимов" in text and "RAHIMOV" in text
    assert "Resident for 16 years (at least 3 needed)." in text
    assert "No other valid permit." in text
    assert "No alert-list hit." in text
    assert "Due: €20.00." in text
    assert "Application submitted" in text  # history
    assert f'/applications/{application.id}/photo"' in text


def test_the_photo_and_documents_are_served_privately(login_as, make_application):
    application = make_application().application
    client = login_as(Role.OFFICER)
    photo = client.get(f"/applications/{application.id}/photo")
    assert photo.status_code == 200
    assert photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "private, no-store"
    document = application.documents[0]
    download = client.get(f"/applications/{application.id}/documents/{document.id}")
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "private, no-store"


def test_a_document_of_another_application_cannot_be_fetched_by_changing_the_id(login_as, make_application):
    mine = make_application().application
    theirs = make_application(document_number="E3333333").application
    client = login_as(Role.OFFICER)
    response = client.get(f"/applications/{mine.id}/documents/{theirs.documents[0].id}")
    assert response.status_code == 404
    assert client.get(f"/applications/{mine.id}/documents/999999").status_code == 404


# --- decisions ------------------------------------------------------------------------------------


def test_asking_for_information_waits_for_the_applicant_and_mails_them(db, login_as, make_application):
    application = make_application().application
    response = login_as(Role.OFFICER).submit(
        f"/applications/{application.id}/request-information", {"message": "Send proof of your address."}
    )
    assert response.status_code == 302
    db.expire_all()
    assert application.status is ApplicationStatus.INFO_REQUESTED
    assert application.events[-1].message == "Send proof of your address."
    mail = db.scalar(select(OutboxMessage))
    assert mail is not None and mail.recipient == "farrukh@example.org"
    assert "Send proof of your address." in mail.body


def test_asking_for_information_without_a_message_is_refused(db, login_as, make_application):
    application = make_application().application
    response = login_as(Role.OFFICER).submit(
        f"/applications/{application.id}/request-information", {"message": " "}
    )
    assert response.status_code == 400
    assert "This field is required." in page(response)
    db.expire_all()
    assert application.status is ApplicationStatus.SUBMITTED


def test_approval_outside_the_validity_bounds_is_refused_beside_the_field(db, login_as, make_application):
    application = make_application().application
    response = login_as(Role.OFFICER).submit(
        f"/applications/{application.id}/approve",
        {"valid_from": "2026-12-01", "valid_until": "2029-12-01", "fee_status": "paid"},
    )
    assert response.status_code == 400
    text = page(response)
    assert "This permit may be valid until 30/11/2028 at the latest." in text
    assert 'id="valid_until-error"' in text
    db.expire_all()
    assert application.status is ApplicationStatus.SUBMITTED
    assert db.scalar(select(func.count()).select_from(Permit)) == 0


def test_approval_issues_the_permit_whose_card_downloads(db, login_as, make_application):
    application = make_application().application
    client = login_as(Role.OFFICER)
    response = client.submit(
        f"/applications/{application.id}/approve",
        {"valid_from": "2026-11-22", "valid_until": "2028-11-21", "fee_status": "paid"},
    )
    assert response.status_code == 302
    db.expire_all()
    permit = db.scalar(select(Permit))
    assert permit is not None and response.headers["Location"] == f"/permits/{permit.id}"
    assert application.status is ApplicationStatus.APPROVED
    assert permit.valid_until == date(2028, 11, 21)
    assert permit.number in db.scalar(select(OutboxMessage.body))
    card = client.get(f"/permits/{permit.id}/card.pdf")
    assert card.status_code == 200
    assert card.data.startswith(b"%PDF")
    assert card.headers["Content-Disposition"] == f"attachment; filename={permit.number}.pdf"
    assert "no-store" in card.headers["Cache-Control"]


def test_the_approval_form_proposes_the_longest_validity_allowed(login_as, make_application):
    application = make_application().application
    text = page(login_as(Role.OFFICER).get(f"/applications/{application.id}"))
    assert 'value="22/11/2026"' in text  # valid from: today
    assert 'value="21/11/2028"' in text  # a first permit: 2 years at most, the last day included
    assert "until 21/11/2027 at the earliest, 21/11/2028 at the latest" in text


def test_a_refusal_needs_at_least_one_reason(db, login_as, make_application):
    application = make_application().application
    response = login_as(Role.OFFICER).submit(
        f"/applications/{application.id}/refuse", {"text": "Not eligible."}
    )
    assert response.status_code == 400
    assert "Choose at least one reason for the refusal." in page(response)
    db.expire_all()
    assert application.status is ApplicationStatus.SUBMITTED


def test_a_refusal_stores_the_reasons_the_applicant_reads(db, login_as, make_application):
    application = make_application().application
    response = login_as(Role.OFFICER).submit(
        f"/applications/{application.id}/refuse",
        {"reasons": ["residence_not_proven", "other"], "text": "The lease you sent is not signed."},
    )
    assert response.status_code == 302
    db.expire_all()
    assert application.status is ApplicationStatus.REFUSED
    assert application.refusal_reasons == ["residence_not_proven", "other"]
    assert application.decision_text == "The lease you sent is not signed."
    refused = application.events[-1]
    assert (refused.kind, refused.is_public) == (EventKind.REFUSED, True)
    assert application.reconsideration_until == date(2026, 12, 6)
    assert "Residence in the border area not proven" in page(
        login_as(Role.OFFICER).get(f"/applications/{application.id}")
    )


def test_an_alert_hit_is_shown_and_blocks_approval(db, login_as, make_application, users, clock):
    create_alert(
        db,
        AlertInput("Rahimov", "Farrukh", date(1985, 4, 12), "", "Entry ban 2024/17", None),
        supervisor=users[Role.SUPERVISOR],
        now=clock(),
        today=clock().date(),
    )
    application = make_application().application
    client = login_as(Role.OFFICER)
    text = page(client.get(f"/applications/{application.id}"))
    assert "Entry ban 2024/17" in text
    assert "1 alert-list hit to be cleared by a supervisor." in text
    assert "/alerts/hits/" not in text  # only supervisors get the form
    response = client.submit(
        f"/applications/{application.id}/approve",
        {"valid_from": "2026-11-22", "valid_until": "2027-11-22", "fee_status": "paid"},
    )
    assert response.status_code == 400
    assert "An alert-list hit must be cleared by a supervisor before approval." in page(response)
    assert "/alerts/hits/" in page(login_as(Role.SUPERVISOR).get(f"/applications/{application.id}"))


@pytest.fixture
def reconsideration(db, make_application, users, clock):  # type: ignore[no-untyped-def]
    """An application the supervisor refused and the applicant asked to reconsider."""
    application = make_application().application
    services.refuse(
        db,
        application,
        officer=users[Role.SUPERVISOR],
        reasons=["public_order"],
        text="Refused.",
        now=clock(),
    )
    services.request_reconsideration(
        db, application, text="I have never been fined.", documents=[], now=clock()
    )
    return application


def test_the_first_decision_maker_cannot_decide_the_reconsideration(db, login_as, reconsideration):
    response = login_as(Role.SUPERVISOR).submit(
        f"/applications/{reconsideration.id}/reconsideration",
        {"decision": "overturn", "text": "Looked again."},
    )
    assert response.status_code == 403
    assert "must be decided by someone other than the first decision" in page(response)
    db.expire_all()
    assert reconsideration.status is ApplicationStatus.RECONSIDERATION


def test_another_supervisor_overturns_the_refusal_with_reasons(db, app, ref, reconsideration):
    make_user(db, "second", Role.SUPERVISOR, agreements=[ref.agreement])
    client = app.test_client()
    assert client.login("second").status_code == 302
    text = page(client.get(f"/applications/{reconsideration.id}"))
    assert "I have never been fined." in text
    response = client.submit(
        f"/applications/{reconsideration.id}/reconsideration",
        {"decision": "overturn", "text": "No record found."},
    )
    assert response.status_code == 302
    db.expire_all()
    assert reconsideration.status is ApplicationStatus.SUBMITTED
    assert reconsideration.events[-1].kind is EventKind.OVERTURNED
    assert (
        db.scalar(select(OutboxMessage.subject))
        == f"Application {reconsideration.reference}: reconsideration decided"
    )


def test_an_officer_may_not_decide_a_reconsideration(login_as, reconsideration):
    response = login_as(Role.OFFICER).submit(
        f"/applications/{reconsideration.id}/reconsideration", {"decision": "uphold", "text": "x"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.BORDER_GUARD, Role.REPRESENTATIVE, Role.AUDITOR, Role.ADMIN])
def test_other_roles_may_not_open_the_application_pages(login_as, make_application, role):
    application = make_application().application
    client = login_as(role)
    for url in ("/applications/", f"/applications/{application.id}", f"/applications/{application.id}/photo"):
        assert client.get(url).status_code == 403, url
    response = client.submit(f"/applications/{application.id}/refuse", {"reasons": ["other"], "text": "x"})
    assert response.status_code == 403
