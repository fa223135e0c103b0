"""Stay patterns that suggest misuse (issue 12 item 3): kept at each counted exit, listed for officers
with the reason, aging out by themselves, never a scan of the crossings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.crossings import patterns, services
from lbt.crossings.history import Counted
from lbt.crossings.models import Direction, PatternKind, StayPatternFlag
from tests.crossings import sending

permit, guard_token = sending.permit, sending.guard_token

START = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def _stays(*spans: tuple[timedelta, timedelta]) -> list[Counted]:
    """Counted crossings of stays that begin ``offset`` after START and last ``length``."""
    counted = []
    for number, (offset, length) in enumerate(spans):
        counted.append(Counted(START + offset, 2 * number, Direction.ENTRY, 1, f"e{number}"))
        counted.append(Counted(START + offset + length, 2 * number + 1, Direction.EXIT, 1, f"x{number}"))
    return counted


def _flags(counted, max_stay_days=90):  # type: ignore[no-untyped-def]
    return {
        f.kind: f.count
        for f in patterns.flags_of(1, 1, counted, max_stay_days=max_stay_days, zone_name="Asia/Dushanbe")
    }


def test_eight_stays_of_a_few_hours_in_a_month_raise_the_flag_seven_do_not():
    short = [(timedelta(days=3 * n), timedelta(hours=2)) for n in range(8)]
    assert _flags(_stays(*short)) == {PatternKind.SHORT_STAYS: 8}
    assert _flags(_stays(*short[:7])) == {}
    # the same eight spread over more than 30 days: only those in the window up to the last exit count
    spread = [(timedelta(days=5 * n), timedelta(hours=2)) for n in range(8)]
    assert _flags(_stays(*spread)) == {}
    # longer than 6 hours is not a short stay
    assert _flags(_stays(*[(timedelta(days=3 * n), timedelta(hours=7)) for n in range(8)])) == {}


def test_stays_ending_near_the_limit_again_and_again_raise_the_flag():
    """With a 10-day limit, stays of 9 or 10 calendar days (on the post's clock) count."""
    near = [(timedelta(days=40 * n), timedelta(days=8, hours=2)) for n in range(3)]  # 9 calendar days
    assert _flags(_stays(*near), max_stay_days=10) == {PatternKind.NEAR_LIMIT: 3}
    shorter = [(timedelta(days=40 * n), timedelta(days=6)) for n in range(3)]
    assert _flags(_stays(*shorter), max_stay_days=10) == {}
    # a stay still open is not finished: it does not count
    assert _flags(_stays(*near)[:-1], max_stay_days=10) == {}


@pytest.fixture
def officer(login_as):  # type: ignore[no-untyped-def]
    return login_as(Role.OFFICER)


def test_a_device_batch_of_short_stays_flags_the_holder_and_officers_read_why(
    client, db, permit, guard_token, clock, officer, login_as
):
    clock.advance(days=3)
    items = []
    for n in range(8):
        entered = clock() - timedelta(hours=70) + timedelta(hours=8 * n)
        items += [sending.item(permit, entered), sending.item(permit, entered + timedelta(hours=1), "exit")]
    results = sending.send(client, guard_token, *items)
    assert {r["status"] for r in results} == {"stored"}
    flag = db.scalar(select(StayPatternFlag))
    assert (flag.permit_id, flag.kind, flag.count, flag.window_days) == (
        permit.id,
        PatternKind.SHORT_STAYS,
        8,
        30,
    )

    page = officer.get("/permits/patterns").get_data(as_text=True)
    rows = page.split('id="pattern-flags"')[1].split("</table>")[0]
    assert permit.number in rows and "8 stays of 6 hours or less in the last 30 days" in rows
    for role in (Role.BORDER_GUARD, Role.ANALYST, Role.REPRESENTATIVE):
        assert login_as(role).get("/permits/patterns").status_code == 403

    clock.advance(days=31)  # the window has passed since the latest exit: the flag ages out
    assert "No holder is flagged." in officer.get("/permits/patterns").get_data(as_text=True)


def test_the_guard_pages_path_flags_too_and_a_ninth_stay_updates_the_count(db, permit, ref, users, clock):
    for n in range(9):
        entered = START + timedelta(days=25, hours=8 * n)
        for direction, at in ((Direction.ENTRY, entered), (Direction.EXIT, entered + timedelta(hours=1))):
            services.record(  # as the guard page records it, with the reason an amber verdict asks for
                db,
                client_id=str(uuid.uuid4()),
                permit=permit,
                crossing_point=ref.crossing_point,
                direction=direction,
                at=at,
                officer=users[Role.BORDER_GUARD],
                reason="Seen, short trip.",
                now=at,
            )
        db.flush()
        db.expire_all()
        flag = db.scalar(select(StayPatternFlag))
        assert (flag.count if flag else 0) == (n + 1 if n >= 7 else 0)
    assert flag.last_exit_at == START + timedelta(days=25, hours=65)


def test_the_list_of_an_agreement_the_officer_does_not_serve_is_empty(db, permit, ref, users, clock, officer):
    other = patterns.Flag(permit.id, ref.other_agreement.id, PatternKind.SHORT_STAYS, 9, 30, clock())
    patterns.keep_flags(db, [other], clock())
    db.flush()
    assert "No holder is flagged." in officer.get("/permits/patterns").get_data(as_text=True)
