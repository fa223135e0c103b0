"""Issue 14 item 8: each role's home page shows what waits for the user, as numbers that link to the
list they count, each one bounded count (the queries do not grow with the data)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from lbt.accounts.models import Role
from lbt.applications import services
from lbt.applications.models import ApplicationStatus
from lbt.crossings.models import Direction
from lbt.home.counts import figures
from tests.crossings.sending import permit  # noqa: F401 (a fixture)
from tests.crossings.test_views import cross
from tests.perf.counting import statements


@pytest.fixture
def store(app_store):  # type: ignore[no-untyped-def]
    """The uploads where the app reads them: the officer prints a card with the holder's photo."""
    return app_store


def numbers(page: str) -> dict[str, tuple[str, str]]:
    """Each figure on the page: its number and where it links."""
    found = re.findall(
        r'data-figure="([a-z_]+)">\s*<a href="([^"]+)"><span class="figure__count" data-count>([^<]+)</span>',
        page,
    )
    return {key: (count, href) for key, href, count in found}


def test_the_officer_home_counts_the_queue_the_overdue_the_waiting_and_the_cards_to_print(
    login_as,
    make_application,
    users,
    clock,
    db,
    permit,  # noqa: F811
):
    waiting = make_application().application
    late = make_application(document_number="B7654321").application
    late.decision_due = date(2026, 11, 1)
    asked = make_application(document_number="C1112223").application
    services.request_information(
        db, asked, officer=users[Role.OFFICER], message="Send the lease.", now=clock()
    )
    db.flush()
    page = login_as(Role.OFFICER).get("/").get_data(as_text=True)
    shown = numbers(page)
    assert shown["queue"] == ("2", "/applications/?status=submitted")
    assert shown["overdue"] == ("1", "/applications/?overdue=y")
    assert shown["information"] == ("1", "/applications/?status=info_requested")
    assert shown["to_print"] == ("1", "/permits/?to_print=y")
    assert waiting.status is ApplicationStatus.SUBMITTED
    # the queue the number links to lists exactly those
    officer = login_as(Role.OFFICER)
    overdue_list = officer.get("/applications/?overdue=y").get_data(as_text=True)
    assert late.reference in overdue_list and waiting.reference not in overdue_list
    assert permit.number in officer.get("/permits/?to_print=y").get_data(as_text=True)
    # printing the card takes it off the list
    assert officer.get(f"/permits/{permit.id}/card.pdf").status_code == 200
    assert numbers(officer.get("/").get_data(as_text=True))["to_print"][0] == "0"
    assert permit.number not in officer.get("/permits/?to_print=y").get_data(as_text=True)


def test_the_officer_figures_cost_four_queries_whatever_the_data(
    db, connection, users, make_application, clock
):
    officer = users[Role.OFFICER]
    db.flush()
    with statements(connection) as few:
        figures(db, officer, clock(), "TJ")
    for serial in range(12):
        make_application(document_number=f"D{serial:07d}")
    db.flush()
    with statements(connection) as many:
        result = figures(db, officer, clock(), "TJ")
    assert len(few) == len(many) == 4
    assert {figure.key: figure.count for figure in result}["queue"] == 12


def test_the_supervisor_home_counts_reconsiderations_hits_and_held_crossings(
    login_as, db, connection, users, clock
):
    page = login_as(Role.SUPERVISOR).get("/").get_data(as_text=True)
    shown = numbers(page)
    assert shown["reconsiderations"] == ("0", "/applications/?status=reconsideration")
    assert shown["hits"][1] == "/alerts/#hits-heading" and shown["held"][1] == "/crossings/held"
    with statements(connection) as seen:
        figures(db, users[Role.SUPERVISOR], clock(), "TJ")
    assert len(seen) == 3


def test_the_guard_home_counts_todays_crossings_and_the_people_near_their_limit(
    login_as,
    db,
    connection,
    users,
    ref,
    clock,
    permit,  # noqa: F811
):
    entered = clock() - timedelta(days=ref.agreement.max_stay_days - 3)
    cross(db, permit, ref, users, Direction.ENTRY, clock() - timedelta(hours=2))
    db.flush()
    shown = numbers(login_as(Role.BORDER_GUARD).get("/").get_data(as_text=True))
    assert shown["crossings_today"] == ("1", "/crossings/log#log-days")
    assert shown["near_limit"] == ("0", "/crossings/log#log-inside")  # inside two hours only
    from lbt.crossings.models import PermitPresence

    db.get(PermitPresence, permit.id).entered_at = entered
    db.flush()
    with statements(connection) as seen:
        result = figures(db, users[Role.BORDER_GUARD], clock(), "TJ")
    assert {figure.key: figure.count for figure in result}["near_limit"] == 1
    assert len(seen) <= 3  # the day counts, the agreements (unless loaded), the people inside


def test_the_representative_home_counts_replies_due_and_overdue_actions(
    login_as, db, connection, users, clock
):
    shown = numbers(login_as(Role.REPRESENTATIVE).get("/").get_data(as_text=True))
    assert shown["replies"] == ("0", "/representatives/")
    assert shown["actions_overdue"] == ("0", "/representatives/actions")


def test_overdue_actions_are_counted_on_the_sections_clock_in_one_bounded_query(
    db, connection, ref, reps, clock, held_meeting
):
    """Due yesterday on Dushanbe's clock: overdue; due today: still in time until the day ends there."""
    from lbt.core.dates import local_day
    from lbt.representatives import protocols
    from lbt.representatives.actions import overdue_actions

    item = held_meeting.agenda[0]
    today = local_day(clock.now, ref.section.zone_name)
    for due in (today, today, today + timedelta(days=1)):
        protocols.add_action(
            db, reps.tj, item, responsible_state_id=ref.kg.id, description="Repair", due_on=due, now=clock.now
        )
    clock.now += timedelta(days=1)  # the first two are due yesterday now, the third today
    with statements(connection) as seen:
        result = {f.key: f.count for f in figures(db, reps.tj, clock.now, "TJ")}
    assert result["actions_overdue"] == 2 == len(overdue_actions(db, clock.now, [ref.section.id]))
    assert len(seen) <= 3  # the replies, the overdue actions (and the sections, unless loaded)
