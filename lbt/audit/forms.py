from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from lbt.forms import BaseForm


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Actor"), validators=[Optional()])
    action = SelectField(
        _l("Action"),
        choices=[("", _l("Any")), ("create", _l("Created")), ("update", _l("Changed")), ("delete", _l("Deleted"))],
        validators=[Optional()],
    )
    entity_type = SelectField(_l("Record type"), choices=[("", _l("Any"))], validators=[Optional()])
    entity_id = StringField(_l("Record id"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
    before = IntegerField(validators=[Optional(), NumberRange(min=1)])
