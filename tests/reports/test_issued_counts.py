"""The permits issued per local day kept at write time (``permit_issue_counts``:
lbt.reports.issued_counts), which the permits issued figures sum: each case compared with an
independent count over the permits (their local day of issue, kind and age in Python), the recount
that finds a tampered row, and the figures read from the permits when the period is on another clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from lbt.accounts.models import Role
from lbt.permits import services as permit_services
from lbt.permits.models import Permit
from lbt.reports import figures, issued_counts
from lbt.reports.figures import Scope
from lbt.reports.models import PermitIssueCount
from lbt.reports.periods import Period

DUSHANBE = ZoneInfo("Asia/Dushanbe")  # the test sessions' report zone (home state TJ)
LAST_DAY = date(2026, 12, 10)
LATE_EVENING = datetime(2026, 12, 10, 18, 30, tzinfo=UTC)  # 23:30 on 10 December in Dushanbe


def issued(db, ref, start: date, end: date, zone=DUSHANBE):  # type: ignore[no-untyped-def]
    scope = Scope(period=Period(start, end, zone), agreement_ids=(ref.agreement.id,))
    by_locality, by_sex, by_age = figures.permits_issued(db, scope)
    return by_locality.rows, dict(by_sex.rows), dict(by_age.rows)


def independent(db, start: date, end: date, zone=DUSHANBE) -> Counter[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(kind, age band) of every permit whose day of issue in ``zone`` is in the period, in Python."""
    counted: Counter[tuple[str, str]] = Counter()
    for permit in db.scalars(select(Permit)):
        day = permit.issued_at.astimezone(zone).date()
        if start <= day <= end:
            kind = "replacement" if permit.replaces_id else permit.application.kind.value
            birth = permit.birth_date
            years = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
            counted[kind, issued_counts.age_band(years)] += 1
    return counted


def by_kind_and_band(db, ref, start: date, end: date) -> Counter[tuple[str, str]]:  # type: ignore[no-untyped-def]
    scope = Scope(period=Period(start, end, DUSHANBE), agreement_ids=(ref.agreement.id,))
    counted: Counter[tuple[str, str]] = Counter()
    for _locality, kind, _sex, band, count in issued_counts.read(db, start, end, scope):
        counted[kind, band] += count
    return counted


def test_a_permit_issued_at_2330_local_on_the_last_day_counts_in_the_period(
    db, ref, clock, make_application, approve_one
):
    # born on 11 December 2008: 17 on the 10th in Dushanbe (the UTC day too), 18 the next day
    application = make_application(birth_date=date(2008, 12, 11)).application
    clock.now = LATE_EVENING
    approve_one(application, valid_from=LAST_DAY, valid_until=date(2027, 12, 10))
    db.flush()
    _, sexes, ages = issued(db, ref, date(2026, 12, 1), LAST_DAY)
    assert sum(sexes.values()) == 1 and ages["0-17"] == 1
    assert by_kind_and_band(db, ref, date(2026, 12, 1), LAST_DAY) == independent(
        db, date(2026, 12, 1), LAST_DAY
    )
    assert sum(issued(db, ref, LAST_DAY + timedelta(days=1), date(2026, 12, 31))[1].values()) == 0
    # half an hour later it is the 11th in Dushanbe, the holder's 18th birthday
    other = make_application(document_number="B901", birth_date=date(2008, 12, 11)).application
    clock.now = LATE_EVENING + timedelta(hours=1)
    approve_one(other, valid_from=LAST_DAY + timedelta(days=1), valid_until=date(2027, 12, 10))
    db.flush()
    assert issued(db, ref, date(2026, 12, 1), LAST_DAY)[2]["18-29"] == 0
    next_day = issued(db, ref, LAST_DAY + timedelta(days=1), LAST_DAY + timedelta(days=1))[2]
    assert next_day["18-29"] == 1 and next_day["0-17"] == 0
    assert issued_counts.rebuild(db) == issued_counts.Differences(0)


def test_a_replacement_counts_as_a_replacement(
    db, ref, users, clock, keystore, make_application, approve_one
):
    clock.now = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    permit = approve_one(make_application().application)
    clock.now = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    permit_services.replace(
        db, permit, officer=users[Role.OFFICER], reason="lost", key=keystore.active_key(), now=clock()
    )
    db.flush()
    period = (date(2026, 12, 1), date(2026, 12, 31))
    rows, _, _ = issued(db, ref, *period)
    assert rows[0][3:6] == (1, 0, 1)  # one first permit, no renewal, one replacement
    assert by_kind_and_band(db, ref, *period) == independent(db, *period)
    assert {kind for kind, _ in independent(db, *period)} == {"first", "replacement"}
    assert issued_counts.rebuild(db) == issued_counts.Differences(0)


def test_a_period_on_another_clock_is_read_from_the_permits(db, ref, clock, make_application, approve_one):
    """The counts are kept on the report zone's days: a period in another zone (UTC here) cannot be
    summed from them, and is counted from the permits, exactly."""
    application = make_application().application
    clock.now = LATE_EVENING  # 10 December in UTC and in Dushanbe
    approve_one(application, valid_from=LAST_DAY, valid_until=date(2027, 12, 10))
    clock.now = LATE_EVENING + timedelta(hours=1)  # the 11th in Dushanbe, still the 10th in UTC
    approve_one(
        make_application(document_number="B902").application,
        valid_from=LAST_DAY + timedelta(days=1),
        valid_until=date(2027, 12, 11),
    )
    db.flush()
    assert sum(issued(db, ref, LAST_DAY, LAST_DAY, UTC)[1].values()) == 2
    assert sum(issued(db, ref, LAST_DAY, LAST_DAY)[1].values()) == 1


def test_lbt_reports_rebuild_summaries_finds_a_tampered_row(
    app, db, ref, clock, make_application, approve_one
):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from lbt.cli import main

    clock.now = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    approve_one(make_application().application)
    approve_one(make_application(document_number="B903").application)
    db.flush()
    right = sorted(tuple(row) for row in db.execute(select(*PermitIssueCount.__table__.c)))
    assert sum(row[-1] for row in right) == 2
    db.execute(update(PermitIssueCount).values(count=PermitIssueCount.count + 5))
    db.add(
        PermitIssueCount(
            day=date(2026, 12, 2),
            agreement_id=ref.agreement.id,
            locality_id=ref.locality.id,
            kind="renewal",
            sex="F",
            age_band="60+",
            count=3,
        )
    )
    db.commit()

    def run():  # type: ignore[no-untyped-def]
        return CliRunner().invoke(
            main, ["reports", "rebuild-summaries"], obj=ScriptInfo(create_app=lambda: app)
        )

    first = run()
    assert first.exit_code == 0, first.output
    assert f"permits issued per day: {2 * len(right) + 1} row(s) differed; rebuilt." in first.output
    assert "permits issued per day: 0 row(s) differed; nothing to change." in run().output
    db.expire_all()
    assert sorted(tuple(row) for row in db.execute(select(*PermitIssueCount.__table__.c))) == right
