"""Forms of the permit pages, and the names of permit statuses and changes as people read them."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lbt.permits.models import WITHDRAWN_STATUSES, Permit, PermitStatus
from lbt.web.dates import TypedDateField
from lbt.web.forms import BaseForm

REASON_LENGTH = 4000

PERMIT_STATUS_LABELS = {
    PermitStatus.ACTIVE: _lp("permit status", "Active"),
    PermitStatus.SUSPENDED: _l("Suspended"),
    PermitStatus.REVOKED: _l("Revoked"),
    PermitStatus.ANNULLED: _l("Annulled"),
    PermitStatus.REPLACED: _l("Replaced"),
    PermitStatus.EXPIRED: _l("Expired"),
}

SUSPEND, REINSTATE, REVOKE, ANNUL, REPLACE = "suspend", "reinstate", "revoke", "annul", "replace"

CHANGE_LABELS = {
    SUSPEND: _l("Suspend: not valid until reinstated"),
    REINSTATE: _l("Reinstate: valid again"),
    REVOKE: _l("Revoke: void from now on (misuse)"),
    ANNUL: _l("Annul: void from the date of issue (e.g. obtained by fraud)"),
    REPLACE: _l("Replace a lost or damaged card: a new number, this one marked replaced"),
}


def change_choices(permit: Permit, today: date) -> list[tuple[str, str]]:
    """The changes the permit's stored status allows (the services check the same rules)."""
    if permit.status in WITHDRAWN_STATUSES:
        return []
    changes = [SUSPEND] if permit.status is PermitStatus.ACTIVE else [REINSTATE]
    changes += [REVOKE, ANNUL]
    if today < permit.valid_until:
        changes.append(REPLACE)
    return [(change, str(CHANGE_LABELS[change])) for change in changes]


class PermitFilterForm(BaseForm):
    """The filters above the permit list; sent with GET, so without a CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Permit number, document number or surname"), validators=[Optional(), Length(max=100)])
    status = SelectField(
        _l("Status"),
        choices=lambda: [
            ("", _l("Any status")),
            *((status.value, label) for status, label in PERMIT_STATUS_LABELS.items()),
        ],
        validators=[Optional()],
    )
    to_print = BooleanField(_l("Card not printed yet"))
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])


class PermitChangeForm(BaseForm):
    change = RadioField(
        _l("Change"),
        choices=lambda: [],  # the view offers what the permit's status allows (change_choices)
        validators=[InputRequired(message=_l("Choose the change to make."))],
    )
    reason = TextAreaField(
        _lp("grounds for a decision", "Reason"),
        validators=[DataRequired(), Length(max=REASON_LENGTH)],
        description=_l("Recorded with the permit and in the audit log."),
    )


class PrintBatchForm(BaseForm):
    """A print batch of the officer's permits: those issued since a day and/or whose card was never
    printed (the worker draws the PDF)."""

    since = TypedDateField(_l("Issued on or after"), validators=[Optional()])
    unprinted = BooleanField(_l("Only cards not printed yet"), default=True)

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.since.data is None and not self.unprinted.data:
            self.since.errors = [_l("Give a day, or print only the cards not printed yet.")]
            return False
        return True
