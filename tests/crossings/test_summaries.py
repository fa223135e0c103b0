"""The crossing summaries (issue 11) always equal a recount from the crossings themselves: after
entries and exits by batch and one at a time, out of order, held crossings accepted and rejected,
retries and refusals. ``summaries.rebuild`` finds nothing to change then, and repairs a summary that
was tampered with, saying how many rows differed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from lbt.accounts.models import Role
from lbt.core.dates import local_day
from lbt.crossings import summaries
from lbt.crossings.models import (
    COUNTED_STATUSES,
    Crossing,
    CrossingDayCount,
    Direction,
    PermitPresence,
    ReviewDecision,
)
from lbt.crossings.review import decide
from tests.crossings import sending
from tests.crossings.test_views import cross

permit, guard_token = sending.permit, sending.guard_token


def recount(db):  # type: ignore[no-untyped-def]
    """The summaries computed independently: in Python, from every crossing row."""
    crossings = db.scalars(select(Crossing).order_by(Crossing.id)).all()
    counted = [c for c in crossings if c.status in COUNTED_STATUSES]
    days = Counter(
        (c.crossing_point_id, local_day(c.at, c.crossing_point.zone_name), c.direction) for c in counted
    )
    last: dict[int, Crossing] = {}
    for crossing in counted:
        held = last.get(crossing.permit_id)
        if held is None or (crossing.at, crossing.id) > (held.at, held.id):
            last[crossing.permit_id] = crossing
    presence = {
        permit_id: (
            c.id,
            c.at,
            c.direction,
            c.crossing_point_id,
            c.at if c.direction is Direction.ENTRY else None,
            c.permit.max_stay_days,
        )
        for permit_id, c in last.items()
    }
    return dict(days), presence


def kept(db):  # type: ignore[no-untyped-def]
    db.expire_all()
    days = {
        (row.crossing_point_id, row.day, row.direction): row.count
        for row in db.scalars(select(CrossingDayCount))
        if row.count
    }
    presence = {
        row.permit_id: (
            row.last_crossing_id,
            row.last_at,
            row.last_direction,
            row.last_crossing_point_id,
            row.entered_at,
            row.max_stay_days,
        )
        for row in db.scalars(select(PermitPresence))
    }
    return days, presence


def test_the_summaries_equal_a_recount_after_a_mix_of_writes(
    client, db, permit, guard_token, clock, ref, users, make_application, app
):
    other = sending.permit.__wrapped__(  # a second holder, issued as the first
        db, lambda: make_application(document_number="B71234567"), users, clock, app
    )
    send = lambda *items: sending.send(client, guard_token, *items)  # noqa: E731
    base = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    # a batch out of order, with a day trip of another holder and a retry in it
    trip = sending.item(other, base + timedelta(minutes=5))
    send(
        sending.item(permit, base + timedelta(minutes=30), "exit"),
        sending.item(permit, base + timedelta(minutes=10)),
        trip,
        sending.item(other, base + timedelta(minutes=50), "exit"),
        trip,
    )
    assert kept(db) == recount(db)
    # one at a time (the guard page's path), then an earlier crossing sent late: out of order
    cross(db, permit, ref, users, Direction.ENTRY, base + timedelta(hours=2))
    send(sending.item(permit, base + timedelta(hours=1), "exit"))
    assert kept(db) == recount(db)
    # days later: crossings held for review, one accepted, one rejected, and a refused online one
    clock.advance(days=5)
    held = send(
        sending.item(other, clock() - timedelta(days=4, hours=1)),
        sending.item(other, clock() - timedelta(days=4), "exit"),
        sending.item(permit, clock(), "exit", offline=False),
    )
    assert [result["status"] for result in held] == ["held", "held", "stored"]
    assert kept(db) == recount(db)
    entry, leaving = db.scalars(
        select(Crossing).where(Crossing.permit_id == other.id).order_by(Crossing.id.desc()).limit(2)
    ).all()[::-1]
    decide(db, entry.id, ReviewDecision.ACCEPTED, officer=users[Role.OFFICER], note="", now=clock())
    decide(db, leaving.id, ReviewDecision.REJECTED, officer=users[Role.OFFICER], note="Wrong.", now=clock())
    db.flush()
    days, presence = kept(db)
    assert (days, presence) == recount(db)
    assert presence[other.id][4] is not None  # the accepted entry put the holder inside
    assert summaries.rebuild(db) == summaries.Differences(presence=0, day_counts=0)


def test_rebuild_repairs_a_summary_and_says_how_many_rows_differed(db, permit, ref, users):
    at = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    cross(db, permit, ref, users, Direction.ENTRY, at)
    cross(db, permit, ref, users, Direction.EXIT, at + timedelta(hours=1))
    right = recount(db)
    db.execute(update(CrossingDayCount).values(count=CrossingDayCount.count + 5))
    db.execute(PermitPresence.__table__.delete())
    differences = summaries.rebuild(db)
    assert differences == summaries.Differences(presence=1, day_counts=4)  # 2 wrong rows, each both ways
    assert kept(db) == right
    assert summaries.rebuild(db) == summaries.Differences(0, 0)


def test_rebuild_repairs_a_tampered_longest_stay(db, permit, ref, users):
    """The reports count the people overstaying from ``permit_presence.max_stay_days`` (revision 0026):
    the recount compares it with the permit's own."""
    cross(db, permit, ref, users, Direction.ENTRY, datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    right = recount(db)
    assert kept(db) == right and right[1][permit.id][5] == permit.max_stay_days
    db.execute(update(PermitPresence).values(max_stay_days=PermitPresence.max_stay_days + 30))
    assert summaries.rebuild(db) == summaries.Differences(presence=2, day_counts=0)  # one row, both ways
    assert kept(db) == right


def test_lbt_crossings_rebuild_summaries_says_what_it_changed(app, db, permit, ref, users):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from lbt.cli import main

    cross(db, permit, ref, users, Direction.ENTRY, datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    db.execute(PermitPresence.__table__.delete())
    db.commit()

    def run():
        return CliRunner().invoke(
            main, ["crossings", "rebuild-summaries"], obj=ScriptInfo(create_app=lambda: app)
        )

    first = run()
    assert first.exit_code == 0, first.output
    assert (
        "permit_presence: 1 row(s) differed; crossing_day_counts: 0 row(s) differed. Both rebuilt."
        in first.output
    )
    assert "Nothing to change." in run().output


def _day_counts(db):  # type: ignore[no-untyped-def]
    db.expire_all()
    return {
        (row.day.isoformat(), row.direction.value): row.count for row in db.scalars(select(CrossingDayCount))
    }


def test_a_crossing_counts_on_the_crossing_points_local_day(db, permit, ref, users):
    """20:30 UTC on 22 November is 01:30 on the 23rd in Dushanbe (UTC+5): the Tajik post's day."""
    cross(db, permit, ref, users, Direction.ENTRY, datetime(2026, 11, 22, 20, 30, tzinfo=UTC))
    assert _day_counts(db) == {("2026-11-23", "entry"): 1}
    # a point with a zone of its own counts in that one: 18:30 UTC is 00:30 on the 24th in Bishkek (UTC+6)
    ref.crossing_point.time_zone = "Asia/Bishkek"
    db.flush()
    cross(db, permit, ref, users, Direction.EXIT, datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    assert _day_counts(db) == {("2026-11-23", "entry"): 1, ("2026-11-24", "exit"): 1}
    assert summaries.rebuild(db) == summaries.Differences(0, 0)  # the recount's SQL agrees


def test_revision_0014_recounts_the_days_on_local_clocks(db, permit, ref, users):
    """The revision's downgrade counts on UTC days (as before it), its upgrade on the local ones."""
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    path = next(Path(__file__).parents[2].glob("migrations/versions/*_0014_*.py"))
    spec = importlib.util.spec_from_file_location("revision_0014", path)
    assert spec is not None and spec.loader is not None
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)

    cross(db, permit, ref, users, Direction.ENTRY, datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    cross(db, permit, ref, users, Direction.EXIT, datetime(2026, 11, 22, 20, 30, tzinfo=UTC))
    local = {("2026-11-22", "entry"): 1, ("2026-11-23", "exit"): 1}
    assert _day_counts(db) == local
    with Operations.context(MigrationContext.configure(db.connection())):
        revision.downgrade()
        assert _day_counts(db) == {("2026-11-22", "entry"): 1, ("2026-11-22", "exit"): 1}
        revision.upgrade()
    assert _day_counts(db) == local
