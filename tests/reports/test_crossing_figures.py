"""The crossing figures come from the summaries kept at write time and agree with an independent count
over the crossings recorded: a stay across the period's end counts its entry in the period and its
exit after it, and the holder inside now is counted with the days inside since the entry."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.crossings import services
from lbt.crossings.models import Crossing, CrossingDayCount, Direction
from lbt.reports.crossing_figures import bucket, crossings, inside_now
from lbt.reports.figures import Scope
from lbt.reports.periods import Period

PERIOD = Period(date(2026, 12, 1), date(2027, 1, 31), ZoneInfo("Asia/Dushanbe"))
NOW = datetime(2027, 6, 1, 6, 0, tzinfo=UTC)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)  # the same day in Dushanbe and Bishkek


def test_crossing_figures_agree_with_an_independent_count(db, ref, users, clock, permit):
    moves = [
        (Direction.ENTRY, date(2026, 12, 2)),
        (Direction.EXIT, date(2026, 12, 5)),
        (Direction.ENTRY, date(2027, 1, 30)),
        (Direction.EXIT, date(2027, 2, 2)),  # the stay runs over the period's end
        (Direction.ENTRY, date(2027, 2, 10)),  # still inside on 1 June: 111 days, past 90
    ]
    for direction, day in moves:
        clock.now = noon(day)
        services.record(
            db,
            client_id=str(uuid.uuid4()),
            permit=permit,
            crossing_point=ref.crossing_point,
            direction=direction,
            at=noon(day),
            officer=users[Role.BORDER_GUARD],
            reason="checked",  # whatever amber the test data raises: the figures are the point here
            now=noon(day),
        )
    db.flush()
    scope = Scope(period=PERIOD, agreement_ids=(ref.agreement.id,))
    by_point, over_time = crossings(db, scope)

    recorded = [c for c in db.scalars(select(Crossing)) if PERIOD.start <= c.at.date() <= PERIOD.end]
    counted = Counter(c.direction for c in recorded)
    assert by_point.rows == ((ref.crossing_point.code, counted[Direction.ENTRY], counted[Direction.EXIT]),)
    assert counted == {Direction.ENTRY: 2, Direction.EXIT: 1}
    per_day = Counter((c.at.date().isoformat(), c.direction) for c in recorded)
    assert over_time.rows == tuple(
        (day, per_day[day, Direction.ENTRY], per_day[day, Direction.EXIT])
        for day in sorted({d for d, _ in per_day})
    )
    assert bucket(date(2027, 1, 30), 200) == "2027-W04" and bucket(date(2027, 1, 30), 400) == "2027-01"

    inside, stays, overstaying = inside_now(db, scope, now=NOW)
    assert inside.rows == ((ref.crossing_point.code, 1),)
    assert dict(stays.rows)["91+"] == 1 and sum(dict(stays.rows).values()) == 1
    assert overstaying.rows == ((ref.crossing_point.code, 1),)
    elsewhere = Scope(
        period=PERIOD, agreement_ids=(ref.agreement.id,), crossing_point_id=ref.other_crossing_point.id
    )
    assert crossings(db, elsewhere)[0].rows == ()


def test_the_figures_do_not_read_the_crossings_table(db, ref, clock, connection):
    """National size: the crossing figures read the summaries only (no statement names ``crossings``)."""
    from sqlalchemy import event

    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(connection, "before_cursor_execute", listener)
    try:
        scope = Scope(period=PERIOD, agreement_ids=(ref.agreement.id,))
        crossings(db, scope)
        inside_now(db, scope, now=NOW)
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    assert statements and not [s for s in statements if " crossings " in f" {s} ".replace("\n", " ")]
    assert db.scalar(select(CrossingDayCount).limit(1)) is None
