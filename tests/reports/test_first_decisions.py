"""The first decision kept on each application where the decision is written
(``applications.first_decided_at``, ``first_decided_on``: lbt.applications.first_decisions), which the
decision times read: each case compared with an independent count over the application's events
(the earliest approval or refusal), and the recount that repairs a tampered row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from lbt.accounts.models import Role
from lbt.applications import first_decisions, services
from lbt.applications.models import Application, ApplicationEvent
from lbt.reports import decision_figures
from lbt.reports.figures import DECISIONS, Scope
from lbt.reports.periods import Period
from tests.fixtures.factories import make_user

DUSHANBE = ZoneInfo("Asia/Dushanbe")  # the applications' clock: their locality is in KG, issued by TJ


def first_decision_events(db) -> dict[int, datetime]:  # type: ignore[no-untyped-def]
    """The independent count: each application's earliest approval or refusal, from its events."""
    first: dict[int, datetime] = {}
    for event in db.scalars(select(ApplicationEvent).order_by(ApplicationEvent.at, ApplicationEvent.id)):
        if event.kind in DECISIONS:
            first.setdefault(event.application_id, event.at)
    return first


def times(db, ref, start: date, end: date, now: datetime) -> dict[str, object]:  # type: ignore[no-untyped-def]
    scope = Scope(period=Period(start, end, DUSHANBE), agreement_ids=(ref.agreement.id,))
    return dict(decision_figures.decision_times(db, scope, now=now, deadline_days=None).rows)


def refuse(db, application, officer, now: datetime) -> None:  # type: ignore[no-untyped-def]
    services.refuse(db, application, officer=officer, reasons=["other"], text="No.", now=now)


def overturn(db, application, users, now: datetime) -> None:  # type: ignore[no-untyped-def]
    services.request_reconsideration(db, application, text="Please look again.", documents=[], now=now)
    second = make_user(db, "supervisor2", Role.SUPERVISOR, agreements=list(users[Role.SUPERVISOR].agreements))
    services.decide_reconsideration(
        db, application, supervisor=second, uphold=False, text="Proof is sufficient.", now=now
    )


def test_a_reconsiderations_outcome_is_not_the_first_decision(
    db, ref, users, clock, make_application, approve_one
):
    application = make_application().application
    refused_at = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    refuse(db, application, users[Role.OFFICER], refused_at)
    clock.now = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    overturn(db, application, users, clock())
    approve_one(application, valid_from=date(2026, 12, 3), valid_until=date(2027, 12, 3))
    db.flush()

    assert first_decision_events(db) == {application.id: refused_at}
    assert (application.first_decided_at, application.first_decided_on) == (refused_at, date(2026, 11, 25))
    november, december = (
        times(db, ref, date(2026, 11, 1), date(2026, 11, 30), clock()),
        times(db, ref, date(2026, 12, 1), date(2026, 12, 31), clock()),
    )
    assert november["decided"] == 1  # the refusal
    assert november["median_days"] == round((refused_at - application.submitted_at) / timedelta(days=1), 1)
    assert december["decided"] == 0  # the approval after the overturn is not a first decision
    assert first_decisions.rebuild(db) == first_decisions.Differences(0)


def test_decisions_at_the_same_moment_count_the_application_once(
    db, ref, users, clock, make_application, approve_one
):
    application = make_application().application
    clock.now = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    refuse(db, application, users[Role.OFFICER], clock())
    overturn(db, application, users, clock())
    approve_one(application, valid_from=date(2026, 12, 1), valid_until=date(2027, 12, 1))
    db.flush()

    decisions = [e for e in application.events if e.kind in DECISIONS]
    assert len(decisions) == 2 and decisions[0].at == decisions[1].at == clock()
    assert application.first_decided_at == first_decision_events(db)[application.id] == clock()
    figure = times(db, ref, date(2026, 11, 1), date(2026, 11, 30), clock())
    assert figure["decided"] == 1
    assert first_decisions.rebuild(db) == first_decisions.Differences(0)  # the recount agrees


def test_late_and_the_period_are_read_on_the_applications_clock(db, ref, users, clock, make_application):
    on_time, late = make_application().application, make_application(document_number="B777").application
    due = on_time.decision_due
    assert late.decision_due == due
    before_midnight = datetime.combine(due, datetime.min.time(), UTC) + timedelta(hours=18, minutes=30)
    after_midnight = before_midnight + timedelta(hours=1)  # 00:30 the next day in Dushanbe, UTC's due day
    refuse(db, on_time, users[Role.OFFICER], before_midnight)
    refuse(db, late, users[Role.OFFICER], after_midnight)
    clock.now = after_midnight + timedelta(days=1)
    db.flush()

    assert on_time.first_decided_on == due == before_midnight.astimezone(DUSHANBE).date()
    assert late.first_decided_on == due + timedelta(days=1) == after_midnight.astimezone(DUSHANBE).date()
    up_to_due = times(db, ref, due - timedelta(days=40), due, clock())
    assert (up_to_due["decided"], up_to_due["decided_late"]) == (1, 0)
    a_day_more = times(db, ref, due - timedelta(days=40), due + timedelta(days=1), clock())
    assert (a_day_more["decided"], a_day_more["decided_late"]) == (2, 1)
    assert first_decisions.rebuild(db) == first_decisions.Differences(0)


def test_lbt_reports_rebuild_summaries_repairs_a_tampered_first_decision(
    app, db, ref, users, clock, make_application
):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from lbt.cli import main

    refused, open_ = make_application().application, make_application(document_number="B778").application
    refuse(db, refused, users[Role.OFFICER], datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    db.flush()
    right = first_decision_events(db)
    db.execute(
        update(Application)
        .where(Application.id == refused.id)
        .values(first_decided_at=datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    )
    db.execute(
        update(Application)
        .where(Application.id == open_.id)
        .values(
            first_decided_at=datetime(2026, 11, 24, 6, 0, tzinfo=UTC), first_decided_on=date(2026, 11, 24)
        )
    )
    db.commit()

    def run():  # type: ignore[no-untyped-def]
        return CliRunner().invoke(
            main, ["reports", "rebuild-summaries"], obj=ScriptInfo(create_app=lambda: app)
        )

    first = run()
    assert first.exit_code == 0, first.output
    assert "first decisions: 2 application(s) differed; rebuilt." in first.output
    assert "nothing to change." in run().output
    db.expire_all()
    kept = {a.id: a.first_decided_at for a in db.scalars(select(Application)) if a.first_decided_at}
    assert kept == right
    assert db.get(Application, open_.id).first_decided_on is None
    assert db.get(Application, refused.id).first_decided_on == date(2026, 11, 25)
