"""Forms of the accounts area: login, own password, and the administrator's user pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp
from wtforms.validators import Email as EmailValidator

from lbt.accounts.models import Role
from lbt.accounts.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from lbt.web.forms import BaseForm, CheckboxesField
from lbt.web.i18n import LOCALE_NAMES


def role_choices() -> list[tuple[str, str]]:
    from lbt.web.labels import ROLE_LABELS

    return [(role.value, str(ROLE_LABELS[role])) for role in Role]


class LoginForm(BaseForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField(
            _l("New password"),
            validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
            description=_l(
                "At least %(count)d characters. A few unrelated words make a good password.",
                count=MIN_PASSWORD_LENGTH,
            ),
        ),
        PasswordField(
            _l("Repeat the new password"),
            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        ),
    )


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password, confirm = _new_password_fields()


class SetPasswordForm(BaseForm):
    password, confirm = _new_password_fields()


class UserForm(BaseForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(min=3, max=60),
            Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use Latin letters, digits, dot, dash or underscore.")),
        ],
    )
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    email = EmailField(
        _l("Email"), validators=[Optional(), EmailValidator(check_deliverability=False), Length(max=254)]
    )
    role = SelectField(_l("Role"), choices=role_choices, validators=[DataRequired()])
    locale = SelectField(
        _l("Language"),
        # a callable: WTForms 3.3 deprecates a literal list of tuples
        choices=lambda: [("", _l("As the browser asks")), *LOCALE_NAMES.items()],
        validators=[Optional()],
    )
    agreements = CheckboxesField(_l("Agreements (officers, supervisors)"), choices=[], validate_choice=True)
    crossing_points = CheckboxesField(_l("Crossing points (border guards)"), choices=[], validate_choice=True)
    state = SelectField(_l("State (representatives)"), choices=[], validators=[Optional()])
    border_sections = CheckboxesField(
        _l("Border sections (representatives)"), choices=[], validate_choice=True
    )


class NewUserForm(UserForm):
    password, confirm = _new_password_fields()


class UserFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Role"), choices=lambda: [("", _l("All roles")), *role_choices()], validators=[Optional()]
    )
