"""The base form of every form: CSRF (Flask-WTF) and WTForms' messages in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from lbt.core.errors import N_, ValidationFailed
from lbt.web.i18n import FORM_TRANSLATIONS, translate_error


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural message pair for translation."""
    return singular, plural


# WTForms' own messages, listed here so that extraction puts them in our catalogs
WTFORMS_MESSAGES = (
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Not a valid choice."),
    N_("Not a valid date value."),
    N_("Not a valid datetime value."),
    N_("Not a valid time value."),
    N_("Not a valid decimal value."),
    N_("Not a valid integer value."),
    N_("Not a valid float value."),
    N_("Invalid Choice: could not coerce."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("Field must be equal to %(other_name)s."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("The CSRF token is missing."),
    N_("The CSRF token is invalid."),
    N_("The CSRF token has expired."),
    N_("The CSRF tokens do not match."),
    Nn_("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long."),
    Nn_("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."),
    Nn_("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long."),
    Nn_(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
    ),
)


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes: easier than a multi-select on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BaseForm(FlaskForm):
    class Meta:
        def get_translations(self, form: Any) -> Any:
            return FORM_TRANSLATIONS

    def show_error(self, error: ValidationFailed) -> None:
        """Put a service's refusal beside the field it concerns (or above the form)."""
        field = getattr(self, error.field, None) if error.field else None
        message = translate_error(error)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            self.form_errors.append(message)


class ActionForm(BaseForm):
    """An empty form for POST-only buttons: it carries the CSRF token and nothing else."""
