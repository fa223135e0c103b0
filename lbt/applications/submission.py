"""A resident's application: checked, given a reference and an access code, screened against the alert
list; and the applicant's own way back to it (reference + access code)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.alerts.services import screen
from lbt.applications.eligibility import nationality_rule, years_between
from lbt.applications.events import add_event, attach_documents
from lbt.applications.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    DocumentKind,
    EventKind,
    Sex,
    TravelDocumentType,
)
from lbt.core.counters import next_value
from lbt.core.dates import local_day, state_time_zone
from lbt.core.errors import N_, Nn_, NotFound, ValidationFailed
from lbt.core.pdf_fonts import BOLD, missing_glyphs
from lbt.core.search import normalise_document_number
from lbt.core.transliteration import search_key, to_latin
from lbt.reference.models import CrossingReason, FeeExemption, Locality
from lbt.reference.names import PlaceName, StateName
from lbt.storage.models import StoredFile

ACCESS_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones
ACCESS_CODE_LENGTH = 16  # 80 bits
MAX_AGE_YEARS = 120
# What the permit card prints in full or, for names, shortened as ICAO Doc 9303 allows (the full name
# stays in the permit and its QR); the form allows exactly these lengths, the permit's columns hold them.
MAX_NAME_LENGTH = 100
MAX_DOCUMENT_NUMBER_LENGTH = 30


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


def validate_input(session: Session, data: ApplicationInput, today: date, *, home_state: str) -> Locality:
    """Art. 9 conditions that can be checked on the form itself; each error names its field. The
    applicant lives in the partner state's border area of one of the home state's agreements (Art. 3)."""
    locality = session.get(Locality, data.locality_id)
    if locality is None or not locality.is_active:
        raise ValidationFailed(N_("Choose a locality from the list of the border area."), "locality_id")
    agreement = locality.agreement
    partner = agreement.partner_of(home_state)
    if partner is None:
        raise ValidationFailed(N_("Choose a locality from the list of the border area."), "locality_id")
    if locality.state_id != partner.id:
        raise ValidationFailed(
            N_(
                "%(locality)s is in %(home)s. This service issues permits to residents of the border area of"
                " %(partner)s; residents of %(home)s apply to the border service of %(partner)s."
            ),
            "locality_id",
            locality=PlaceName.of(locality),
            home=StateName.of(locality.state),
            partner=StateName.of(partner),
        )
    if not agreement.is_active or not agreement.in_force_on(today):
        raise ValidationFailed(N_("The agreement for this locality is not in force."), "locality_id")
    if float(locality.distance_km) > agreement.border_area_straddle_km:
        raise ValidationFailed(
            N_("%(locality)s lies outside the border area (%(km)s km from the border)."),
            "locality_id",
            locality=PlaceName.of(locality),
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
    nationality = nationality_rule(
        agreement, partner, data.nationality, bool(data.family_relationship.strip())
    )
    if not nationality.ok:
        raise ValidationFailed(nationality.message, "nationality", **nationality.params)
    exempt = bool(data.family_relationship.strip()) and agreement.family_exempt_from_residence
    if not exempt and years_between(data.resident_since, today) < agreement.min_residence_years:
        raise ValidationFailed(
            Nn_(
                "You must have lived in the border area for at least %(num)d year.",
                "You must have lived in the border area for at least %(num)d years.",
            ),
            "resident_since",
            num=agreement.min_residence_years,
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
    _check_printable(data)
    if not data.declaration_accepted:
        raise ValidationFailed(N_("You must accept the declaration."), "declaration_accepted")
    return locality


def _check_printable(data: ApplicationInput) -> None:
    """What the permit card prints must fit the permit and the card: lengths as stored, and only
    characters the card's font has (it would print an empty box on an official document)."""
    names = {
        "surname_national": data.surname_national.strip(),
        "given_names_national": data.given_names_national.strip(),
        "surname_latin": to_latin(data.surname_latin),
        "given_names_latin": to_latin(data.given_names_latin),
    }
    for field, name in names.items():
        if len(name) > MAX_NAME_LENGTH:
            raise ValidationFailed(
                N_("The name is longer than %(max)d characters."), field, max=MAX_NAME_LENGTH
            )
        missing = missing_glyphs(unicodedata.normalize("NFC", name), BOLD)
        if missing:
            raise ValidationFailed(
                N_("The permit card cannot print these characters: %(characters)s"),
                field,
                characters=" ".join(missing),
            )
    if len(normalise_document_number(data.document_number)) > MAX_DOCUMENT_NUMBER_LENGTH:
        raise ValidationFailed(
            N_("The document number is longer than %(max)d characters."),
            "document_number",
            max=MAX_DOCUMENT_NUMBER_LENGTH,
        )


def submit(
    session: Session,
    data: ApplicationInput,
    *,
    photo: StoredFile,
    documents: Sequence[tuple[DocumentKind, StoredFile]],
    now: datetime,
    home_state: str,
) -> Submitted:
    """A resident's application: checked, given a reference and an access code, screened against the alert list."""
    today = local_day(now, state_time_zone(home_state))  # its decision is due by a day of the home clock
    locality = validate_input(session, data, today, home_state=home_state)
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
    attach_documents(application, documents, add_event(application, EventKind.SUBMITTED, now), now)
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
