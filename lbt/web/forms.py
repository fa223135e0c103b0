"""The base form of every form: CSRF (Flask-WTF), WTForms' messages in the reader's language, and
the checks every field gets before its own: no control characters in what was sent (a NUL byte
cannot be stored on PostgreSQL and has no business in any text), and dates within sensible years."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from wtforms import Field, FieldList, FormField, SelectMultipleField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from lbt.core.errors import N_, Nn_, ValidationFailed
from lbt.web.i18n import FORM_TRANSLATIONS, translate_error

# C0 control characters and DEL, except tab, line feed and carriage return (text areas send CR LF)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100  # births, documents, permits, agreements all fall inside


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


def _parts(field: Field) -> Iterator[Field]:
    """The field itself, or the fields inside a list of fields or a sub-form."""
    if isinstance(field, (FieldList, FormField)):
        for part in field:
            yield from _parts(part)
    else:
        yield field


def _sent_text(field: Field) -> Iterator[str]:
    for part in _parts(field):
        for value in getattr(part, "raw_data", None) or ():
            if isinstance(value, FileStorage):
                yield value.filename or ""
            elif isinstance(value, str):
                yield value


def refuse_control_characters(form: Any, field: Field) -> None:
    """Runs before the field's own checks, so nothing (a lookup, a service) ever sees such a value."""
    if any(CONTROL_CHARACTERS.search(value) for value in _sent_text(field)):
        raise StopValidation(_l("Remove the control characters."))


def keep_dates_in_range(form: Any, field: Field) -> None:
    for part in _parts(field):
        if isinstance(part.data, date) and not EARLIEST_YEAR <= part.data.year <= LATEST_YEAR:
            raise StopValidation(
                _l(
                    "Enter a date between the years %(earliest)d and %(latest)d.",
                    earliest=EARLIEST_YEAR,
                    latest=LATEST_YEAR,
                )
            )


SHARED_VALIDATORS = (refuse_control_characters, keep_dates_in_range)


def _has_placeholder(field: Any) -> bool:
    """Whether a select's first option is an empty placeholder (value "")."""
    for choice in field.iter_choices():
        return choice[0] in ("", None)
    return True


class BaseForm(FlaskForm):
    class Meta:
        def get_translations(self, form: Any) -> Any:
            return FORM_TRANSLATIONS

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            """Our forms are HTML forms: a JSON body is not read as one. (Flask-WTF would, and a JSON
            list fails outright, while numbers and lists in fields break the fields' own checks.)"""
            if formdata is _Auto and request.is_json:
                return ImmutableMultiDict()
            return super().wrap_formdata(form, formdata)  # type: ignore[misc]

        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
            """Every field of every form gets the shared checks first (a new list: the class's own
            validators are shared by all instances)."""
            field: Field = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
            field.validators = [*SHARED_VALIDATORS, *field.validators]
            return field

        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Any:
            """Valid HTML on pages with many forms: the CSRF token has no ``id`` (a page with two
            forms would repeat it), and a select that always has a choice (its first option is not
            an empty placeholder) is not marked ``required``, which HTML allows only with one."""
            if field.type == "CSRFTokenField":
                render_kw = {"id": False, **render_kw}
            elif field.type in ("SelectField", "QuerySelectField") and not _has_placeholder(field):
                render_kw = {"required": False, **render_kw}
            return super().render_field(field, render_kw)  # type: ignore[misc]

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
