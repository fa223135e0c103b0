"""Forms of the officers' and supervisors' application pages, and the names of the application enums as
people read them. Forms check shape only; whether a decision is allowed is the services' job."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from lbt.applications.models import (
    ApplicationKind,
    ApplicationStatus,
    DocumentKind,
    EventKind,
    FeeStatus,
    RefusalReason,
    Sex,
    TravelDocumentType,
)
from lbt.web.dates import TypedDateField
from lbt.web.forms import BaseForm, CheckboxesField
from lbt.web.labels import CROSSING_REASON_LABELS

MESSAGE_LENGTH = 4000

APPLICATION_STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("Waiting for an officer"),
    ApplicationStatus.INFO_REQUESTED: _l("Waiting for the applicant"),
    ApplicationStatus.APPROVED: _l("Approved"),
    ApplicationStatus.REFUSED: _l("Refused"),
    ApplicationStatus.RECONSIDERATION: _l("Reconsideration asked"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
}

APPLICATION_KIND_LABELS = {
    ApplicationKind.FIRST: _l("First permit"),
    ApplicationKind.RENEWAL: _l("Renewal"),
}

REFUSAL_REASON_LABELS = {
    RefusalReason.NO_VALID_TRAVEL_DOCUMENT: _l("No valid travel document"),
    RefusalReason.RESIDENCE_NOT_PROVEN: _l("Residence in the border area not proven"),
    RefusalReason.RESIDENCE_TOO_SHORT: _l("Residence in the border area too short"),
    RefusalReason.OUTSIDE_BORDER_AREA: _l("Place of residence outside the border area"),
    RefusalReason.NO_LEGITIMATE_REASON: _l("No legitimate reason to cross the border often"),
    RefusalReason.ENTRY_BAN: _l("Entry ban or alert on the person"),
    RefusalReason.PUBLIC_ORDER: _l("Threat to public order"),
    RefusalReason.FALSE_INFORMATION: _l("False or misleading information"),
    RefusalReason.OTHER: _l("Other reason (see the explanation)"),
}

DOCUMENT_KIND_LABELS = {
    DocumentKind.PHOTO: _l("Photo"),
    DocumentKind.TRAVEL_DOCUMENT: _l("Travel document"),
    DocumentKind.RESIDENCE_PROOF: _l("Proof of residence"),
    DocumentKind.REASON_STATEMENT: _l("Statement of the reason"),
    DocumentKind.FAMILY_PROOF: _l("Proof of family ties"),
    DocumentKind.OTHER: _l("Other document"),
}

EVENT_KIND_LABELS = {
    EventKind.SUBMITTED: _l("Application submitted"),
    EventKind.INFO_REQUESTED: _l("Information requested"),
    EventKind.INFO_ANSWERED: _l("Applicant answered"),
    EventKind.APPROVED: _l("Approved"),
    EventKind.REFUSED: _l("Refused"),
    EventKind.RECONSIDERATION_REQUESTED: _l("Reconsideration asked"),
    EventKind.UPHELD: _l("Refusal upheld"),
    EventKind.OVERTURNED: _l("Refusal overturned"),
    EventKind.ALERT_CLEARED: _l("Alert-list hit cleared"),
    EventKind.FEE_RECORDED: _l("Fee recorded"),
    EventKind.WITHDRAWN: _l("Withdrawn"),
}

FEE_STATUS_LABELS = {
    FeeStatus.DUE: _l("Due"),
    FeeStatus.PAID: _l("Paid"),
    FeeStatus.WAIVED: _l("Waived"),
}

SEX_LABELS = {Sex.FEMALE: _l("Female"), Sex.MALE: _l("Male"), Sex.UNSPECIFIED: _l("Unspecified")}

TRAVEL_DOCUMENT_TYPE_LABELS = {
    TravelDocumentType.PASSPORT: _l("Passport"),
    TravelDocumentType.ID_CARD: _l("Identity card"),
    TravelDocumentType.OTHER: _l("Other travel document"),
}

CHECK_LABELS = {
    "resident_of_partner": _l("Resident of the partner state"),
    "border_area": _l("Border area"),
    "nationality": _l("Nationality"),
    "residence": _l("Residence"),
    "travel_document": _l("Travel document"),
    "other_permit": _l("Other permits"),
    "alert_list": _l("Alert list"),
    "fee": _l("Fee"),
}

# the queue's status filter: "" is every open status, "all" every status
OPEN = ""
ALL = "all"


class QueueFilterForm(BaseForm):
    """The filters above the queue; sent with GET, so without a CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Reference, document number or surname"), validators=[Optional(), Length(max=100)])
    status = SelectField(
        _l("Status"),
        choices=lambda: [
            (OPEN, _l("Open (waiting for a decision)")),
            *((status.value, label) for status, label in APPLICATION_STATUS_LABELS.items()),
            (ALL, _l("All")),
        ],
        validators=[Optional()],
    )
    locality = SelectField(
        _l("Locality"), choices=lambda: [("", _l("All localities"))], validators=[Optional()]
    )
    reason = SelectField(
        _lp("purpose of travel", "Reason"),
        choices=lambda: [
            ("", _l("Any reason")),
            *((key.value, label) for key, label in CROSSING_REASON_LABELS.items()),
        ],
        validators=[Optional()],
    )
    overdue = BooleanField(_l("Overdue only"))
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])


class RequestInformationForm(BaseForm):
    message = TextAreaField(
        _l("What the applicant must send or explain"),
        validators=[DataRequired(), Length(max=MESSAGE_LENGTH)],
        description=_l("The applicant reads this message and answers on the application page."),
    )


class ApproveForm(BaseForm):
    valid_from = TypedDateField(_l("Valid from"), validators=[InputRequired()])
    valid_until = TypedDateField(_l("Valid until"), validators=[InputRequired()])
    fee_status = SelectField(
        _l("Fee"),
        choices=lambda: [
            ("", _l("Choose…")),
            (FeeStatus.PAID.value, _l("Paid")),
            (FeeStatus.WAIVED.value, _l("Waived (exempt)")),
        ],
        validators=[DataRequired(message=_l("Record whether the fee was paid or waived."))],
    )

    def validate_valid_until(self, field: Field) -> None:
        if field.data and self.valid_from.data and field.data <= self.valid_from.data:
            raise ValidationError(_l("The end date must come after the start date."))


class PaymentForm(BaseForm):
    receipt_number = StringField(
        _l("Receipt number"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("As printed on the bank's or the cashier's receipt."),
    )
    paid_on = TypedDateField(_l("Paid on"), validators=[InputRequired()])


class RefuseForm(BaseForm):
    # no DataRequired: it would mark every check box "required"; the service asks for at least one reason
    reasons = CheckboxesField(
        _l("Reasons for the refusal"),
        choices=lambda: [(key.value, label) for key, label in REFUSAL_REASON_LABELS.items()],
    )
    text = TextAreaField(
        _l("Explanation for the applicant"),
        id="refuse-text",
        validators=[DataRequired(), Length(max=MESSAGE_LENGTH)],
        description=_l("The applicant reads this with the reasons; say which condition is not met and why."),
    )


UPHOLD = "uphold"
OVERTURN = "overturn"


class ReconsiderationForm(BaseForm):
    decision = RadioField(
        _l("Decision on the reconsideration"),
        choices=lambda: [
            (UPHOLD, _l("Uphold the refusal (final)")),
            (OVERTURN, _l("Overturn the refusal (the application returns to the queue for the permit)")),
        ],
        validators=[InputRequired(message=_l("Choose whether to uphold or overturn the refusal."))],
    )
    text = TextAreaField(
        _l("Reasons for the decision"),
        id="reconsider-text",
        validators=[DataRequired(), Length(max=MESSAGE_LENGTH)],
        description=_l("The applicant reads these reasons."),
    )
