"""Every monitoring figure agrees with an independent count over the seeded records (Python over all
rows, not the figures' SQL), with the edge cases: a record on each side of the period's first midnight
in the home state's time, a permit replaced in the period, a refusal before it, an open application
past its due date."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.applications.models import Application, ApplicationEvent, Sex
from lbt.applications.services import refuse
from lbt.crossings.models import MisuseCase, MisuseKind
from lbt.permits import services as permit_services
from lbt.permits.models import Permit, PermitStatus
from lbt.reports import decision_figures, figures
from lbt.reports.figures import Scope
from lbt.reports.monitoring import monitoring_figures
from lbt.reports.periods import InvalidPeriod, Period
from tests.fixtures.permits import add_locality

DUSHANBE = ZoneInfo("Asia/Dushanbe")
HALF = Period.half("2026-2", DUSHANBE)
BEFORE_MIDNIGHT = datetime(2026, 6, 30, 18, 30, tzinfo=UTC)  # 23:30 on 30 June in Dushanbe: first half
AFTER_MIDNIGHT = datetime(2026, 6, 30, 19, 30, tzinfo=UTC)  # 00:30 on 1 July in Dushanbe: second half


def in_half(instant: datetime | None) -> bool:
    return instant is not None and HALF.start <= instant.astimezone(DUSHANBE).date() <= HALF.end


@pytest.fixture
def seeded(db, ref, users, clock, make_application, approve_one, keystore):  # type: ignore[no-untyped-def]
    officer = users[Role.OFFICER]
    ref.locality.population = 2000
    second = add_locality(db, ref.agreement, ref.locality.state, "Kara-Bak", "Кара-Бак")

    def at(moment: datetime) -> None:
        clock.now = moment

    at(BEFORE_MIDNIGHT)
    refused_early = make_application(
        document_number="B100", surname_latin="ALIEVA", sex=Sex.FEMALE
    ).application
    at(AFTER_MIDNIGHT)
    first = make_application(document_number="B200").application
    at(datetime(2026, 7, 2, 6, 0, tzinfo=UTC))
    overdue = make_application(document_number="B300", locality_id=second.id).application
    revoked_app = make_application(document_number="B400", locality_id=second.id, birth_date=date(1950, 1, 1))
    at(datetime(2026, 7, 10, 6, 0, tzinfo=UTC))
    refuse(
        db,
        refused_early,
        officer=officer,
        reasons=["residence_not_proven", "entry_ban"],
        text="No.",
        now=clock(),
    )
    at(datetime(2026, 8, 20, 6, 0, tzinfo=UTC))  # 49 days after submission: late against 30
    permit = approve_one(first, valid_from=date(2026, 8, 20), valid_until=date(2027, 8, 20))
    at(datetime(2026, 7, 20, 6, 0, tzinfo=UTC))  # 18 days
    other = approve_one(revoked_app.application, valid_from=date(2026, 7, 20), valid_until=date(2027, 7, 20))
    at(datetime(2026, 9, 1, 6, 0, tzinfo=UTC))
    replacement = permit_services.replace(
        db, permit, officer=officer, reason="lost", key=keystore.active_key(), now=clock()
    )
    at(datetime(2026, 10, 1, 6, 0, tzinfo=UTC))
    permit_services.revoke(db, other, officer=officer, reason="resale trade", now=clock())
    db.add_all(
        [
            MisuseCase(permit=other, kind=MisuseKind.RESALE_TRADE, detected_at=clock(), penalty="revocation"),
            MisuseCase(permit=other, kind=MisuseKind.OVERSTAY, detected_at=BEFORE_MIDNIGHT, penalty="fine"),
        ]
    )
    at(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    db.flush()
    return {"overdue": overdue, "replacement": replacement, "locality": ref.locality, "second": second}


def scope(ref) -> Scope:  # type: ignore[no-untyped-def]
    return Scope(period=HALF, agreement_ids=(ref.agreement.id,))


def test_the_half_year_is_read_in_the_home_states_time():
    since, until = HALF.bounds()
    assert since == datetime(2026, 6, 30, 19, 0, tzinfo=UTC)
    assert until == datetime(2026, 12, 31, 19, 0, tzinfo=UTC)
    assert Period.half("2026-1").end == date(2026, 6, 30)
    for wrong in ("2026-3", "26-1", "2026", "2026-1x"):
        with pytest.raises(InvalidPeriod):
            Period.half(wrong)


def test_application_figures_agree_with_an_independent_count(db, ref, clock, seeded):
    events = [event for event in db.scalars(select(ApplicationEvent)) if in_half(event.at)]
    counted = Counter(event.kind.value for event in events)
    figure = dict(figures.applications(db, scope(ref)).rows)
    assert figure["submitted"] == counted["submitted"] == 3  # not the one 30 minutes before midnight
    assert figure["approved"] == counted["approved"] == 2
    assert figure["refused"] == counted["refused"] == 1  # refused in the period, though received before

    reasons = dict(figures.refusal_reasons(db, scope(ref)).rows)
    assert reasons == {"residence_not_proven": 1, "entry_ban": 1}

    times = dict(decision_figures.decision_times(db, scope(ref), now=clock(), deadline_days=30).rows)
    applications = {a.id: a for a in db.scalars(select(Application))}
    days = sorted(
        (
            min(e.at for e in events if e.application_id == a and e.kind in figures.DECISIONS)
            - applications[a].submitted_at
        )
        / timedelta(days=1)
        for a in {e.application_id for e in events if e.kind in figures.DECISIONS}
    )
    assert times["decided"] == len(days) == 3
    assert times["median_days"] == round(days[1], 1)
    assert times["p90_days"] == round(days[2], 1)
    assert times["decided_late"] == 1  # approved after 50 days
    assert (
        times["open_overdue_now"]
        == 1
        == sum(
            1
            for a in applications.values()
            if a.status.value == "submitted" and a.decision_due < clock().date()
        )
    )


def test_permit_figures_count_a_replacement_apart_and_against_the_population(db, ref, seeded):
    by_locality, by_sex, by_age = figures.permits_issued(db, scope(ref))
    permits = [p for p in db.scalars(select(Permit)) if in_half(p.issued_at)]
    assert len(permits) == 3
    rows = {row[0]: row for row in by_locality.rows}
    assert rows[ref.locality.name_latin][2:] == (2000, 1, 0, 1, 0.5)  # a first permit, a replacement
    assert rows["Kara-Bak"][2:] == (None, 1, 0, 0, None)  # no population: no share
    assert dict(by_sex.rows) == dict(Counter(p.sex.value for p in permits)) | {"F": 0, "X": 0}
    assert dict(by_age.rows)["60+"] == 1 and sum(dict(by_age.rows).values()) == 3


def test_withdrawals_misuse_and_alert_hits_agree_with_an_independent_count(db, ref, seeded):
    withdrawn = [
        (p.status.value, p.status_reason)
        for p in db.scalars(select(Permit))
        if p.status in figures.WITHDRAWALS and in_half(p.status_changed_at)
    ]
    assert sorted(row[:2] for row in figures.withdrawals(db, scope(ref)).rows) == sorted(withdrawn)
    assert {row[0] for row in figures.withdrawals(db, scope(ref)).rows} == {"revoked", "replaced"}
    cases = Counter(
        (c.kind.value, c.penalty) for c in db.scalars(select(MisuseCase)) if in_half(c.detected_at)
    )
    assert {(kind, penalty): n for kind, penalty, n in figures.misuse(db, scope(ref)).rows} == cases
    assert cases == {("resale_trade", "revocation"): 1}  # the overstay before midnight is the first half's
    assert dict(figures.alert_hits(db, scope(ref)).rows) == {"found": 0, "cleared": 0, "standing": 0}


def test_a_locality_filter_and_another_agreement_narrow_every_figure(db, ref, clock, seeded):
    narrowed = Scope(period=HALF, agreement_ids=(ref.agreement.id,), locality_id=seeded["second"].id)
    assert dict(figures.applications(db, narrowed).rows)["submitted"] == 2
    assert [row[0] for row in figures.withdrawals(db, narrowed).rows] == ["revoked"]
    elsewhere = Scope(period=HALF, agreement_ids=(ref.other_agreement.id,))
    for figure in monitoring_figures(db, elsewhere, now=clock(), deadline_days=30):
        counted = [row for row in figure.rows if row[0] != "deadline_days"]  # a rule, not a count
        numbers = [value for row in counted for value in row[1:] if isinstance(value, int)]
        assert not any(numbers), figure.key


def test_a_suspension_counts_in_its_period_also_after_the_permit_is_reinstated(db, ref, users, clock, seeded):
    """Each status change is kept as it happened (permit_status_changes): the figure and the partner's
    report name the suspension, though the permit is active again; the reinstatement is no withdrawal."""
    replacement = seeded["replacement"]
    before = figures.withdrawals(db, scope(ref)).rows
    permit_services.suspend(db, replacement, officer=users[Role.OFFICER], reason="check", now=clock())
    db.flush()
    assert ("suspended", "check", 1) in figures.withdrawals(db, scope(ref)).rows
    permit_services.reinstate(db, replacement, officer=users[Role.OFFICER], reason="ok", now=clock())
    db.flush()
    assert replacement.status is PermitStatus.ACTIVE
    after = figures.withdrawals(db, scope(ref)).rows
    assert ("suspended", "check", 1) in after and len(after) == len(before) + 1
    assert all(row[0] != "active" for row in after)
