"""The administrator's forms: link an agreement to the partner's instance, send a link's traffic to the
partner's new address, stop or restart a link's traffic."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from lbt.exchange.links import MAX_URL
from lbt.web.forms import ActionForm, BaseForm

MAX_KEY_FILE = 64 * 1024


class LinkForm(BaseForm):
    agreement = SelectField(_l("Agreement"), validators=[DataRequired()], choices=[])
    partner_url = StringField(
        _l("Partner's address"),
        validators=[DataRequired(), Length(max=MAX_URL)],
        description=_l("The partner instance's base address, e.g. https://lbt.partner.example."),
    )
    partner_key = FileField(
        _l("Partner's exchange key"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileSize(max_size=MAX_KEY_FILE, message=_l("The file is larger than %(size)d kB.", size=64)),
        ],
        description=_l("The file the partner made with `lbt exchange key` (a JWK Set with one public key)."),
    )


class AddressForm(BaseForm):
    """A link's new partner address (the pinned key stays: it changes only by a signed rotation)."""

    partner_url = StringField(
        _l("Partner's new address"),
        validators=[DataRequired(), Length(max=MAX_URL)],
        description=_l("Where the partner's instance answers now. The partner's key stays the one pinned."),
    )


class LinkStateForm(ActionForm):
    """The button that deactivates or reactivates a link (the CSRF token only)."""
