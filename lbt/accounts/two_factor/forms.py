"""Forms of two-factor login: a code (the login's second step, new recovery codes, turning it off),
the first code that confirms enrolment, a security key's answer (and its name when it is added), and
the roles that must use it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from lbt.accounts.forms import role_choices
from lbt.accounts.two_factor.security_keys import MAX_ANSWER_LENGTH, MAX_NAME_LENGTH
from lbt.accounts.two_factor.totp import MAX_CODE_LENGTH
from lbt.web.forms import BaseForm, CheckboxesField


class CodeForm(BaseForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=MAX_CODE_LENGTH)],
        description=_l("The six digits your authenticator app shows now, or one of your recovery codes."),
    )


class EnrolForm(BaseForm):
    code = StringField(
        _l("Code from the app"),
        validators=[
            DataRequired(),
            Length(max=MAX_CODE_LENGTH),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("Type the six digits the app shows.")),
        ],
        description=_l("After adding the account, type the six digits the app shows for it."),
    )


class KeyAnswerForm(BaseForm):
    """The browser's answer from a security key, put here as JSON by static/js/security-keys.js."""

    credential = HiddenField(validators=[Length(max=MAX_ANSWER_LENGTH)])


class AddKeyForm(KeyAnswerForm):
    name = StringField(
        _l("Name of the key"),
        validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)],
        description=_l("So you can tell your keys apart, for example “Blue key on my key ring”."),
    )


class RequiredRolesForm(BaseForm):
    roles = CheckboxesField(
        _l("Roles that must log in with a code"),
        choices=role_choices,
        validate_choice=True,
        description=_l(
            "Users of a checked role who have not set up two-factor login yet are asked to at their "
            "next login, and their open logins end now."
        ),
    )
