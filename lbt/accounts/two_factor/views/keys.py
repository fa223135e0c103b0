"""Security keys on the pages: what the key box of a page needs (the options for the browser, or why
keys cannot be used here), and the user's own adding and removing of keys on /account/two-factor.
The login's step with a key is in ``login.py``; the browser's side in static/js/security-keys.js."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from lbt.accounts.models import User
from lbt.accounts.two_factor import policy
from lbt.accounts.two_factor import security_keys as keys
from lbt.accounts.two_factor.forms import AddKeyForm
from lbt.accounts.two_factor.views import bp, pending
from lbt.core.errors import DomainError, NotFound
from lbt.web.actions import show_refusal
from lbt.web.forms import ActionForm
from lbt.web.i18n import translate_error
from lbt.web.security import any_user
from lbt.web.state import get_session, now, settings


@dataclass(frozen=True)
class KeyBox:
    """A page's security-key part: ``options`` (JSON for the script) or ``unavailable`` (why not)."""

    mode: str  # "register" or "authenticate", for the script
    options: str | None = None
    unavailable: str | None = None


def relying_party() -> keys.RelyingParty | None:
    return keys.relying_party(settings().public_url, pending.issuer())


def _not_here() -> str:
    return _(
        "Security keys work only where this site is reached by a domain name over HTTPS (or at "
        "localhost); it is set up at %(url)s. Use the codes of your app.",
        url=settings().public_url,
    )


def register_box(user: User) -> KeyBox:
    """Options for adding a key (a new challenge each time the page is drawn)."""
    rp = relying_party()
    if rp is None:
        return KeyBox(keys.REGISTER, unavailable=_not_here())
    return KeyBox(keys.REGISTER, options=keys.registration_options(get_session(), user, rp, now=now()))


def login_box(user: User) -> KeyBox | None:
    """Options for logging in with one of the user's keys; None when they have none."""
    if not keys.keys_of(get_session(), user):
        return None
    rp = relying_party()
    if rp is None:
        return KeyBox(keys.AUTHENTICATE, unavailable=_not_here())
    return KeyBox(keys.AUTHENTICATE, options=keys.authentication_options(get_session(), user, rp, now=now()))


def page_context(user: User, add_form: AddKeyForm | None = None) -> dict[str, object]:
    """What the account page's key section shows: the keys, the form to add one, removal buttons."""
    return {
        "security_keys": keys.keys_of(get_session(), user),
        "key_form": add_form or AddKeyForm(formdata=None),
        "key_box": register_box(user),
        "action_form": ActionForm(),
    }


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


@bp.post("/account/two-factor/keys")
@any_user
def add_key() -> Response | tuple[str, int]:
    """A key's answer to the options of the account page, under the name the user gave it."""
    from lbt.accounts.two_factor.views import account  # here: account imports this module

    me, session, form = _me(), get_session(), AddKeyForm()
    rp = relying_party()
    if rp is None:
        flash(_not_here(), "error")
        return redirect(url_for("two_factor.account"))
    if not form.validate_on_submit():
        return account.page_with_key_form(form)
    try:
        codes = keys.register(session, me, rp, form.credential.data or "", form.name.data or "", now=now())
    except DomainError as error:
        session.rollback()
        show_refusal(form, error)
        return account.page_with_key_form(form)
    session.commit()
    flash(_("The security key “%(name)s” was added.", name=keys.clean_name(form.name.data or "")), "success")
    if codes:
        return pending.codes_page(codes, url_for("two_factor.account")), 200
    return redirect(url_for("two_factor.account"))


@bp.post("/account/two-factor/keys/<int:key_id>/remove")
@any_user
def remove_key(key_id: int) -> Response:
    me, session = _me(), get_session()
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        removed = keys.remove_key(session, me, key_id, required=policy.is_required(session, me.role))
    except NotFound:
        session.rollback()
        abort(404)
    except DomainError as error:
        session.rollback()
        flash(translate_error(error), "error")
        return redirect(url_for("two_factor.account"))
    session.commit()
    flash(_("The security key “%(name)s” was removed.", name=removed.name), "success")
    return redirect(url_for("two_factor.account"))
