"""The reports' filters (a GET form: every filtered view is a link) and the six-monthly report's form."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from lbt.web.dates import TypedDateField
from lbt.web.forms import BaseForm


def _id_or_none(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(_("Not a valid choice.")) from None


class ReportFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET form: the filtered page is a permalink

    since = TypedDateField(_l("From"), validators=[Optional()])
    until = TypedDateField(_l("Until"), validators=[Optional()])
    agreement = SelectField(_l("Agreement"), coerce=_id_or_none, validators=[Optional()])
    crossing_point = SelectField(_l("Crossing point"), coerce=_id_or_none, validators=[Optional()])
    locality = SelectField(_l("Locality"), coerce=_id_or_none, validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()])
    section = SelectField(_l("Border section"), coerce=_id_or_none, validators=[Optional()])

    def validate_until(self, field: Field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_("The end date is before the start date."))


class SixMonthlyForm(BaseForm):
    agreement = SelectField(_l("Agreement"), coerce=_id_or_none, validators=[DataRequired()])
    half = StringField(
        _l("Half-year"),
        validators=[
            DataRequired(),
            Regexp(r"^\d{4}-[12]$", message=_l("Give the half-year as YYYY-1 or YYYY-2, e.g. 2026-1.")),
        ],
        description=_l("YYYY-1 is January to June, YYYY-2 July to December."),
    )
    correction = TextAreaField(
        _l("Why it is corrected (only for a half already reported)"),
        validators=[Optional(), Length(max=2000)],
    )
