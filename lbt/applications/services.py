"""Applications after submission (`submission.py`): requests for information, decisions, reconsideration.

Approval issues the permit through ``lbt.permits.services``. Every step appends an event to the
application's history (shown to the applicant when public) and queues a mail when an address is known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from lbt.accounts import policy
from lbt.accounts.models import Role, User
from lbt.alerts.services import open_hits
from lbt.applications import first_decisions
from lbt.applications.eligibility import add_years
from lbt.applications.events import add_event, attach_documents
from lbt.applications.fees import RECEIPT_LENGTH, FeeKind, fee_state
from lbt.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    DocumentKind,
    EventKind,
    FeeStatus,
    RefusalReason,
)
from lbt.core.dates import state_today
from lbt.core.errors import N_, AccessDenied, DomainError, Nn_, NotFound, ValidationFailed
from lbt.permits.models import Permit
from lbt.storage.models import StoredFile


class WrongState(DomainError):
    """The application is not at a step where this can be done."""


def local_today(application: Application, now: datetime) -> date:
    """Deadlines and validity dates count the calendar days of the issuing (home) state's clock, not
    UTC's: a decision at 01:00 in Dushanbe is on that day, although UTC still counts the day before."""
    return state_today(application.home_state_code, now)


def get_for_staff(session: Session, application_id: int, user: User) -> Application:
    """An officer or supervisor sees only applications under the agreements they serve."""
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(N_("No such application."))
    if not policy.can_see_agreement(user, application.agreement_id):
        raise AccessDenied(N_("This application belongs to an agreement you do not serve."))
    return application


def _require(application: Application, *statuses: ApplicationStatus) -> None:
    if application.status not in statuses:
        raise WrongState(N_("This cannot be done at the application's present step."))


def _require_officer(user: User, application: Application) -> None:
    if user.role not in (Role.OFFICER, Role.SUPERVISOR) or not policy.can_see_agreement(
        user, application.agreement_id
    ):
        raise AccessDenied(N_("Only an officer serving this agreement may decide this application."))


def request_information(
    session: Session, application: Application, *, officer: User, message: str, now: datetime
) -> ApplicationEvent:
    """The officer asks the applicant for more; the application waits for the answer."""
    _require_officer(officer, application)
    _require(application, ApplicationStatus.SUBMITTED)
    if not message.strip():
        raise ValidationFailed(N_("Say what the applicant must send."), "message")
    application.status = ApplicationStatus.INFO_REQUESTED
    event = add_event(application, EventKind.INFO_REQUESTED, now, actor=officer, message=message.strip())
    session.flush()
    return event


def answer_information(
    session: Session,
    application: Application,
    *,
    text: str,
    documents: Sequence[tuple[DocumentKind, StoredFile]],
    now: datetime,
) -> ApplicationEvent:
    _require(application, ApplicationStatus.INFO_REQUESTED)
    if not text.strip() and not documents:
        raise ValidationFailed(N_("Write an answer or attach a document."), "text")
    application.status = ApplicationStatus.SUBMITTED
    event = add_event(application, EventKind.INFO_ANSWERED, now, message=text.strip())
    attach_documents(application, documents, event, now)
    session.flush()
    return event


@dataclass(frozen=True)
class ValidityBounds:
    earliest_from: date
    min_until: date
    max_until: date


def validity_bounds(application: Application, valid_from: date) -> ValidityBounds:
    """Art. 7: at least the minimum years, at most the maximum (first permits capped lower), and
    never past the travel document's expiry."""
    agreement = application.agreement
    max_years = (
        agreement.first_permit_max_years
        if application.kind is ApplicationKind.FIRST
        else agreement.validity_max_years
    )
    # valid_until is the last valid day: one year from 1 December runs until 30 November
    min_until = add_years(valid_from, agreement.validity_min_years) - timedelta(days=1)
    max_until = min(add_years(valid_from, max_years) - timedelta(days=1), application.document_expiry)
    return ValidityBounds(valid_from, min_until, max_until)


def check_validity(application: Application, valid_from: date, valid_until: date, today: date) -> None:
    if valid_from < today:
        raise ValidationFailed(N_("A permit cannot start in the past."), "valid_from")
    bounds = validity_bounds(application, valid_from)
    if valid_until > application.document_expiry:
        raise ValidationFailed(
            N_("The permit cannot be valid past the travel document's expiry (%(expiry)s)."),
            "valid_until",
            expiry=application.document_expiry,
        )
    if valid_until < bounds.min_until:
        raise ValidationFailed(
            Nn_(
                "A permit must be valid for at least %(num)d year: until %(date)s or later.",
                "A permit must be valid for at least %(num)d years: until %(date)s or later.",
            ),
            "valid_until",
            num=application.agreement.validity_min_years,
            date=bounds.min_until,
        )
    if valid_until > bounds.max_until:
        raise ValidationFailed(
            N_("This permit may be valid until %(date)s at the latest."),
            "valid_until",
            date=bounds.max_until,
        )


# the permits area issues (PermitIssuer); applications only decide, so the issuing step is passed in
Issuer = Callable[[Session, Application, User, date, date, datetime], Permit]


def approve(
    session: Session,
    application: Application,
    *,
    officer: User,
    valid_from: date,
    valid_until: date,
    fee_status: FeeStatus,
    issue: Issuer,
    now: datetime,
) -> Permit:
    """Approve and issue the permit. An open alert-list hit blocks approval until a supervisor clears it."""
    _require_officer(officer, application)
    _require(application, ApplicationStatus.SUBMITTED)
    today = local_today(application, now)
    if open_hits(session, application):
        raise ValidationFailed(N_("An alert-list hit must be cleared by a supervisor before approval."))
    check_validity(application, valid_from, valid_until, today)
    fee = fee_state(application, today)
    if fee.kind is FeeKind.DUE and fee_status is not FeeStatus.PAID:
        raise ValidationFailed(N_("The fee must be paid before the permit is issued."), "fee_status")
    if fee.kind is FeeKind.WAIVED:
        application.fee_status, application.fee_amount = FeeStatus.WAIVED, Decimal("0")
        application.fee_waived_for = fee.reason  # the reason, as it was on the day of the decision
    elif fee.kind is FeeKind.DUE:  # paid at the desk, recorded with the approval (no receipt number)
        application.fee_status, application.fee_amount = FeeStatus.PAID, fee.amount
    application.status = ApplicationStatus.APPROVED
    application.decided_at = now
    application.decided_by_id = officer.id
    application.refusal_reasons = []
    add_event(application, EventKind.APPROVED, now, actor=officer)
    first_decisions.record(application, now, today)
    permit = issue(session, application, officer, valid_from, valid_until, now)
    session.flush()
    return permit


def refuse(
    session: Session,
    application: Application,
    *,
    officer: User,
    reasons: Sequence[str],
    text: str,
    now: datetime,
) -> None:
    """Refusal with reasons the applicant can read; the reconsideration window opens."""
    _require_officer(officer, application)
    _require(application, ApplicationStatus.SUBMITTED, ApplicationStatus.INFO_REQUESTED)
    known = {reason.value for reason in RefusalReason}
    if not reasons:
        raise ValidationFailed(N_("Choose at least one reason for the refusal."), "reasons")
    if any(reason not in known for reason in reasons):
        raise ValidationFailed(N_("Unknown refusal reason."), "reasons")
    if not text.strip():
        raise ValidationFailed(N_("Explain the refusal to the applicant."), "text")
    application.status = ApplicationStatus.REFUSED
    application.decided_at = now
    application.decided_by_id = officer.id
    application.refusal_reasons = list(dict.fromkeys(reasons))
    application.decision_text = text.strip()
    today = local_today(application, now)
    application.reconsideration_until = today + timedelta(days=application.agreement.reconsideration_days)
    add_event(application, EventKind.REFUSED, now, actor=officer, message=text.strip())
    first_decisions.record(application, now, today)
    session.flush()


def can_ask_reconsideration(application: Application, today: date) -> bool:
    return (
        application.status is ApplicationStatus.REFUSED
        and application.reconsideration_until is not None
        and today <= application.reconsideration_until
    )


def request_reconsideration(
    session: Session,
    application: Application,
    *,
    text: str,
    documents: Sequence[tuple[DocumentKind, StoredFile]],
    now: datetime,
) -> None:
    """The applicant asks, within the agreement's window, for the refusal to be looked at again (once)."""
    if not can_ask_reconsideration(application, local_today(application, now)):
        raise WrongState(N_("Reconsideration can no longer be asked for this application."))
    if not text.strip():
        raise ValidationFailed(N_("Explain why the decision should be reconsidered."), "text")
    application.status = ApplicationStatus.RECONSIDERATION
    event = add_event(application, EventKind.RECONSIDERATION_REQUESTED, now, message=text.strip())
    attach_documents(application, documents, event, now)
    session.flush()


def decide_reconsideration(
    session: Session, application: Application, *, supervisor: User, uphold: bool, text: str, now: datetime
) -> None:
    """A supervisor who did not take the first decision upholds it (final) or overturns it (back to the
    queue for the permit to be issued)."""
    if supervisor.role is not Role.SUPERVISOR or not policy.can_see_agreement(
        supervisor, application.agreement_id
    ):
        raise AccessDenied(N_("Only a supervisor serving this agreement may decide a reconsideration."))
    _require(application, ApplicationStatus.RECONSIDERATION)
    if application.decided_by_id == supervisor.id:
        raise AccessDenied(
            N_("The reconsideration must be decided by someone other than the first decision's author.")
        )
    if not text.strip():
        raise ValidationFailed(N_("Give the reasons for the decision."), "text")
    application.reconsideration_until = None  # one reconsideration only
    if uphold:
        application.status = ApplicationStatus.REFUSED
        add_event(application, EventKind.UPHELD, now, actor=supervisor, message=text.strip())
    else:
        application.status = ApplicationStatus.SUBMITTED
        application.refusal_reasons = []
        add_event(application, EventKind.OVERTURNED, now, actor=supervisor, message=text.strip())
    application.decided_at = now
    application.decided_by_id = supervisor.id
    session.flush()


def record_payment(
    session: Session,
    application: Application,
    *,
    officer: User,
    receipt_number: str,
    paid_on: date,
    now: datetime,
) -> None:
    """The officer records the fee as paid (receipt number and date), before the decision or after it."""
    _require_officer(officer, application)
    today = local_today(application, now)
    fee = fee_state(application, today)
    if fee.kind is not FeeKind.DUE:
        raise ValidationFailed(N_("No fee is due on this application."))
    receipt = " ".join(receipt_number.split())
    if not receipt or len(receipt) > RECEIPT_LENGTH:
        raise ValidationFailed(N_("Give the receipt number (at most 40 characters)."), "receipt_number")
    if paid_on > today:
        raise ValidationFailed(N_("The payment date cannot be in the future."), "paid_on")
    if paid_on < application.submitted_at.date() - timedelta(days=366):
        raise ValidationFailed(N_("The payment date is more than a year before the application."), "paid_on")
    application.fee_status = FeeStatus.PAID
    application.fee_amount, application.fee_currency = fee.amount, fee.currency
    application.fee_receipt_number, application.fee_paid_on = receipt, paid_on
    add_event(application, EventKind.FEE_RECORDED, now, actor=officer, message=receipt)
    session.flush()
