"""The filters of the auditor's page."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, Regexp, ValidationError

from lbt.web.dates import TypedDateField
from lbt.web.forms import BaseForm

# NUL and other control characters cannot be in a stored name; PostgreSQL refuses NUL outright
NO_CONTROL_CHARACTERS = Regexp(r"^[^\x00-\x1f\x7f]*$", message=_l("Remove the control characters."))


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Actor"), validators=[Optional(), Length(max=120), NO_CONTROL_CHARACTERS])
    # choices as callables: WTForms 3.3 deprecates a literal list of tuples (a warning, an error in tests)
    action = SelectField(
        _l("Action"),
        choices=lambda: [
            ("", _l("Any")),
            ("create", _l("Created")),
            ("update", _l("Changed")),
            ("delete", _l("Deleted")),
        ],
        validators=[Optional()],
    )
    entity_type = SelectField(_l("Record type"), choices=lambda: [("", _l("Any"))], validators=[Optional()])
    entity_id = StringField(_l("Record id"), validators=[Optional(), Length(max=60), NO_CONTROL_CHARACTERS])
    since = TypedDateField(_l("From"), validators=[Optional()])
    until = TypedDateField(_l("Until"), validators=[Optional()])
    # the keyset page marker (an entry id), capped at the largest id the database can hold
    before = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=2**63 - 1)])

    def validate_until(self, field: Field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_("The end date is before the start date."))
