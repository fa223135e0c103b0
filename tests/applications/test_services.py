"""Applications and permits at the level of the rules (services), with a set clock."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.alerts.services import AlertInput, clear_hit, create_alert, open_hits
from lbt.applications import services, submission
from lbt.applications.eligibility import checklist
from lbt.applications.models import Application, ApplicationKind, ApplicationStatus, EventKind, FeeStatus
from lbt.audit.models import AuditEntry
from lbt.core.errors import AccessDenied, ValidationFailed
from lbt.permits import services as permits
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.signing import PERMIT_TYP, PermitClaims, jwks, verify


def test_submission_gives_a_reference_and_a_code_that_find_it(db, make_application, clock):
    submitted = make_application()
    application = submitted.application
    assert application.reference == "LBT-2026-000001"
    assert make_application().application.reference == "LBT-2026-000002"
    assert application.status is ApplicationStatus.SUBMITTED
    assert application.decision_due == date(2026, 12, 22)  # 30 days
    assert application.document_number == "A1234567"
    assert application.search_name == "RAHIMOV FARRUKH"
    assert (
        submission.find_for_applicant(db, application.reference.lower(), submitted.access_code.lower())
        is application
    )
    with pytest.raises(services.NotFound):
        submission.find_for_applicant(db, application.reference, "WRONG-CODE")
    assert submitted.access_code not in application.access_code_hash
    logged = db.scalars(select(AuditEntry.changes).where(AuditEntry.entity_type == "applications")).all()
    assert logged and all(submitted.access_code not in entry for entry in logged)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"document_expiry": date(2026, 11, 1)}, "document_expiry", "expired"),
        ({"resident_since": date(2025, 1, 1)}, "resident_since", "at least 3 years"),
        ({"birth_date": date(2027, 1, 1)}, "birth_date", "real date of birth"),
        ({"resident_since": date(1980, 1, 1)}, "resident_since", "before your date of birth"),
        ({"reason": "education"}, "reason", "reasons this agreement accepts"),
        ({"kind": ApplicationKind.RENEWAL}, "previous_permit_number", "permit you want to renew"),
        ({"fee_exemption": "student"}, "fee_exemption", "does not exempt"),
        ({"declaration_accepted": False}, "declaration_accepted", "declaration"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_stores_nothing(
    db, make_application, changes, field, message
):
    with pytest.raises(ValidationFailed, match=message) as caught:
        make_application(**changes)
    assert caught.value.field == field
    db.rollback()
    assert db.scalar(select(Application)) is None


def test_a_locality_outside_the_border_area_is_refused(db, make_application, ref):
    ref.locality.distance_km = 49
    ref.agreement.border_area_straddle_km = 40
    with pytest.raises(ValidationFailed, match="outside the border area"):
        make_application()


def test_family_members_may_be_exempt_from_the_residence_minimum(make_application, ref):
    ref.agreement.family_exempt_from_residence = True
    submitted = make_application(
        resident_since=date(2026, 1, 1), family_relationship="spouse", family_reference="TJ-2026-000001-0"
    )
    assert submitted.application.status is ApplicationStatus.SUBMITTED


def test_request_information_then_answer_returns_it_to_the_queue(
    db, make_application, users, clock, stored_pdf
):
    application = make_application().application
    services.request_information(
        db, application, officer=users[Role.OFFICER], message="Send proof of address.", now=clock()
    )
    assert application.status is ApplicationStatus.INFO_REQUESTED
    clock.advance(days=2)
    event = services.answer_information(db, application, text="Attached.", documents=[], now=clock())
    assert application.status is ApplicationStatus.SUBMITTED
    assert [e.kind for e in application.events] == [
        EventKind.SUBMITTED,
        EventKind.INFO_REQUESTED,
        EventKind.INFO_ANSWERED,
    ]
    assert event.message == "Attached."


def test_an_officer_of_another_agreement_cannot_decide(db, make_application, users, ref):
    application = make_application().application
    users[Role.OFFICER].agreements = [ref.other_agreement]
    with pytest.raises(AccessDenied):
        services.request_information(db, application, officer=users[Role.OFFICER], message="x", now=None)  # type: ignore[arg-type]


def test_approval_issues_a_signed_permit_within_the_bounds(
    db, make_application, users, clock, issuer, keystore, approve_one
):
    application = make_application().application
    permit = approve_one(
        application, valid_from=date(2026, 12, 1), valid_until=date(2028, 11, 30), fee_status=FeeStatus.PAID
    )
    assert isinstance(permit, Permit)
    assert permit.number == "TJ-2026-000001-" + str(permits.check_digit("TJ2026000001"))
    assert permits.is_well_formed(permit.number)
    assert application.status is ApplicationStatus.APPROVED
    assert application.fee_status is FeeStatus.PAID
    claims = PermitClaims.from_payload(verify(permit.token, jwks(keystore, set()), PERMIT_TYP))
    assert (claims.permit_number, claims.surname, claims.valid_until) == (
        permit.number,
        "RAHIMOV",
        date(2028, 11, 30),
    )


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "message"),
    [
        (date(2026, 11, 1), date(2027, 11, 1), "cannot start in the past"),
        (date(2026, 12, 1), date(2027, 6, 1), "at least 1 year"),
        (date(2026, 12, 1), date(2029, 12, 1), "until 2028-11-30 at the latest"),  # first permit: 2 years
        (date(2026, 12, 1), date(2031, 7, 1), "travel document's expiry"),
    ],
)
def test_approval_refuses_validity_outside_the_agreement(
    db, make_application, users, clock, issuer, valid_from, valid_until, message, approve_one
):
    application = make_application().application
    with pytest.raises(ValidationFailed, match=message):
        approve_one(application, valid_from=valid_from, valid_until=valid_until, fee_status=FeeStatus.PAID)
    assert application.status is ApplicationStatus.SUBMITTED


def test_the_fee_must_be_paid_unless_exempt(db, make_application, users, clock, issuer, approve_one):
    application = make_application().application
    with pytest.raises(ValidationFailed, match="fee must be paid"):
        approve_one(
            application, valid_from=date(2026, 12, 1), valid_until=date(2027, 12, 1), fee_status=FeeStatus.DUE
        )
    minor = make_application(
        birth_date=date(2012, 1, 1), resident_since=date(2012, 1, 1), document_number="B7654321"
    ).application
    approve_one(minor, valid_from=date(2026, 12, 1), valid_until=date(2027, 12, 1), fee_status=FeeStatus.DUE)
    assert minor.fee_status is FeeStatus.WAIVED


def test_an_alert_hit_blocks_approval_until_a_supervisor_clears_it(
    db, make_application, users, clock, issuer, approve_one
):
    create_alert(
        db,
        AlertInput("Rahimov", "Farrukh", date(1985, 4, 12), "", "Entry ban 2024/17", None),
        supervisor=users[Role.SUPERVISOR],
        now=clock(),
        today=clock().date(),
    )
    application = make_application().application
    hits = open_hits(db, application)
    assert len(hits) == 1
    assert not {item.code: item.ok for item in checklist(db, application, clock().date(), home_state="TJ")}[
        "alert_list"
    ]
    with pytest.raises(ValidationFailed, match="alert-list hit"):
        approve_one(
            application,
            valid_from=date(2026, 12, 1),
            valid_until=date(2027, 12, 1),
            fee_status=FeeStatus.PAID,
        )
    with pytest.raises(AccessDenied):
        clear_hit(db, hits[0], supervisor=users[Role.OFFICER], reason="namesake", now=clock())
    clear_hit(
        db,
        hits[0],
        supervisor=users[Role.SUPERVISOR],
        reason="A namesake: different father's name.",
        now=clock(),
    )
    approve_one(
        application, valid_from=date(2026, 12, 1), valid_until=date(2027, 12, 1), fee_status=FeeStatus.PAID
    )
    assert application.status is ApplicationStatus.APPROVED


def test_refusal_reconsideration_and_overturn_by_another_supervisor(
    db, make_application, users, clock, issuer, approve_one
):
    from tests.fixtures.factories import make_user

    application = make_application().application
    first = users[Role.SUPERVISOR]
    services.refuse(
        db,
        application,
        officer=first,
        reasons=["residence_not_proven"],
        text="No proof of residence.",
        now=clock(),
    )
    assert application.reconsideration_until == date(2026, 12, 6)
    clock.advance(days=14)
    services.request_reconsideration(
        db, application, text="Here is the certificate.", documents=[], now=clock()
    )
    with pytest.raises(AccessDenied, match="someone other"):
        services.decide_reconsideration(
            db, application, supervisor=first, uphold=False, text="ok", now=clock()
        )
    second = make_user(db, "supervisor2", Role.SUPERVISOR, agreements=list(first.agreements))
    services.decide_reconsideration(
        db, application, supervisor=second, uphold=False, text="Proof is sufficient.", now=clock()
    )
    assert application.status is ApplicationStatus.SUBMITTED
    approve_one(
        application, valid_from=date(2026, 12, 10), valid_until=date(2027, 12, 10), fee_status=FeeStatus.PAID
    )
    assert application.status is ApplicationStatus.APPROVED


def test_reconsideration_closes_after_the_window(db, make_application, users, clock):
    application = make_application().application
    services.refuse(db, application, officer=users[Role.OFFICER], reasons=["other"], text="x", now=clock())
    clock.advance(days=15)
    with pytest.raises(services.WrongState):
        services.request_reconsideration(db, application, text="please", documents=[], now=clock())


def test_upheld_refusal_is_final(db, make_application, users, clock):
    from tests.fixtures.factories import make_user

    application = make_application().application
    services.refuse(db, application, officer=users[Role.OFFICER], reasons=["other"], text="x", now=clock())
    services.request_reconsideration(db, application, text="please", documents=[], now=clock())
    services.decide_reconsideration(
        db, application, supervisor=users[Role.SUPERVISOR], uphold=True, text="Refusal stands.", now=clock()
    )
    assert application.status is ApplicationStatus.REFUSED
    assert not services.can_ask_reconsideration(application, clock().date())
    del make_user


def test_permit_lifecycle_suspend_reinstate_revoke_and_replace(
    db, make_application, users, clock, issuer, keystore
):
    officer = users[Role.OFFICER]
    application = make_application().application
    permit = services.approve(
        db,
        application,
        officer=officer,
        valid_from=date(2026, 12, 1),
        valid_until=date(2027, 12, 1),
        fee_status=FeeStatus.PAID,
        issue=issuer,
        now=clock(),
    )
    permits.suspend(db, permit, officer=officer, reason="Under investigation.", now=clock())
    assert permit.status is PermitStatus.SUSPENDED
    with pytest.raises(ValidationFailed):
        permits.suspend(db, permit, officer=officer, reason="again", now=clock())
    permits.reinstate(db, permit, officer=officer, reason="Cleared.", now=clock())
    new = permits.replace(
        db, permit, officer=officer, reason="Card lost.", key=keystore.active_key(), now=clock()
    )
    assert permit.status is PermitStatus.REPLACED and new.replaces is permit and new.number != permit.number
    with pytest.raises(permits.PermitWithdrawn):
        permits.reinstate(db, permit, officer=officer, reason="x", now=clock())
    permits.annul(db, new, officer=officer, reason="Obtained by fraud.", now=clock())
    assert new.status is PermitStatus.ANNULLED
    assert new.effective_status(date(2030, 1, 1)) is PermitStatus.ANNULLED


def test_expired_is_derived_from_the_date(db, make_application, users, clock, issuer, approve_one):
    application = make_application().application
    permit = approve_one(
        application, valid_from=date(2026, 12, 1), valid_until=date(2027, 12, 1), fee_status=FeeStatus.PAID
    )
    assert permit.effective_status(date(2027, 12, 1)) is PermitStatus.ACTIVE
    assert permit.effective_status(date(2027, 12, 2)) is PermitStatus.EXPIRED


def test_renewal_checklist_ignores_the_permit_being_renewed(
    db, make_application, users, clock, issuer, approve_one
):
    application = make_application().application
    permit = approve_one(
        application, valid_from=date(2026, 12, 1), valid_until=date(2027, 12, 1), fee_status=FeeStatus.PAID
    )
    renewal = make_application(kind=ApplicationKind.RENEWAL, previous_permit_number=permit.number).application
    items = {item.code: item.ok for item in checklist(db, renewal, clock().date(), home_state="TJ")}
    assert items["other_permit"] is True
    other = make_application().application
    assert {item.code: item.ok for item in checklist(db, other, clock().date(), home_state="TJ")}[
        "other_permit"
    ] is False


def test_a_new_alert_catches_applications_already_waiting(db, make_application, users, clock):
    waiting = make_application().application
    assert not open_hits(db, waiting)
    create_alert(
        db,
        AlertInput("", "", None, "A 1234567", "Document reported stolen", None),
        supervisor=users[Role.SUPERVISOR],
        now=clock(),
        today=clock().date(),
    )
    hits = open_hits(db, waiting)
    assert len(hits) == 1
    clear_hit(
        db,
        hits[0],
        supervisor=users[Role.SUPERVISOR],
        reason="The holder found it; report withdrawn.",
        now=clock(),
    )
    db.flush()
    assert waiting.events[-1].kind is EventKind.ALERT_CLEARED and not waiting.events[-1].is_public
