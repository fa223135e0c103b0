"""Risk indicators against an independent count: seeded per-day crossings, misuse cases, incidents,
refusals and alert hits in known weeks give the last 7 days, the week before, the same week a year
before and the usual band (mean ± 2 sd of the 8 weeks before), and the flag when outside it."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import event

from lbt.accounts.models import Role
from lbt.alerts.models import AlertHit
from lbt.applications.models import ApplicationEvent, EventKind
from lbt.crossings.models import CrossingDayCount, Direction, MisuseCase, MisuseKind
from lbt.reports.figures import Scope
from lbt.reports.periods import Period
from lbt.reports.risk import risk_indicators
from lbt.representatives.enums import IncidentType
from lbt.representatives.models import Incident

END = date(2026, 11, 22)
PERIOD = Period(date(2026, 10, 24), END)


def day_in_week(week: int, offset: int = 0) -> date:
    """A day of week ``week`` back from END (0 = the 7 days ending on END)."""
    return END - timedelta(days=7 * week + offset)


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def rows_of(db, ref, **scope):  # type: ignore[no-untyped-def]
    figure = risk_indicators(
        db, Scope(period=PERIOD, agreement_ids=(ref.agreement.id,), section_ids=(ref.section.id,), **scope)
    )
    return {(row[0], row[1]): row[2:] for row in figure.rows}


def expected(this: int, previous: int, year_ago: int, history: list[int]) -> tuple[object, ...]:
    mean, sd = statistics.fmean(history), statistics.pstdev(history)
    low, high = max(0.0, round(mean - 2 * sd, 1)), round(mean + 2 * sd, 1)
    flag = "band_above" if this > high else "band_below" if this < low else ""
    return (this, previous, this - previous, year_ago, this - year_ago, low, high, flag)


def test_crossings_per_point_leave_their_band_and_compare_with_the_week_before_and_a_year_before(db, ref):
    history = [10, 12, 9, 11, 10, 13, 8, 10]  # weeks 1..8
    seeded = {0: 40, **{week: count for week, count in enumerate(history, start=1)}, 52: 12, 9: 500, 51: 77}
    for week, count in seeded.items():  # weeks 9 and 51 are outside every window
        db.add(
            CrossingDayCount(
                crossing_point_id=ref.crossing_point.id,
                day=day_in_week(week, 3),
                direction=Direction.ENTRY,
                count=count - 1,
            )
        )
        db.add(
            CrossingDayCount(
                crossing_point_id=ref.crossing_point.id,
                day=day_in_week(week, 6),
                direction=Direction.EXIT,
                count=1,
            )
        )
    db.flush()
    rows = rows_of(db, ref)
    assert rows["risk_crossings", ref.crossing_point.code] == expected(40, 10, 12, history)
    assert rows["risk_crossings", ref.crossing_point.code][-1] == "band_above"


def test_a_quiet_week_falls_below_its_band(db, ref):
    for week in range(1, 9):
        db.add(
            CrossingDayCount(
                crossing_point_id=ref.crossing_point.id,
                day=day_in_week(week),
                direction=Direction.ENTRY,
                count=20 + week % 2,
            )
        )
    db.flush()
    assert rows_of(db, ref)["risk_crossings", ref.crossing_point.code] == expected(0, 21, 0, [21, 20] * 4)
    assert rows_of(db, ref)["risk_crossings", ref.crossing_point.code][-1] == "band_below"


def test_misuse_overstays_incidents_refusals_and_alert_hits_are_counted_by_week(db, ref, users, permit):
    for week, kind in [
        (0, MisuseKind.OVERSTAY),
        (0, MisuseKind.OVERSTAY),
        (3, MisuseKind.RESALE_TRADE),
        (52, MisuseKind.OVERSTAY),
    ]:
        db.add(MisuseCase(permit=permit, kind=kind, detected_at=at_noon(day_in_week(week, 1))))
    for week in (0, 1, 1, 2, 60):  # week 60: outside every window
        db.add(
            Incident(
                section=ref.section,
                reported_by_state=ref.tj,
                reported_by_id=users[Role.REPRESENTATIVE].id,
                type=IncidentType.STRAY_LIVESTOCK,
                occurred_at=at_noon(day_in_week(week, 2)),
                description="Sheep crossed the line.",
                landmark="Pillar 114",
            )
        )
    application = permit.application
    db.add(ApplicationEvent(application=application, kind=EventKind.REFUSED, at=at_noon(day_in_week(4))))
    db.flush()
    rows = rows_of(db, ref)
    assert rows["risk_misuse", "—"] == expected(2, 0, 1, [0, 0, 1, 0, 0, 0, 0, 0])  # found away from a post
    assert rows["risk_overstays", "—"] == expected(2, 0, 1, [0] * 8)
    assert rows["risk_misuse", ref.crossing_point.code] == expected(0, 0, 0, [0] * 8)
    assert rows["risk_incidents", ref.section.code] == expected(1, 2, 0, [2, 1, 0, 0, 0, 0, 0, 0])
    assert rows["risk_refusals", ref.agreement.code] == expected(0, 0, 0, [0, 0, 0, 1, 0, 0, 0, 0])
    assert rows["risk_alert_hits", ref.agreement.code] == expected(0, 0, 0, [0] * 8)
    assert rows_of(db, ref, crossing_point_id=ref.crossing_point.id).get(("risk_misuse", "—")) is None


def test_the_indicators_cost_the_same_queries_whatever_the_data(db, ref, permit):
    def statements() -> int:
        seen: list[str] = []
        connection = db.connection()
        listener = lambda *_args: seen.append("statement")  # noqa: E731
        event.listen(connection, "before_cursor_execute", listener)
        try:
            rows_of(db, ref)
        finally:
            event.remove(connection, "before_cursor_execute", listener)
        return len(seen)

    empty = statements()
    for week in range(0, 9):
        db.add(
            CrossingDayCount(
                crossing_point_id=ref.crossing_point.id,
                day=day_in_week(week),
                direction=Direction.ENTRY,
                count=5,
            )
        )
        db.add(MisuseCase(permit=permit, kind=MisuseKind.OVERSTAY, detected_at=at_noon(day_in_week(week))))
    db.flush()
    assert statements() == empty <= 8


def test_the_reports_page_shows_the_indicators_and_their_flag(login_as, db, ref, permit, clock):
    today = clock().date()
    db.add(MisuseCase(permit=permit, kind=MisuseKind.OVERSTAY, detected_at=clock() - timedelta(hours=1)))
    db.flush()
    page = login_as(Role.ANALYST).get(f"/reports/?until={today.isoformat()}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Risk indicators: the last 7 days against the usual band" in text
    assert "Overstays" in text and "Above its usual band" in text
    assert "mean ± 2 standard deviations" in text
    assert permit.number not in text
    assert AlertHit  # the hits figure reads the same table the alert list writes
