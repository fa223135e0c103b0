"""The user's own two-factor page: set it up (QR code and the secret to type in, confirmed by a
first code), add, list and remove security keys (``keys.py``), see how many recovery codes are left,
make new ones, turn it off where the role allows. Codes typed here are counted and locked like those
of the login's second step."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from lbt.accounts.models import User
from lbt.accounts.two_factor import policy, services
from lbt.accounts.two_factor.forms import AddKeyForm, CodeForm, EnrolForm
from lbt.accounts.two_factor.services import CodesLocked, CodeUsed, WrongCode
from lbt.accounts.two_factor.views import bp, keys, pending
from lbt.core.errors import DomainError
from lbt.web.actions import show_refusal
from lbt.web.i18n import translate_error
from lbt.web.security import any_user
from lbt.web.state import get_session, now

T = TypeVar("T")
RENEW, OFF = "renew", "off"  # the prefixes of the page's two code forms


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _status_page(
    prefix: str | None = None, failed: CodeForm | None = None, key_form: AddKeyForm | None = None
) -> tuple[str, int]:
    me, session = _me(), get_session()
    forms = {name: CodeForm(formdata=None, prefix=name) for name in (RENEW, OFF)}
    if prefix is not None and failed is not None:
        forms[prefix] = failed
    page = render_template(
        "accounts/two_factor/account.html",
        status=services.status(session, me),
        required=policy.is_required(session, me.role),
        renew_form=forms[RENEW],
        off_form=forms[OFF],
        **keys.page_context(me, key_form),
    )
    session.commit()  # the key box's new challenge
    return page, 400 if failed is not None or key_form is not None else 200


def _enrol_page(
    form: EnrolForm, secret: str, *, action: str, status: int = 200, key_form: AddKeyForm | None = None
) -> tuple[str, int]:
    """The app's setup; on the user's own page with the key section below it (a key may come first)."""
    me, session = _me(), get_session()
    extra = keys.page_context(me, key_form) if action == url_for("two_factor.account") else {}
    page = pending.enrol_page(me, form, secret, action=action, status=status, **extra)
    session.commit()  # the key box's new challenge
    return page


def page_with_key_form(key_form: AddKeyForm) -> tuple[str, int]:
    """The account page again, with a refused key form (its errors shown)."""
    me = _me()
    if services.has_factor(get_session(), me):
        return _status_page(key_form=key_form)
    secret = pending.setup_secret(me, fresh=False) or pending.setup_secret(me, fresh=True) or ""
    action = url_for("two_factor.account")
    return _enrol_page(EnrolForm(formdata=None), secret, action=action, status=400, key_form=key_form)


def _set_up_app(action: str) -> Response | tuple[str, int]:
    """Show a new secret (GET), or keep the one shown on the app's first right code (POST)."""
    session, me = get_session(), _me()
    form = EnrolForm()
    if request.method == "GET":
        return _enrol_page(form, pending.setup_secret(me, fresh=True) or "", action=action)
    secret = pending.setup_secret(me, fresh=False)
    if secret is None:
        return redirect(action)
    if not form.validate_on_submit():
        return _enrol_page(form, secret, action=action, status=400)
    try:
        codes = services.enrol(session, me, secret, form.code.data or "", now=now())
    except DomainError as error:
        session.rollback()
        show_refusal(form, error)
        return _enrol_page(form, secret, action=action, status=400)
    session.commit()
    pending.forget_setup()
    flash(
        _("Two-factor login is on. From now on you log in with your password and a code of your app."),
        "success",
    )
    if not codes:  # a key came first: its recovery codes stay
        return redirect(url_for("two_factor.account"))
    return pending.codes_page(codes, url_for("two_factor.account"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@any_user
def account() -> Response | tuple[str, int]:
    """The status and the keys once a second factor is on; else its setup (the app, or a key)."""
    if services.has_factor(get_session(), _me()):
        if request.method == "POST":  # on meanwhile (another tab): show what is on
            return redirect(url_for("two_factor.account"))
        return _status_page()
    return _set_up_app(url_for("two_factor.account"))


@bp.route("/account/two-factor/app", methods=["GET", "POST"])
@any_user
def app() -> Response | tuple[str, int]:
    """Set up the authenticator app beside the security keys a user has already."""
    if services.secret_of(get_session(), _me()) is not None:
        return redirect(url_for("two_factor.account"))
    return _set_up_app(url_for("two_factor.app"))


def _with_code(prefix: str, action: Callable[[User, str], T]) -> T | Response | tuple[str, int]:
    """Validate the code form, run ``action``; a wrong code is shown beside the field (its count kept),
    too many lock codes for a while."""
    form = CodeForm(prefix=prefix)
    if not form.validate_on_submit():
        return _status_page(prefix, form)
    session = get_session()
    try:
        result = action(_me(), form.code.data or "")
    except (WrongCode, CodeUsed) as error:
        session.commit()  # keep the count of wrong codes
        show_refusal(form, error)
        return _status_page(prefix, form)
    except CodesLocked as error:
        session.commit()
        flash(translate_error(error), "error")
        return redirect(url_for("two_factor.account"))
    except DomainError as error:
        session.rollback()
        flash(translate_error(error), "error")
        return redirect(url_for("two_factor.account"))
    session.commit()
    return result


@bp.post("/account/two-factor/recovery-codes")
@any_user
def renew_codes() -> Response | tuple[str, int] | str:
    """New recovery codes on a code of the app (the old ones stop working)."""

    def renew(me: User, code: str) -> list[str]:
        return services.new_recovery_codes(get_session(), me, code, attempt=pending.attempt(me), now=now())

    codes = _with_code(RENEW, renew)
    if not isinstance(codes, list):
        return codes
    flash(_("New recovery codes were made: the old ones no longer work."), "success")
    return pending.codes_page(codes, url_for("two_factor.account"))


@bp.post("/account/two-factor/off")
@any_user
def turn_off() -> Response | tuple[str, int]:
    """Only where the role allows logging in with the password alone, and on a code of the app."""

    def off(me: User, code: str) -> bool:
        policy.turn_off(get_session(), me, code, attempt=pending.attempt(me), now=now())
        return True

    done = _with_code(OFF, off)
    if done is not True:
        return done  # type: ignore[return-value]
    flash(_("Two-factor login is off: you log in with your password alone."), "success")
    return redirect(url_for("two_factor.account"))
