"""Forms of the alert-list pages. They check shape only; what makes an entry valid is the service's job."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lbt.web.dates import TypedDateField
from lbt.web.forms import BaseForm

TEXT_LENGTH = 4000

ALERT_STATE_LABELS = {
    "active": _l("In force"),
    "expired": _l("Ended"),
    "lifted": _l("Lifted"),
}


class AlertFilterForm(BaseForm):
    """The filters above the alert list; sent with GET, so without a CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Surname or travel document number"), validators=[Optional(), Length(max=100)])
    lifted = BooleanField(_l("Include lifted alerts"))
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])


class AlertForm(BaseForm):
    surname = StringField(
        _l("Surname"),
        validators=[Optional(), Length(max=100)],
        description=_l("In Latin or Cyrillic letters; give a surname, a travel document number, or both."),
    )
    given_names = StringField(_l("Given names"), validators=[Optional(), Length(max=100)])
    birth_date = TypedDateField(
        _l("Date of birth"),
        validators=[Optional()],
        description=_l("Leave empty when unknown: then the name alone matches."),
    )
    document_number = StringField(_l("Travel document number"), validators=[Optional(), Length(max=30)])
    reason = TextAreaField(
        _lp("grounds for a decision", "Reason"),
        validators=[DataRequired(), Length(max=TEXT_LENGTH)],
        description=_l("For example the decision behind the entry ban and its number."),
    )
    valid_until = TypedDateField(
        _l("Until"), validators=[Optional()], description=_l("Leave empty: until lifted.")
    )


class ClearHitForm(BaseForm):
    reason = TextAreaField(
        _l("Why the hit can be cleared"),
        validators=[DataRequired(), Length(max=TEXT_LENGTH)],
        description=_l("For example: a namesake, with a different date of birth or father's name."),
    )
