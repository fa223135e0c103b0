"""Forms of the reference area. They check shape only (required, lengths, formats, date order); the
rules of an agreement and of a border area are the services' job."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from lbt.reference.csv_import import MAX_BYTES
from lbt.reference.labels import LANGUAGE_LABELS
from lbt.reference.rules import DESCRIPTION_LENGTH, LONG_NAME_LENGTH, NAME_LENGTH, PAYMENT_INSTRUCTIONS_LENGTH
from lbt.web.dates import TypedDateField
from lbt.web.forms import BaseForm, CheckboxesField
from lbt.web.labels import CROSSING_POINT_KIND_LABELS, CROSSING_REASON_LABELS, FEE_EXEMPTION_LABELS

_CODE_MESSAGE = _l("Use Latin letters, digits, dot, dash or underscore.")


def _code(label: Any, length: int) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(),
            Length(max=length),
            Regexp(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*$", message=_CODE_MESSAGE),
        ],
    )


def _letters(label: Any, length: int) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(),
            Regexp(
                rf"^\s*[A-Za-z]{{{length}}}\s*$",
                message=_l("Enter exactly %(length)d Latin letters.", length=length),
            ),
        ],
    )


def _name(label: Any, length: int = NAME_LENGTH) -> StringField:
    return StringField(label, validators=[DataRequired(), Length(max=length)])


def _number(label: Any, description: Any = None) -> IntegerField:
    return IntegerField(label, validators=[InputRequired()], description=description)


def _time_zone() -> StringField:
    return StringField(
        _l("Time zone"),
        validators=[Optional(), Length(max=64)],
        description=_l(
            "IANA name, for example Asia/Dushanbe, Asia/Bishkek or Asia/Tashkent. Empty: the state's zone."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


def _state(label: Any) -> SelectField:
    return SelectField(label, choices=[], validators=[DataRequired()])


class StateForm(BaseForm):
    code = _letters(_l("ISO code (2 letters)"), 2)
    alpha3 = _letters(_l("ICAO code (3 letters)"), 3)
    name_en = _name(_l("Name in English"))
    name_ru = _name(_l("Name in Russian"))
    name_national = _name(_l("Name in the national language"))


def _instructions(label: Any, description: Any = "") -> TextAreaField:
    return TextAreaField(
        label, validators=[Optional(), Length(max=PAYMENT_INSTRUCTIONS_LENGTH)], description=description
    )


class AgreementForm(BaseForm):
    code = _code(_l("Code"), 40)
    name = _name(_l("Name"), LONG_NAME_LENGTH)
    state_a_code = _state(_l("First state"))
    state_b_code = _state(_l("Second state"))
    in_force_from = TypedDateField(_l("In force from"), validators=[InputRequired()])
    in_force_until = TypedDateField(
        _l("In force until"), validators=[Optional()], description=_l("Leave empty for no end date.")
    )
    border_area_km = _number(_l("Border area (km from the border)"), _l("At most 50 km."))
    border_area_straddle_km = _number(
        _l("Straddling localities count up to (km)"),
        _l("A locality partly inside the border area counts up to 50 km."),
    )
    min_residence_years = _number(
        _l("Minimum residence in the border area (years)"), _l("At least one year.")
    )
    family_exempt_from_residence = BooleanField(
        _l("Spouse and minor children are exempt from the minimum residence")
    )
    admits_family_of_other_nationality = BooleanField(
        _l("Family members of a border resident may apply whatever their nationality")
    )
    admits_long_term_residents = BooleanField(
        _l("Foreigners with a long-term residence permit of the partner state may apply")
    )
    border_area_name_a = StringField(
        _l("Border area of the first state, as the agreement names it"),
        validators=[Optional(), Length(max=LONG_NAME_LENGTH)],
        description=_l(
            "For example its districts. Leave empty to name the districts of its listed localities."
        ),
    )
    border_area_name_b = StringField(
        _l("Border area of the second state, as the agreement names it"),
        validators=[Optional(), Length(max=LONG_NAME_LENGTH)],
        description=_l(
            "For example its districts. Leave empty to name the districts of its listed localities."
        ),
    )
    validity_min_years = _number(_l("Shortest permit validity (years)"))
    validity_max_years = _number(_l("Longest permit validity (years)"), _l("At most 5 years."))
    first_permit_max_years = _number(_l("Longest validity of a first permit (years)"))
    max_stay_days = _number(
        _l("Longest uninterrupted stay (days)"), _l("At most 90 days; each exit restarts the count.")
    )
    rolling_window_days = IntegerField(
        _l("Rolling limit: window (days)"),
        validators=[Optional()],
        description=_l(
            "For a limit such as 90 days in any 180, enter 180 here and 90 below; leave both empty for none."
        ),
    )
    rolling_limit_days = IntegerField(
        _l("Rolling limit: days allowed in the window"), validators=[Optional()]
    )
    all_crossing_points = BooleanField(_l("Permit holders may use every crossing point of the agreement"))
    both_sides_record = BooleanField(
        _l("Both sides record crossings"),
        description=_l("The partner state's guards record the exit of this state's permit holders too."),
    )
    allowed_crossing_point_codes = CheckboxesField(
        _l("Crossing points permit holders may use"),
        choices=[],
        description=_l("Only when not every crossing point may be used."),
    )
    fee_amount = DecimalField(_l("Fee"), places=2, validators=[InputRequired()])
    fee_currency = _letters(_l("Currency (3 letters)"), 3)
    fee_exemptions = CheckboxesField(
        _l("Exempt from the fee"),
        choices=lambda: [(key.value, label) for key, label in FEE_EXEMPTION_LABELS.items()],
    )
    payment_instructions = _instructions(
        _l("How to pay the fee (every language)"),
        _l(
            "Where and how to pay (bank, account, cashier, what to bring). Shown to applicants while the fee "
            "is due; a text in the applicant's language below is shown instead when there is one."
        ),
    )
    payment_instructions_en = _instructions(_l("How to pay the fee, in English"))
    payment_instructions_ru = _instructions(_l("How to pay the fee, in Russian"))
    payment_instructions_tg = _instructions(_l("How to pay the fee, in Tajik"))
    payment_instructions_ky = _instructions(_l("How to pay the fee, in Kyrgyz"))
    payment_instructions_uz = _instructions(_l("How to pay the fee, in Uzbek"))
    reasons = CheckboxesField(
        _l("Accepted reasons to cross"),
        choices=lambda: [(key.value, label) for key, label in CROSSING_REASON_LABELS.items()],
    )
    decision_deadline_days = _number(_l("Days to decide an application"))
    reconsideration_days = _number(_l("Days to ask for reconsideration of a refusal"))

    def validate_in_force_until(self, field: TypedDateField) -> None:
        if field.data and self.in_force_from.data and field.data <= self.in_force_from.data:
            raise ValidationError(_l("The end date must come after the start date."))


class LocalityForm(BaseForm):
    agreement_code = SelectField(_l("Agreement"), choices=[], validators=[DataRequired()])
    state_code = _state(_l("State"))
    district = _name(_l("District"))
    name_latin = _name(_l("Name in Latin letters"))
    name_national = _name(_l("Name in the national script"))
    distance_km = DecimalField(_l("Distance from the border (km)"), places=1, validators=[InputRequired()])
    population = IntegerField(
        _l("Eligible population (residents)"),
        validators=[Optional()],
        description=_l("A whole number, 0 or more. Leave empty when not known."),
    )


class CrossingPointForm(BaseForm):
    code = _code(_l("Code"), 20)
    name = _name(_l("Name"), LONG_NAME_LENGTH)
    kind = SelectField(
        _l("Kind"),
        choices=lambda: [(key.value, label) for key, label in CROSSING_POINT_KIND_LABELS.items()],
        validators=[DataRequired()],
    )
    opening_hours = StringField(
        _l("Opening hours"),
        validators=[Optional(), Length(max=NAME_LENGTH)],
        description=_l("For example 08:00–20:00."),
    )
    agreement_code = SelectField(_l("Agreement"), choices=[], validators=[DataRequired()])
    state_code = _state(_l("State it stands in"))
    time_zone = _time_zone()


class BorderSectionForm(BaseForm):
    code = _code(_l("Code"), 20)
    name = _name(_l("Name"), LONG_NAME_LENGTH)
    state_a_code = _state(_l("First state"))
    state_b_code = _state(_l("Second state"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=DESCRIPTION_LENGTH)])
    working_languages = CheckboxesField(
        _l("Working languages"), choices=lambda: list(LANGUAGE_LABELS.items()), validators=[DataRequired()]
    )
    time_zone = _time_zone()


class CsvUploadForm(BaseForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileSize(
                max_size=MAX_BYTES,
                message=_l("The file is larger than %(size)d MB.", size=MAX_BYTES >> 20),
            ),
        ],
        description=_l("UTF-8 text, the first line naming the columns."),
    )


class ReferenceFilterForm(BaseForm):
    """The filters above a list; sent with GET, so without a CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    active = BooleanField(_l("Active only"))
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])


class PlacedFilterForm(ReferenceFilterForm):
    """Localities and crossing points are also filtered by agreement and state."""

    agreement = SelectField(_l("Agreement"), choices=[], validators=[Optional()])
    state = SelectField(_l("State"), choices=[], validators=[Optional()])
