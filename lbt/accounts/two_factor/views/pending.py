"""The half-logged-in state between a right password and the second step, kept in the signed session
cookie for a few minutes. It names the user and what they must do next, and grants nothing else: the
request's user stays anonymous (``current_user``), so every page but the second step's refuses it.
Also the secret shown while someone sets up their app, kept in the same cookie until a code from the
app confirms it (only then is it stored)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from lbt.accounts.logins import client_key
from lbt.accounts.models import User
from lbt.accounts.two_factor import totp
from lbt.accounts.two_factor.services import Attempt, Step
from lbt.accounts.views import known_browser
from lbt.web.security import is_safe_next
from lbt.web.state import get_session, now, settings

PENDING_KEY = "lbt_2fa_pending"
SETUP_KEY = "lbt_2fa_setup"
PENDING_FOR = timedelta(minutes=5)


def begin(user: User, step: Step, target: str | None) -> Response:
    """The password was right: remember who, for what step, until when; go to that step."""
    cookie.pop(SETUP_KEY, None)
    cookie[PENDING_KEY] = {
        "u": user.id,
        "s": step.value,
        "t": int(now().timestamp()),
        "n": target if is_safe_next(target) else None,
    }
    return redirect(url_for("two_factor.code" if step is Step.CODE else "two_factor.enrol_at_login"))


def pending(step: Step) -> tuple[User, str | None] | None:
    """The user who gave the right password less than ``PENDING_FOR`` ago and must now do ``step``,
    with where to go after; None when there is none (or it expired, or the account was deactivated)."""
    found: Any = cookie.get(PENDING_KEY)
    if not isinstance(found, dict) or found.get("s") != step.value:
        return None
    user_id, started, target = found.get("u"), found.get("t"), found.get("n")
    if not isinstance(user_id, int) or not isinstance(started, int):
        return None
    if not 0 <= now().timestamp() - started <= PENDING_FOR.total_seconds():
        clear()
        return None
    user = get_session().get(User, user_id)
    if user is None or not user.is_active:
        clear()
        return None
    return user, target if isinstance(target, str) and is_safe_next(target) else None


def expired() -> Response:
    """No (or no longer a) half login: start again at the password."""
    flash(_("Log in again: the time for the second step ran out."), "error")
    return redirect(url_for("accounts.login"))


def clear() -> None:
    cookie.pop(PENDING_KEY, None)
    cookie.pop(SETUP_KEY, None)


def setup_secret(user: User, *, fresh: bool) -> str | None:
    """The secret being set up by ``user`` in this browser: a new one when ``fresh`` (each time the
    page is opened, so a secret someone else saw on this page is gone), else the one shown before."""
    if fresh:
        secret = totp.new_secret()
        cookie[SETUP_KEY] = {"u": user.id, "s": secret}
        return secret
    found: Any = cookie.get(SETUP_KEY)
    if isinstance(found, dict) and found.get("u") == user.id and isinstance(found.get("s"), str):
        return str(found["s"])
    return None


def forget_setup() -> None:
    cookie.pop(SETUP_KEY, None)


def issuer() -> str:
    """How the account is named in the app: the service and its state (two instances, two entries)."""
    return f"LBT {settings().home_state}"


def enrol_page(
    user: User, form: Any, secret: str, *, action: str, status: int = 200, **extra: Any
) -> tuple[str, int]:
    """The app's setup page; ``extra`` for its template (the key section on the user's own page)."""
    uri = totp.provisioning_uri(secret, user.username, issuer())
    return render_template(
        "accounts/two_factor/enrol.html",
        form=form,
        user=user,
        action=action,
        secret=totp.secret_for_display(secret),
        uri=uri,
        # our own markup: the path of the code's modules and an escaped title, nothing a user typed
        qr=Markup(totp.qr_svg(uri, _("QR code to add your account to an authenticator app"))),  # noqa: S704
        **extra,
    ), status


def codes_page(codes: list[str], target: str | None) -> str:
    """The recovery codes, shown this once (the page is sent with no-store, never cached)."""
    return render_template("accounts/two_factor/recovery_codes.html", codes=codes, target=target)


def attempt(user: User) -> Attempt:
    """This browser typing a code for ``user``: counted per client as wrong passwords are."""
    config = settings()
    return Attempt(
        client=client_key(request.remote_addr, known_browser(), user.username),
        max_failures=config.login_max_failures,
        lockout_minutes=config.login_lockout_minutes,
    )
