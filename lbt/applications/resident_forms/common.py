"""What the resident forms share: the supporting-document rows, the input hints for codes, and the error
summary that links to the fields."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import FieldList, Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from lbt.applications.models import DocumentKind
from lbt.web.forms import BaseForm
from lbt.web.i18n import FORM_TRANSLATIONS

DOCUMENT_KIND_LABELS = {
    DocumentKind.PHOTO: _l("Photo"),
    DocumentKind.TRAVEL_DOCUMENT: _l("Travel document (page with your photo)"),
    DocumentKind.RESIDENCE_PROOF: _l("Proof of residence"),
    DocumentKind.REASON_STATEMENT: _l("Proof of your reason for crossing"),
    DocumentKind.FAMILY_PROOF: _l("Proof of the family relationship"),
    DocumentKind.OTHER: _l("Other document"),
}
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
