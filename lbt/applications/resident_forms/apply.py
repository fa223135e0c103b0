"""The application form: who applies, personal data, travel document, residence and family, reason and
fee, photo and documents, declaration."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError

from lbt.applications.models import ApplicationKind, Sex, TravelDocumentType
from lbt.applications.resident_forms.common import CODE_INPUT, DocumentEntry
from lbt.applications.submission import MAX_DOCUMENT_NUMBER_LENGTH, MAX_NAME_LENGTH
from lbt.web.dates import TypedDateField
from lbt.web.forms import BaseForm

MAX_APPLICATION_DOCUMENTS = 5

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
        validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)],
        description=_l("As written in your passport, in your own alphabet."),
    )
    given_names_national = StringField(
        _l("Given name(s)"), validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)]
    )
    surname_latin = StringField(
        _l("Surname(s) in Latin letters"),
        validators=[DataRequired(), Length(max=MAX_NAME_LENGTH), LATIN_NAME],
        render_kw={"data-latin-from": "surname_national", **CODE_INPUT},
        description=_l(
            "Filled in for you as in passports; correct it if your passport spells it differently."
        ),
    )
    given_names_latin = StringField(
        _l("Given name(s) in Latin letters"),
        validators=[DataRequired(), Length(max=MAX_NAME_LENGTH), LATIN_NAME],
        render_kw={"data-latin-from": "given_names_national", **CODE_INPUT},
    )
    sex = RadioField(
        _l("Sex"), choices=_choices(SEX_LABELS), validators=[_required(_l("Choose one of the options."))]
    )
    birth_date = TypedDateField(_l("Date of birth"), validators=[_required(_l("Enter your date of birth."))])
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
        validators=[DataRequired(), Length(max=MAX_DOCUMENT_NUMBER_LENGTH), DOCUMENT_NUMBER],
        render_kw=CODE_INPUT,
    )
    document_issuing_state = SelectField(_l("Issuing state"), validators=[DataRequired()])
    document_expiry = TypedDateField(_l("Valid until"), validators=[_required(_l("Enter the expiry date."))])
    # 4. residence and family
    locality_id = SelectField(
        _l("Locality where you live"),
        validators=[
            DataRequired(message=_l("Choose your locality from the list.")),
            Regexp(r"^\d{1,9}$", message=_l("Choose your locality from the list.")),
        ],
        description=_l("Only localities of the border area are listed."),
        # any listed id is checked by the service, which says why a locality is not one residents apply from
        validate_choice=False,
    )
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    resident_since = TypedDateField(
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

    def validate_document_expiry(self, field: TypedDateField) -> None:
        if field.data and self.birth_date.data and field.data <= self.birth_date.data:
            raise ValidationError(_l("The expiry date must be after the date of birth."))
