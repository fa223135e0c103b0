"""The form an officer decides a held crossing with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length

from lbt.crossings.models import ReviewDecision
from lbt.crossings.review import NOTE_LENGTH
from lbt.web.forms import BaseForm


class ReviewForm(BaseForm):
    # the value of the button pressed: accept or reject
    decision = StringField(
        validators=[
            InputRequired(message=_l("Accept or reject the crossing.")),
            AnyOf(
                [decision.value for decision in ReviewDecision], message=_l("Accept or reject the crossing.")
            ),
        ]
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=NOTE_LENGTH)],
        description=_l("Why you accept or reject it (needed to reject); kept in the audit log."),
    )
