"""The forms of the status pages: opening an application with its reference and access code, answering a
request for information, asking for reconsideration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lbt.applications.resident_forms.common import CODE_INPUT, DocumentEntry
from lbt.web.forms import BaseForm

MAX_ANSWER_DOCUMENTS = 3


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
