"""A crossing's time must be possible: not before the permit's date of issue, not ahead of the server's
clock by more than the devices' clock skew, and, sent online, close to now. An offline record older than
LBT_OFFLINE_MAX_AGE_HOURS is held out of the stays until an officer accepts it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.audit.models import AuditEntry
from lbt.core.settings import Settings, SettingsError
from lbt.crossings.models import Crossing, CrossingStatus, MisuseCase
from tests.crossings import sending
from tests.crossings.sending import item, send, verdict
from tests.fixtures.factories import make_user

pytestmark = pytest.mark.usefixtures("permit")

permit, guard_token = sending.permit, sending.guard_token  # the shared fixtures, by name


def test_a_crossing_in_1900_is_refused_and_the_permit_stays_green(client, db, permit, guard_token, clock):
    results = send(client, guard_token, item(permit, "1900-01-01T00:00:00+00:00"))
    assert results[0]["status"] == "invalid" and results[0]["code"] == "time_before_issue"
    assert "before the permit was issued (22/11/2026)" in results[0]["error"]
    assert db.scalars(select(Crossing)).all() == []
    assert verdict(client, guard_token, permit)["verdict"] == "pass"  # not red for good

    clock.advance(days=3)
    entered = send(client, guard_token, item(permit, clock(), offline=False))
    assert entered[0]["status"] == "stored" and entered[0]["verdict"] == "pass"
    left = send(client, guard_token, item(permit, clock(), "exit", offline=False))
    assert left[0]["status"] == "stored" and left[0]["misuse_case"] is None
    assert db.scalars(select(MisuseCase)).all() == []  # no overstay from a stay begun in 1900


def test_a_crossing_ahead_of_the_servers_clock_by_more_than_the_skew_is_refused(
    client, db, permit, guard_token, clock
):
    ahead = send(client, guard_token, item(permit, clock() + timedelta(minutes=11)))
    assert ahead[0]["status"] == "invalid" and ahead[0]["code"] == "time_in_future"
    assert "more than 10 minutes ahead of the server's clock" in ahead[0]["error"]
    within = send(client, guard_token, item(permit, clock() + timedelta(minutes=9)))
    assert within[0]["status"] == "stored"


def test_the_skew_and_the_offline_age_are_settings(make_app, settings, db, permit, guard_token, clock):
    client = make_app(
        settings.with_changes(crossing_clock_skew_minutes=30, offline_max_age_hours=1)
    ).test_client()
    assert send(client, guard_token, item(permit, clock() + timedelta(minutes=25)))[0]["status"] == "stored"
    clock.advance(hours=3)
    old = send(client, guard_token, item(permit, clock() - timedelta(hours=2), "exit"))
    assert old[0]["status"] == "held" and "more than 1 hours ago" in old[0]["error"]


def test_the_limits_are_read_from_the_environment(tmp_path):
    env = {
        "LBT_SECRET_KEY": "k" * 40,
        "LBT_CROSSING_CLOCK_SKEW_MINUTES": "5",
        "LBT_OFFLINE_MAX_AGE_HOURS": "24",
    }
    read = Settings.from_env(tmp_path, env)
    assert (read.crossing_clock_skew_minutes, read.offline_max_age_hours) == (5, 24)
    defaults = Settings.from_env(tmp_path, {"LBT_SECRET_KEY": "k" * 40})
    assert (defaults.crossing_clock_skew_minutes, defaults.offline_max_age_hours) == (10, 72)
    for name, value in (("LBT_CROSSING_CLOCK_SKEW_MINUTES", "-1"), ("LBT_OFFLINE_MAX_AGE_HOURS", "0")):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env(tmp_path, {**env, name: value})


def test_an_online_crossing_happens_now_so_a_back_dated_one_is_refused(
    client, db, permit, guard_token, clock
):
    clock.advance(days=2)
    late = send(client, guard_token, item(permit, clock() - timedelta(minutes=30), offline=False))
    assert late[0]["status"] == "invalid" and late[0]["code"] == "time_not_now"
    assert "check the device's clock" in late[0]["error"]
    assert db.scalars(select(Crossing)).all() == []


@pytest.fixture
def held(client, db, permit, guard_token, clock):  # type: ignore[no-untyped-def]
    """An entry recorded offline four days ago and sent only now (the limit is 72 hours)."""
    clock.advance(days=5)
    results = send(client, guard_token, item(permit, clock() - timedelta(days=4), reason="Offline."))
    assert results[0]["status"] == "held" and results[0]["code"] == "offline_too_old"
    assert "kept for an officer's review" in results[0]["error"]
    return db.scalar(select(Crossing))


def test_an_old_offline_crossing_is_held_out_of_the_stays(client, login_as, permit, guard_token, held):
    assert held.status is CrossingStatus.HELD
    stay = verdict(client, guard_token, permit)
    assert stay["verdict"] == "pass" and stay["stay"]["inside"] is False  # not counted
    guard = login_as(Role.BORDER_GUARD)
    assert "Nobody is recorded inside." in guard.get("/crossings/log").get_data(as_text=True)
    history = guard.get(f"/crossings/permits/{permit.id}").get_data(as_text=True)
    assert "held for review: not counted yet" in history


def test_an_officer_accepts_a_held_crossing_and_then_it_counts(
    client, db, login_as, permit, guard_token, held, users
):
    officer = login_as(Role.OFFICER)
    page = officer.get("/crossings/held").get_data(as_text=True)
    assert permit.number in page and f'action="/crossings/held/{held.id}"' in page
    response = officer.submit(f"/crossings/held/{held.id}", {f"crossing-{held.id}-decision": "accepted"})
    assert response.status_code == 302
    db.refresh(held)
    assert held.status is CrossingStatus.ACCEPTED
    stay = verdict(client, guard_token, permit)
    assert stay["stay"]["inside"] is True and stay["reasons"][0]["code"] == "already_inside"
    entry = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "crossing_reviews")).one()
    assert entry.actor_id == users[Role.OFFICER].id and '"accepted"' in entry.changes
    assert "No crossings are held for review." in officer.get("/crossings/held").get_data(as_text=True)
    again = officer.submit(f"/crossings/held/{held.id}", {f"crossing-{held.id}-decision": "rejected"})
    assert again.status_code == 400 and "This crossing was already reviewed." in again.get_data(as_text=True)
    db.refresh(held)
    assert held.status is CrossingStatus.ACCEPTED


def test_a_rejection_needs_a_note_and_a_rejected_crossing_never_counts(
    client, db, login_as, permit, guard_token, held
):
    supervisor = login_as(Role.SUPERVISOR)
    field = f"crossing-{held.id}"
    refused = supervisor.submit(f"/crossings/held/{held.id}", {f"{field}-decision": "rejected"})
    assert refused.status_code == 400 and "Say why the crossing is rejected." in refused.get_data(
        as_text=True
    )
    nonsense = supervisor.submit(f"/crossings/held/{held.id}", {f"{field}-decision": "maybe"})
    assert nonsense.status_code == 400 and "Accept or reject the crossing." in nonsense.get_data(as_text=True)
    db.refresh(held)
    assert held.status is CrossingStatus.HELD
    done = supervisor.submit(
        f"/crossings/held/{held.id}", {f"{field}-decision": "rejected", f"{field}-note": "Sent twice."}
    )
    assert done.status_code == 302
    db.refresh(held)
    assert held.status is CrossingStatus.REJECTED
    assert verdict(client, guard_token, permit)["stay"]["inside"] is False


def test_only_officers_and_supervisors_of_the_agreement_review(app, db, ref, login_as, held):
    for role in (Role.BORDER_GUARD, Role.REPRESENTATIVE, Role.AUDITOR):
        assert login_as(role).get("/crossings/held").status_code == 403
    make_user(db, "officer2", Role.OFFICER, agreements=[ref.other_agreement])
    other = app.test_client()
    assert other.login("officer2").status_code == 302
    assert "No crossings are held for review." in other.get("/crossings/held").get_data(as_text=True)
    field = f"crossing-{held.id}"
    denied = other.submit(f"/crossings/held/{held.id}", {f"{field}-decision": "accepted"})
    assert denied.status_code == 403
    assert other.submit("/crossings/held/999999", {"crossing-999999-decision": "accepted"}).status_code == 404
    db.refresh(held)
    assert held.status is CrossingStatus.HELD
