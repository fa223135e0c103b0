"""The alert list: supervisors keep it, officers read it; a supervisor clears a hit, with a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.alerts.models import Alert, AlertHit
from lbt.alerts.services import AlertInput, create_alert


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


@pytest.fixture
def ban(db, users, clock) -> Alert:  # type: ignore[no-untyped-def]
    return create_alert(
        db,
        AlertInput("Rahimov", "Farrukh", date(1985, 4, 12), "", "Entry ban 2024/17", None),
        supervisor=users[Role.SUPERVISOR],
        now=clock(),
        today=clock().date(),
    )


@pytest.fixture
def hit(db, ban, make_application) -> AlertHit:  # type: ignore[no-untyped-def]
    application = make_application().application
    found = db.scalar(select(AlertHit).where(AlertHit.application_id == application.id))
    assert found is not None
    return found


def test_a_supervisor_adds_an_alert_and_finds_it(db, login_as):
    client = login_as(Role.SUPERVISOR)
    assert client.get("/alerts/new").status_code == 200
    response = client.submit(
        "/alerts/new",
        {
            "surname": "Каримов",
            "given_names": "Али",
            "birth_date": "1990-02-03",
            "document_number": "tj 765 4321",
            "reason": "Court order 12/2026",
            "valid_until": "2030-01-01",
        },
    )
    assert response.status_code == 302
    alert = db.scalar(select(Alert))
    assert alert is not None
    assert (alert.search_name, alert.document_number) == ("KARIMOV ALI", "TJ7654321")
    for query in ("karimov", "Каримов Али", "TJ 7654321"):
        assert "Court order 12/2026" in page(client.get("/alerts/", query_string={"q": query})), query
    assert "Court order 12/2026" not in page(client.get("/alerts/", query_string={"q": "Rahimov"}))


def test_an_alert_without_a_name_or_a_document_number_is_refused(db, login_as):
    response = login_as(Role.SUPERVISOR).submit("/alerts/new", {"reason": "Unknown person"})
    assert response.status_code == 400
    assert "Give at least a surname or a travel document number." in page(response)
    assert db.scalar(select(Alert)) is None


def test_a_lifted_alert_leaves_the_list_but_can_still_be_shown(db, login_as, ban):
    client = login_as(Role.SUPERVISOR)
    assert client.submit(f"/alerts/{ban.id}/deactivate").status_code == 302
    db.expire_all()
    assert ban.is_active is False
    assert "Entry ban 2024/17" not in page(client.get("/alerts/"))
    assert "Entry ban 2024/17" in page(client.get("/alerts/?lifted=y"))


def test_officers_read_the_list_but_do_not_change_it(db, login_as, ban):
    client = login_as(Role.OFFICER)
    text = page(client.get("/alerts/"))
    assert "Entry ban 2024/17" in text
    assert "/alerts/new" not in text and "/deactivate" not in text
    assert client.get("/alerts/new").status_code == 403
    assert client.submit(f"/alerts/{ban.id}/deactivate").status_code == 403
    db.expire_all()
    assert ban.is_active


def test_a_supervisor_clears_a_hit_with_a_reason(db, login_as, hit):
    client = login_as(Role.SUPERVISOR)
    assert "Hits waiting for a supervisor" in page(client.get("/alerts/"))
    response = client.submit(f"/alerts/hits/{hit.id}/clear", {"reason": "A namesake: another father's name."})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applications/{hit.application_id}"
    db.expire_all()
    assert hit.cleared_at is not None
    assert hit.clear_reason == "A namesake: another father's name."
    assert "A namesake: another father&#39;s name." in page(client.get(f"/applications/{hit.application_id}"))
    again = client.submit(f"/alerts/hits/{hit.id}/clear", {"reason": "Twice."})
    assert again.status_code == 400
    assert "This hit was already cleared." in page(again)


def test_clearing_a_hit_needs_a_reason(db, login_as, hit):
    client = login_as(Role.SUPERVISOR)
    assert client.get(f"/alerts/hits/{hit.id}/clear").status_code == 200
    response = client.submit(f"/alerts/hits/{hit.id}/clear", {"reason": "  "})
    assert response.status_code == 400
    db.expire_all()
    assert hit.cleared_at is None


def test_a_hit_on_another_agreement_cannot_be_cleared(db, login_as, ban, foreign_locality, make_application):
    application = make_application(locality_id=foreign_locality.id, nationality="UZB").application
    foreign = db.scalar(select(AlertHit).where(AlertHit.application_id == application.id))
    assert foreign is not None
    client = login_as(Role.SUPERVISOR)
    assert application.reference not in page(client.get("/alerts/"))
    assert client.submit(f"/alerts/hits/{foreign.id}/clear", {"reason": "x"}).status_code == 403
    db.expire_all()
    assert foreign.cleared_at is None


def test_officers_may_not_clear_a_hit(db, login_as, hit):
    assert login_as(Role.OFFICER).submit(f"/alerts/hits/{hit.id}/clear", {"reason": "x"}).status_code == 403
    db.expire_all()
    assert hit.cleared_at is None


@pytest.mark.parametrize("role", [Role.BORDER_GUARD, Role.REPRESENTATIVE, Role.AUDITOR, Role.ADMIN])
def test_other_roles_may_not_open_the_alert_list(login_as, ban, role):
    client = login_as(role)
    assert client.get("/alerts/").status_code == 403
    assert client.get("/alerts/new").status_code == 403
    assert client.submit(f"/alerts/{ban.id}/deactivate").status_code == 403


def test_in_the_evening_an_end_date_of_utcs_day_is_already_past(db, login_as, clock):
    """At 20:00 UTC it is 01:00 the next day in Dushanbe (the instance's day): an alert ending on
    UTC's date would end before it starts."""
    clock.now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    response = login_as(Role.SUPERVISOR).submit(
        "/alerts/new", {"surname": "Karimov", "reason": "Court order", "valid_until": "2026-11-22"}
    )
    assert response.status_code == 400
    assert "The end date is already past." in page(response)
    assert db.scalar(select(Alert)) is None


@pytest.mark.parametrize(("hour", "hits"), [(18, 1), (20, 0)])
def test_an_alert_screens_applications_until_the_home_states_midnight(
    db, users, clock, make_application, hour, hits
):
    """Valid until 22 November: an application made at 18:00 UTC (23:00 in Dushanbe) is caught, one made
    at 20:00 UTC (01:00 on the 23rd there) is not."""
    create_alert(
        db,
        AlertInput("Rahimov", "Farrukh", date(1985, 4, 12), "", "Entry ban 2024/17", date(2026, 11, 22)),
        supervisor=users[Role.SUPERVISOR],
        now=clock(),
        today=clock().date(),
    )
    clock.now = datetime(2026, 11, 22, hour, 0, tzinfo=UTC)
    application = make_application().application
    found = db.scalars(select(AlertHit).where(AlertHit.application_id == application.id)).all()
    assert len(found) == hits
