"""Forms of the resident pages (the application, the status login, answers and reconsideration) and
the uploads they carry.

The forms check shape only (required, lengths, formats, date order); the rules of the agreement are the
service's job. Choices that come from the database (localities, states, reasons) are filled in by the view.
Uploads that passed their checks survive a refused form: they are stored at once and carried to the next
submission by a signed token, so nobody on a slow connection has to send a photo twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from flask import session as web_session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError

from lbt.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationKind,
    DocumentKind,
    Sex,
    TravelDocumentType,
)
from lbt.core.errors import ValidationFailed
from lbt.storage.models import StoredFile
from lbt.storage.uploads import (
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    MAX_PHOTO_BYTES,
    CheckedFile,
    FileStore,
    check_photo,
    check_upload,
)
from lbt.web.forms import BaseForm
from lbt.web.i18n import FORM_TRANSLATIONS, translate_error
from lbt.web.state import find_service

MAX_APPLICATION_DOCUMENTS = 5
MAX_ANSWER_DOCUMENTS = 3
UPLOAD_SALT = "lbt-upload"
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
BROWSER_KEY = "lbt_apply_browser"
REQUEST_MARGIN_BYTES = 512 * 1024  # room for the text fields inside the request size limit

KIND_LABELS = {
    ApplicationKind.FIRST: _l("My first permit"),
    ApplicationKind.RENEWAL: _l("A renewal of my permit"),
}
SEX_LABELS = {Sex.FEMALE: _l("Female"), Sex.MALE: _l("Male"), Sex.UNSPECIFIED: _l("Unspecified (X)")}
DOCUMENT_TYPE_LABELS = {
    TravelDocumentType.PASSPORT: _l("Passport"),
    TravelDocumentType.ID_CARD: _l("Identity card"),
    TravelDocumentType.OTHER: _l("Other travel document"),
}
DOCUMENT_KIND_LABELS = {
    DocumentKind.PHOTO: _l("Photo"),
    DocumentKind.TRAVEL_DOCUMENT: _l("Travel document (page with your photo)"),
    DocumentKind.RESIDENCE_PROOF: _l("Proof of residence"),
    DocumentKind.REASON_STATEMENT: _l("Proof of your reason for crossing"),
    DocumentKind.FAMILY_PROOF: _l("Proof of the family relationship"),
    DocumentKind.OTHER: _l("Other document"),
}
FAMILY_RELATIONSHIP_LABELS = {
    "spouse": _l("Spouse"),
    "child": _l("Child"),
    "parent": _l("Parent"),
    "other": _l("Other family member"),
}


def _choices(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(str(key), label) for key, label in labels.items()]


LATIN_NAME = Regexp(
    r"^[A-Za-z][A-Za-z '\-]*$", message=_l("Use Latin letters A–Z only (and space, hyphen, apostrophe).")
)
PHONE = Regexp(
    r"^\+?[0-9][0-9 ()\-]{5,28}$", message=_l("Enter a phone number: digits, with + and the country code.")
)
DOCUMENT_NUMBER = Regexp(r"^[A-Za-z0-9][A-Za-z0-9 \-]*$", message=_l("Use letters and digits only."))
# codes and Latin names: capitals on phone keyboards, no spelling "corrections"
CODE_INPUT = {"autocapitalize": "characters", "spellcheck": "false", "autocorrect": "off"}


class _Subform(Form):
    """A repeated group inside a form: no CSRF token of its own, WTForms' messages in the reader's language."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return FORM_TRANSLATIONS


class DocumentEntry(_Subform):
    """One supporting document: what it is, and the file."""

    kind = SelectField(
        _l("What is this document?"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [
            SelectChoice(kind.value, label)
            for kind, label in DOCUMENT_KIND_LABELS.items()
            if kind is not DocumentKind.PHOTO
        ],
        validators=[Optional()],  # needed only with a file: the view checks that
    )
    file = FileField(_l("File (PDF, JPEG or PNG)"))


def _required(message: Any) -> InputRequired:
    return InputRequired(message=message)


class ApplyForm(BaseForm):
    # 1. who applies, first permit or renewal
    kind = RadioField(
        _l("What are you applying for?"),
        choices=_choices(KIND_LABELS),
        default=ApplicationKind.FIRST.value,
        validators=[_required(_l("Choose first permit or renewal."))],
    )
    previous_permit_number = StringField(
        _l("Number of the permit you want to renew"),
        validators=[Optional(), Length(max=20)],
        render_kw=CODE_INPUT,
        description=_l("As printed on the permit, for example TJ-2025-000123-4."),
    )
    # 2. personal data
    surname_national = StringField(
        _l("Surname(s)"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("As written in your passport, in your own alphabet."),
    )
    given_names_national = StringField(_l("Given name(s)"), validators=[DataRequired(), Length(max=100)])
    surname_latin = StringField(
        _l("Surname(s) in Latin letters"),
        validators=[DataRequired(), Length(max=100), LATIN_NAME],
        render_kw={"data-latin-from": "surname_national", **CODE_INPUT},
        description=_l(
            "Filled in for you as in passports; correct it if your passport spells it differently."
        ),
    )
    given_names_latin = StringField(
        _l("Given name(s) in Latin letters"),
        validators=[DataRequired(), Length(max=100), LATIN_NAME],
        render_kw={"data-latin-from": "given_names_national", **CODE_INPUT},
    )
    sex = RadioField(
        _l("Sex"), choices=_choices(SEX_LABELS), validators=[_required(_l("Choose one of the options."))]
    )
    birth_date = DateField(_l("Date of birth"), validators=[_required(_l("Enter your date of birth."))])
    birth_place = StringField(_l("Place of birth"), validators=[DataRequired(), Length(max=120)])
    nationality = SelectField(_l("Nationality"), validators=[DataRequired()])
    phone = TelField(
        _l("Phone number"),
        validators=[DataRequired(), Length(max=30), PHONE],
        description=_l("With the country code, for example +992 92 123 4567."),
    )
    email = EmailField(
        _l("Email (optional)"),
        validators=[
            Optional(),
            Length(max=254),
            Email(message=_l("Enter an email address like name@example.org.")),
        ],
        description=_l("We send your reference and access code there, and news about your application."),
    )
    # 3. travel document
    document_type = RadioField(
        _l("Type of travel document"),
        choices=_choices(DOCUMENT_TYPE_LABELS),
        default=TravelDocumentType.PASSPORT.value,
        validators=[_required(_l("Choose one of the options."))],
    )
    document_number = StringField(
        _l("Document number"),
        validators=[DataRequired(), Length(max=30), DOCUMENT_NUMBER],
        render_kw=CODE_INPUT,
    )
    document_issuing_state = SelectField(_l("Issuing state"), validators=[DataRequired()])
    document_expiry = DateField(_l("Valid until"), validators=[_required(_l("Enter the expiry date."))])
    # 4. residence and family
    locality_id = SelectField(
        _l("Locality where you live"),
        validators=[DataRequired(message=_l("Choose your locality from the list."))],
        description=_l("Only localities of the border area are listed."),
    )
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    resident_since = DateField(
        _l("Living there since"),
        validators=[_required(_l("Enter the date you started living there."))],
        description=_l(
            "The date you started living in the border area (approximate day if you do not know it)."
        ),
    )
    family_relationship = SelectField(
        _l("Do you apply as a family member of a resident?"),
        choices=[SelectChoice("", _l("No")), *_choices(FAMILY_RELATIONSHIP_LABELS)],
        validators=[Optional()],
        description=_l(
            "Some agreements exempt family members of an eligible resident from the minimum residence."
        ),
    )
    family_reference = StringField(
        _l("Their permit number or application reference"),
        validators=[Optional(), Length(max=30)],
        render_kw=CODE_INPUT,
        description=_l("For example TJ-2025-000123-4 or LBT-2026-000123."),
    )
    # 5. reason and fee
    reason = SelectField(_l("Reason for crossing"), validators=[DataRequired(message=_l("Choose a reason."))])
    reason_text = TextAreaField(
        _l("Tell us more about your reason"),
        validators=[Optional(), Length(max=2000)],
        description=_l("For example whom you visit and where. Required if you chose “Other”."),
    )
    fee_exemption = SelectField(
        _l("Are you exempt from the fee?"),
        validators=[Optional()],
        description=_l(
            "Minors and pensioners are recognised by their date of birth; others must show proof."
        ),
    )
    # 6. photo and documents
    photo = FileField(
        _l("Photo of you"),
        description=_l(
            "Like a passport photo: JPEG or PNG, portrait, at least 300 × 385 pixels, no larger than 5 MB."
        ),
    )
    documents = FieldList(
        FormField(DocumentEntry), min_entries=MAX_APPLICATION_DOCUMENTS, max_entries=MAX_APPLICATION_DOCUMENTS
    )
    # 7. declaration
    declaration_accepted = BooleanField(
        _l(
            "I declare that what I have written is true and complete. I know that false information leads to "
            "refusal or annulment of the permit."
        ),
        validators=[DataRequired(message=_l("You must accept the declaration."))],
    )
    consent = BooleanField(
        _l("I agree that the border service processes my personal data to decide on this application."),
        validators=[DataRequired(message=_l("Your consent is needed to process the application."))],
    )

    def validate_document_expiry(self, field: DateField) -> None:
        if field.data and self.birth_date.data and field.data <= self.birth_date.data:
            raise ValidationError(_l("The expiry date must be after the date of birth."))


class StatusLoginForm(BaseForm):
    reference = StringField(
        _l("Reference"),
        validators=[DataRequired(), Length(max=20)],
        render_kw=CODE_INPUT,
        description=_l("For example LBT-2026-000123."),
    )
    access_code = StringField(
        _l("Access code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw=CODE_INPUT,
        description=_l("The code you were given when you applied, for example ABCD-EFGH-JKLM-NPQR."),
    )


class AnswerForm(BaseForm):
    text = TextAreaField(_l("Your answer"), validators=[Optional(), Length(max=5000)])
    documents = FieldList(
        FormField(DocumentEntry), min_entries=MAX_ANSWER_DOCUMENTS, max_entries=MAX_ANSWER_DOCUMENTS
    )


class ReconsiderationForm(BaseForm):
    text = TextAreaField(
        _l("Why should the decision be reconsidered?"),
        validators=[
            DataRequired(message=_l("Explain why the decision should be reconsidered.")),
            Length(max=5000),
        ],
    )
    documents = FieldList(
        FormField(DocumentEntry), min_entries=MAX_ANSWER_DOCUMENTS, max_entries=MAX_ANSWER_DOCUMENTS
    )


# --- uploads kept between submissions ---------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """An upload that passed its checks, with the signed token that brings it back on the next submit."""

    stored: StoredFile
    token: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=UPLOAD_SALT)  # type: ignore[arg-type]


def _browser_key() -> str:
    """A random key in this browser's session: a token copied to another browser is worthless."""
    key = web_session.get(BROWSER_KEY)
    if not isinstance(key, str):
        key = web_session[BROWSER_KEY] = secrets.token_urlsafe(16)
    return key


def _add_error(field: Field, message: str) -> None:
    field.errors = [*field.errors, message]


def _in_use(db: Session, stored: StoredFile) -> bool:
    return (
        db.scalar(select(Application.id).where(Application.photo_file_id == stored.id).limit(1)) is not None
        or db.scalar(select(ApplicationDocument.id).where(ApplicationDocument.file_id == stored.id).limit(1))
        is not None
    )


def _carried(db: Session, field: Field, token: str, purpose: str) -> Kept | None:
    """The upload a token brings back; a tampered, expired or foreign token is ignored with a message."""
    if not token:
        return None
    try:
        payload = _serializer().loads(token, max_age=UPLOAD_MAX_AGE_SECONDS)
    except BadSignature:
        payload = None
    stored = None
    if (
        isinstance(payload, dict)
        and payload.get("purpose") == purpose
        and payload.get("browser") == web_session.get(BROWSER_KEY)
        and isinstance(payload.get("file"), int)
    ):
        stored = db.get(StoredFile, payload["file"])
    if stored is None or _in_use(db, stored):
        _add_error(field, _("The file you sent earlier could not be kept. Please choose it again."))
        return None
    return Kept(stored, token)


def _received(
    db: Session,
    field: Field,
    kept: Kept | None,
    check: Callable[[bytes, str], CheckedFile],
    max_bytes: int,
    purpose: str,
) -> Kept | None:
    """A newly chosen file replaces the kept one once it passes its checks; if it fails, the kept one stays."""
    upload = field.data
    if not upload:
        return kept
    try:
        checked = check(upload.stream.read(max_bytes + 1), upload.filename or "")
    except ValidationFailed as error:
        _add_error(field, translate_error(error))
        return kept
    stored = find_service(FileStore).save(checked)
    db.add(stored)
    db.flush()
    return Kept(
        stored, _serializer().dumps({"file": stored.id, "purpose": purpose, "browser": _browser_key()})
    )


def _check_document(data: bytes, name: str) -> CheckedFile:
    return check_upload(data, name, allowed=DOCUMENT_TYPES, max_bytes=MAX_DOCUMENT_BYTES)


def take_photo(db: Session, form: ApplyForm, uploads: dict[str, Kept]) -> StoredFile | None:
    kept = _carried(db, form.photo, request.form.get("photo_token", ""), "photo")
    kept = _received(db, form.photo, kept, check_photo, MAX_PHOTO_BYTES, "photo")
    if kept is None:
        if not form.photo.errors:
            _add_error(form.photo, _("Add a photo of yourself."))
        return None
    uploads["photo"] = kept
    return kept.stored


def take_documents(
    db: Session, entries: FieldList, uploads: dict[str, Kept]
) -> list[tuple[DocumentKind, StoredFile]]:
    documents = []
    for entry in entries:
        row = entry.form
        token = (
            "" if request.form.get(f"{entry.name}-remove") else request.form.get(f"{entry.name}-token", "")
        )
        kept = _received(
            db,
            row.file,
            _carried(db, row.file, token, "document"),
            _check_document,
            MAX_DOCUMENT_BYTES,
            "document",
        )
        if kept is None:
            continue
        uploads[entry.name] = kept
        if not row.kind.data and not row.kind.errors:
            _add_error(row.kind, _("Say what this document is."))
        if not row.kind.errors:
            documents.append((DocumentKind(row.kind.data), kept.stored))
    return documents


def error_list(form: BaseForm) -> list[tuple[str, str]]:
    """(field id, "label: message") of every error, for the summary that links to the fields."""
    found = []
    for field in form:
        if isinstance(field, FieldList):
            for number, entry in enumerate(field, start=1):
                prefix = _("Document %(number)d", number=number)
                found += [
                    (sub.id, f"{prefix}, {sub.label.text}: {message}")
                    for sub in entry.form
                    for message in sub.errors
                ]
        else:
            target = f"{field.id}-0" if field.type == "RadioField" else field.id
            found += [(target, f"{field.label.text}: {message}") for message in field.errors]
    return found


def upload_limits() -> dict[str, int]:
    return {
        "photo": MAX_PHOTO_BYTES,
        "document": MAX_DOCUMENT_BYTES,
        "total": int(current_app.config["MAX_CONTENT_LENGTH"]) - REQUEST_MARGIN_BYTES,
    }
