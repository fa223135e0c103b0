"""Applications: submission by a resident, requests for information, decisions, reconsideration.

Approval issues the permit through ``lbt.permits.services``. Every step appends an event to the
application's history (shown to the applicant when public) and queues a mail when an address is known.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts import policy
from lbt.accounts.models import Role, User
from lbt.alerts.services import open_hits, screen
from lbt.applications.eligibility import add_years, fee_exemption, years_between
from lbt.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    DocumentKind,
    EventKind,
    FeeStatus,
    RefusalReason,
    Sex,
    TravelDocumentType,
)
from lbt.core.counters import next_value
from lbt.core.errors import N_, AccessDenied, DomainError, NotFound, ValidationFailed
from lbt.core.search import normalise_document_number
from lbt.core.transliteration import search_key, to_latin
from lbt.permits.models import Permit
from lbt.reference.models import CrossingReason, FeeExemption, Locality
from lbt.storage.models import StoredFile

ACCESS_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones
ACCESS_CODE_LENGTH = 16  # 80 bits
MAX_AGE_YEARS = 120


class WrongState(DomainError):
    """The application is not at a step where this can be done."""


@dataclass(frozen=True)
class ApplicationInput:
    locality_id: int
    kind: ApplicationKind
    surname_national: str
    given_names_national: str
    surname_latin: str
    given_names_latin: str
    sex: Sex
    birth_date: date
    birth_place: str
    nationality: str
    phone: str
    document_type: TravelDocumentType
    document_number: str
    document_issuing_state: str
    document_expiry: date
    address: str
    resident_since: date
    reason: str
    declaration_accepted: bool
    email: str = ""
    previous_permit_number: str = ""
    family_relationship: str = ""
    family_reference: str = ""
    reason_text: str = ""
    fee_exemption: str | None = None
    preferred_locale: str = "en"


@dataclass(frozen=True)
class Submitted:
    application: Application
    access_code: str


def new_access_code() -> str:
    code = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, ACCESS_CODE_LENGTH, 4))


def normalise_access_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_access_code(code: str) -> str:
    """The code has 80 random bits, so a plain SHA-256 suffices (no password-style stretching needed)."""
    return hashlib.sha256(normalise_access_code(code).encode("ascii", "ignore")).hexdigest()


def validate_input(session: Session, data: ApplicationInput, today: date) -> Locality:
    """Art. 9 conditions that can be checked on the form itself; each error names its field."""
    locality = session.get(Locality, data.locality_id)
    if locality is None or not locality.is_active:
        raise ValidationFailed(N_("Choose a locality from the list of the border area."), "locality_id")
    agreement = locality.agreement
    if not agreement.is_active or not agreement.in_force_on(today):
        raise ValidationFailed(N_("The agreement for this locality is not in force."), "locality_id")
    if float(locality.distance_km) > agreement.border_area_straddle_km:
        raise ValidationFailed(
            N_("%(locality)s lies outside the border area (%(km)s km from the border)."),
            "locality_id",
            locality=locality.name_latin,
            km=locality.distance_km,
        )
    if data.birth_date >= today or years_between(data.birth_date, today) > MAX_AGE_YEARS:
        raise ValidationFailed(N_("Enter a real date of birth."), "birth_date")
    if data.document_expiry <= today:
        raise ValidationFailed(
            N_("The travel document has expired: a valid travel document is required."), "document_expiry"
        )
    if data.resident_since > today:
        raise ValidationFailed(
            N_("The date you started living there cannot be in the future."), "resident_since"
        )
    if data.resident_since < data.birth_date:
        raise ValidationFailed(
            N_("The date you started living there is before your date of birth."), "resident_since"
        )
    exempt = bool(data.family_relationship.strip()) and agreement.family_exempt_from_residence
    if not exempt and years_between(data.resident_since, today) < agreement.min_residence_years:
        raise ValidationFailed(
            N_("You must have lived in the border area for at least %(years)d years."),
            "resident_since",
            years=agreement.min_residence_years,
        )
    if data.reason not in agreement.reasons and data.reason != CrossingReason.OTHER.value:
        raise ValidationFailed(N_("Choose one of the reasons this agreement accepts."), "reason")
    if data.reason == CrossingReason.OTHER.value and not data.reason_text.strip():
        raise ValidationFailed(N_("Describe your reason for crossing."), "reason_text")
    if data.kind is ApplicationKind.RENEWAL and not data.previous_permit_number.strip():
        raise ValidationFailed(
            N_("Give the number of the permit you want to renew."), "previous_permit_number"
        )
    if data.family_relationship.strip() and not data.family_reference.strip():
        raise ValidationFailed(
            N_("Give the permit or application number of your family member."), "family_reference"
        )
    if data.fee_exemption and data.fee_exemption not in agreement.fee_exemptions:
        raise ValidationFailed(N_("This agreement does not exempt that group from the fee."), "fee_exemption")
    if data.fee_exemption and data.fee_exemption not in {e.value for e in FeeExemption}:
        raise ValidationFailed(N_("Unknown fee exemption."), "fee_exemption")
    if not to_latin(data.surname_latin) or not to_latin(data.given_names_latin):
        raise ValidationFailed(N_("Enter your name in Latin letters."), "surname_latin")
    if not data.declaration_accepted:
        raise ValidationFailed(N_("You must accept the declaration."), "declaration_accepted")
    return locality


def _event(
    application: Application,
    kind: EventKind,
    now: datetime,
    *,
    actor: User | None = None,
    message: str = "",
    public: bool = True,
) -> ApplicationEvent:
    event = ApplicationEvent(
        kind=kind, at=now, actor_id=actor.id if actor else None, message=message, is_public=public
    )
    application.events.append(event)
    return event


def _attach(
    application: Application,
    documents: Sequence[tuple[DocumentKind, StoredFile]],
    event: ApplicationEvent,
    now: datetime,
) -> None:
    for kind, stored in documents:
        application.documents.append(ApplicationDocument(kind=kind, file=stored, event=event, created_at=now))


def submit(
    session: Session,
    data: ApplicationInput,
    *,
    photo: StoredFile,
    documents: Sequence[tuple[DocumentKind, StoredFile]],
    now: datetime,
) -> Submitted:
    """A resident's application: checked, given a reference and an access code, screened against the alert list."""
    today = now.date()
    locality = validate_input(session, data, today)
    agreement = locality.agreement
    code = new_access_code()
    reference = f"LBT-{today.year}-{next_value(session, f'LBT-{today.year}'):06d}"
    application = Application(
        reference=reference,
        access_code_hash=hash_access_code(code),
        agreement=agreement,
        status=ApplicationStatus.SUBMITTED,
        kind=data.kind,
        previous_permit_number=data.previous_permit_number.strip().upper() or None,
        surname_national=data.surname_national.strip(),
        given_names_national=data.given_names_national.strip(),
        surname_latin=to_latin(data.surname_latin),
        given_names_latin=to_latin(data.given_names_latin),
        search_name=search_key(data.surname_latin, data.given_names_latin),
        sex=data.sex,
        birth_date=data.birth_date,
        birth_place=data.birth_place.strip(),
        nationality=data.nationality.strip().upper(),
        phone=data.phone.strip(),
        email=data.email.strip(),
        preferred_locale=data.preferred_locale,
        document_type=data.document_type,
        document_number=normalise_document_number(data.document_number),
        document_issuing_state=data.document_issuing_state.strip().upper(),
        document_expiry=data.document_expiry,
        locality=locality,
        address=data.address.strip(),
        resident_since=data.resident_since,
        family_relationship=data.family_relationship.strip(),
        family_reference=data.family_reference.strip().upper(),
        reason=data.reason,
        reason_text=data.reason_text.strip(),
        fee_exemption=data.fee_exemption or None,
        declaration_accepted=True,
        photo=photo,
        submitted_at=now,
        decision_due=today + timedelta(days=agreement.decision_deadline_days),
        fee_amount=agreement.fee_amount,
        fee_currency=agreement.fee_currency,
    )
    session.add(application)
    _attach(application, documents, _event(application, EventKind.SUBMITTED, now), now)
    session.flush()
    screen(session, application, now)
    return Submitted(application, code)


def find_for_applicant(session: Session, reference: str, access_code: str) -> Application:
    """The applicant's own view: the reference and the access code must both match (one message for both)."""
    application = session.scalar(
        select(Application).where(Application.reference == reference.strip().upper())
    )
    expected = application.access_code_hash if application else hash_access_code("x")
    if application is None or not hmac.compare_digest(expected, hash_access_code(access_code)):
        raise NotFound(N_("No application matches this reference and access code."))
    return application


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
    event = _event(application, EventKind.INFO_REQUESTED, now, actor=officer, message=message.strip())
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
    event = _event(application, EventKind.INFO_ANSWERED, now, message=text.strip())
    _attach(application, documents, event, now)
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
            expiry=application.document_expiry.isoformat(),
        )
    if valid_until < bounds.min_until:
        raise ValidationFailed(
            N_("A permit must be valid for at least %(years)d year(s): until %(date)s or later."),
            "valid_until",
            years=application.agreement.validity_min_years,
            date=bounds.min_until.isoformat(),
        )
    if valid_until > bounds.max_until:
        raise ValidationFailed(
            N_("This permit may be valid until %(date)s at the latest."),
            "valid_until",
            date=bounds.max_until.isoformat(),
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
    today = now.date()
    if open_hits(session, application):
        raise ValidationFailed(N_("An alert-list hit must be cleared by a supervisor before approval."))
    check_validity(application, valid_from, valid_until, today)
    exemption = fee_exemption(application, application.agreement, today)
    if application.agreement.fee_amount > 0 and exemption is None and fee_status is not FeeStatus.PAID:
        raise ValidationFailed(N_("The fee must be paid before the permit is issued."), "fee_status")
    application.fee_status = (
        FeeStatus.WAIVED if exemption or application.agreement.fee_amount == 0 else fee_status
    )
    application.fee_amount = (
        0 if application.fee_status is FeeStatus.WAIVED else application.agreement.fee_amount
    )
    application.status = ApplicationStatus.APPROVED
    application.decided_at = now
    application.decided_by_id = officer.id
    application.refusal_reasons = []
    _event(application, EventKind.APPROVED, now, actor=officer)
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
    application.reconsideration_until = now.date() + timedelta(
        days=application.agreement.reconsideration_days
    )
    _event(application, EventKind.REFUSED, now, actor=officer, message=text.strip())
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
    if not can_ask_reconsideration(application, now.date()):
        raise WrongState(N_("Reconsideration can no longer be asked for this application."))
    if not text.strip():
        raise ValidationFailed(N_("Explain why the decision should be reconsidered."), "text")
    application.status = ApplicationStatus.RECONSIDERATION
    event = _event(application, EventKind.RECONSIDERATION_REQUESTED, now, message=text.strip())
    _attach(application, documents, event, now)
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
        _event(application, EventKind.UPHELD, now, actor=supervisor, message=text.strip())
    else:
        application.status = ApplicationStatus.SUBMITTED
        application.refusal_reasons = []
        _event(application, EventKind.OVERTURNED, now, actor=supervisor, message=text.strip())
    application.decided_at = now
    application.decided_by_id = supervisor.id
    session.flush()
