"""The permit pages: the list, one permit, its changes (each with a reason, each audited), the card."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.audit.models import AuditEntry
from lbt.permits.models import Permit, PermitStatus
from tests.fixtures.factories import make_user
from tests.fixtures.permits import add_locality, issue_permit, statements_to_show


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def audited_changes(db, permit: Permit) -> list[dict]:  # type: ignore[no-untyped-def]
    entries = db.scalars(
        select(AuditEntry.changes)
        .where(
            AuditEntry.entity_type == "permits",
            AuditEntry.entity_id == str(permit.id),
            AuditEntry.action == "update",
        )
        .order_by(AuditEntry.id)
    ).all()
    return [json.loads(entry) for entry in entries]


@pytest.fixture
def foreign_permit(db, ref, foreign_locality, make_application, clock, issuer) -> Permit:  # type: ignore[no-untyped-def]
    application = make_application(
        locality_id=foreign_locality.id,
        surname_latin="OSHOBAEV",
        document_number="Z9999999",
        nationality="UZB",
    ).application
    officer = make_user(db, "asht-officer", Role.OFFICER, agreements=[ref.other_agreement])
    return issue_permit(db, application, officer, issuer, clock(), valid_until=date(2027, 12, 1))


def test_the_list_shows_only_permits_of_the_officers_agreements(login_as, permit, foreign_permit):
    client = login_as(Role.OFFICER)
    text = page(client.get("/permits/"))
    assert permit.number in text
    assert foreign_permit.number not in text
    assert client.get(f"/permits/{foreign_permit.id}").status_code == 403
    assert client.get(f"/permits/{foreign_permit.id}/card.pdf").status_code == 403
    response = client.submit(f"/permits/{foreign_permit.id}/change", {"change": "revoke", "reason": "x"})
    assert response.status_code == 403


def test_the_list_costs_the_same_queries_for_2_permits_as_for_6(
    db, ref, login_as, connection, make_application, users, clock, issuer
):
    def add(serial: int) -> None:  # each in its own locality: a lazy load per row would show
        locality = add_locality(db, ref.agreement, ref.kg, f"Village {serial}", f"Айыл {serial}")
        application = make_application(locality_id=locality.id, document_number=f"Q{serial:07d}").application
        issue_permit(db, application, users[Role.OFFICER], issuer, clock())

    client = login_as(Role.OFFICER)
    for serial in range(2):
        add(serial)
    few = statements_to_show(client, connection, "/permits/")
    for serial in range(2, 6):
        add(serial)
    assert statements_to_show(client, connection, "/permits/") == few


@pytest.mark.parametrize("query", ["number", "a1234567", "rahimov", "Раҳимов Ф"])
def test_permits_are_found_by_number_document_or_name(login_as, permit, query):
    term = permit.number.lower() if query == "number" else query
    text = page(login_as(Role.OFFICER).get("/permits/", query_string={"q": term}))
    assert permit.number in text
    assert permit.number not in page(login_as(Role.OFFICER).get("/permits/", query_string={"q": "Karimov"}))


def test_the_status_filter_reads_the_status_as_it_stands_today(db, login_as, permit, clock):
    client = login_as(Role.OFFICER)
    assert permit.number in page(client.get("/permits/?status=active"))
    assert permit.number not in page(client.get("/permits/?status=expired"))
    clock.advance(days=800)  # past 2028-11-30: still stored as active, but expired
    assert permit.number in page(client.get("/permits/?status=expired"))
    assert permit.number not in page(client.get("/permits/?status=active"))
    assert client.get("/permits/?status=lost").status_code == 400


def test_a_permit_expires_at_the_end_of_its_last_day_on_the_home_states_clock(login_as, permit, clock):
    """19:30 UTC on the last day is 00:30 the next day in Dushanbe: expired there, although UTC's
    calendar still shows the last day."""
    client = login_as(Role.OFFICER)
    clock.now = datetime.combine(permit.valid_until, time(18, 59), tzinfo=UTC)  # 23:59 in Dushanbe
    assert permit.number in page(client.get("/permits/?status=active"))
    clock.now = datetime.combine(permit.valid_until, time(19, 30), tzinfo=UTC)
    assert permit.number in page(client.get("/permits/?status=expired"))
    assert permit.number not in page(client.get("/permits/?status=active"))
    assert client.get(f"/permits/{permit.id}/card.pdf").status_code == 302  # only a valid one prints


def test_the_permit_page_shows_the_holder_validity_rules_and_renewal(login_as, permit):
    text = page(login_as(Role.OFFICER).get(f"/permits/{permit.id}"))
    assert "Раҳимов" in text and "RAHIMOV" in text
    assert "TJ-KG" in text
    assert "90 days" in text  # the maximum stay
    assert f'href="/applications/{permit.application_id}"' in text
    assert "http://localhost/apply/" in text and f"quotes the number {permit.number}" in text
    assert f'href="/permits/{permit.id}/card.pdf"' in text


def test_suspend_then_reinstate_each_with_a_reason_and_an_audit_entry(db, login_as, permit):
    client = login_as(Role.OFFICER)
    response = client.submit(
        f"/permits/{permit.id}/change", {"change": "suspend", "reason": "Misuse under inquiry."}
    )
    assert response.status_code == 302
    db.expire_all()
    assert (permit.status, permit.status_reason) == (PermitStatus.SUSPENDED, "Misuse under inquiry.")
    assert "Misuse under inquiry." in page(client.get(f"/permits/{permit.id}"))
    response = client.submit(
        f"/permits/{permit.id}/change", {"change": "reinstate", "reason": "Inquiry closed."}
    )
    assert response.status_code == 302
    db.expire_all()
    assert permit.status is PermitStatus.ACTIVE
    changes = audited_changes(db, permit)
    assert len(changes) == 2
    assert "Misuse under inquiry." in json.dumps(changes[0]) and "suspended" in json.dumps(changes[0])
    assert "Inquiry closed." in json.dumps(changes[1])
    actors = db.scalars(select(AuditEntry.actor_name).where(AuditEntry.entity_type == "permits")).all()
    assert "officer" in actors


@pytest.mark.parametrize(
    ("change", "status"), [("revoke", PermitStatus.REVOKED), ("annul", PermitStatus.ANNULLED)]
)
def test_revoke_and_annul_void_the_permit_and_are_audited(db, login_as, permit, change, status):
    client = login_as(Role.SUPERVISOR)
    response = client.submit(f"/permits/{permit.id}/change", {"change": change, "reason": "Stayed 120 days."})
    assert response.status_code == 302
    db.expire_all()
    assert permit.status is status
    assert "Stayed 120 days." in json.dumps(audited_changes(db, permit))
    text = page(client.get(f"/permits/{permit.id}"))
    assert "This permit can no longer be changed." in text
    assert "card.pdf" not in text
    card = client.get(f"/permits/{permit.id}/card.pdf")
    assert card.status_code == 302  # back to the permit, with a message: a void permit is not printed


def test_replace_issues_a_new_number_and_marks_the_old_one_replaced(db, login_as, permit):
    client = login_as(Role.OFFICER)
    response = client.submit(f"/permits/{permit.id}/change", {"change": "replace", "reason": "Card lost."})
    assert response.status_code == 302
    db.expire_all()
    new = db.scalar(select(Permit).where(Permit.replaces_id == permit.id))
    assert new is not None and new.number != permit.number
    assert response.headers["Location"] == f"/permits/{new.id}"
    assert permit.status is PermitStatus.REPLACED
    assert (new.valid_until, new.status) == (permit.valid_until, PermitStatus.ACTIVE)
    assert "Card lost." in json.dumps(audited_changes(db, permit))
    assert db.scalar(
        select(AuditEntry.id).where(AuditEntry.entity_type == "permits", AuditEntry.entity_id == str(new.id))
    )
    assert f'href="/permits/{new.id}"' in page(client.get(f"/permits/{permit.id}"))  # replaced by
    assert f'href="/permits/{permit.id}"' in page(client.get(f"/permits/{new.id}"))  # replaces
    assert client.get(f"/permits/{new.id}/card.pdf").data.startswith(b"%PDF")


def test_a_change_without_a_reason_is_refused_and_changes_nothing(db, login_as, permit):
    response = login_as(Role.OFFICER).submit(
        f"/permits/{permit.id}/change", {"change": "revoke", "reason": ""}
    )
    assert response.status_code == 400
    assert "This field is required." in page(response)
    db.expire_all()
    assert permit.status is PermitStatus.ACTIVE
    assert audited_changes(db, permit) == []


def test_a_change_the_status_does_not_allow_is_refused(db, login_as, permit):
    response = login_as(Role.OFFICER).submit(
        f"/permits/{permit.id}/change", {"change": "reinstate", "reason": "x"}
    )
    assert response.status_code == 400
    db.expire_all()
    assert permit.status is PermitStatus.ACTIVE


@pytest.mark.parametrize("role", [Role.BORDER_GUARD, Role.REPRESENTATIVE, Role.AUDITOR, Role.ADMIN])
def test_other_roles_may_not_open_the_permit_pages(db, login_as, permit, role):
    client = login_as(role)
    for url in ("/permits/", f"/permits/{permit.id}", f"/permits/{permit.id}/card.pdf"):
        assert client.get(url).status_code == 403, url
    assert (
        client.submit(f"/permits/{permit.id}/change", {"change": "revoke", "reason": "x"}).status_code == 403
    )
    db.expire_all()
    assert permit.status is PermitStatus.ACTIVE
