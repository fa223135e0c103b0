"""The login's second step, reached only with the right password (``pending``): a code of the user's
app, one of their security keys or a recovery code, throttled and locked like the password; or, for
a user whose role needs two factors and who has none, setting it up before anything else. Only then
does the login start."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from lbt.accounts import logins, sessions
from lbt.accounts.models import User
from lbt.accounts.two_factor import security_keys, services
from lbt.accounts.two_factor.forms import AddKeyForm, CodeForm, EnrolForm, KeyAnswerForm
from lbt.accounts.two_factor.services import CodesLocked, CodeUsed, Proof, Step, WrongCode
from lbt.accounts.two_factor.views import bp, keys, pending
from lbt.accounts.views import known_browser, login_throttles, remember_browser
from lbt.core.errors import DomainError
from lbt.web.actions import show_refusal
from lbt.web.i18n import translate_error
from lbt.web.security import public
from lbt.web.state import get_session, now


def _pending_user() -> User | None:
    found = pending.pending(Step.CODE)
    return found[0] if found else None


def _browser_knows_the_pending_user() -> bool:
    """As at the password: a browser the account logged in from is spared the throttles (its own
    lock on wrong codes still holds), so an attacker's guesses elsewhere cannot keep the user out."""
    user, browser = _pending_user(), known_browser()
    return user is not None and browser is not None and browser.knows(user.username)


def _pending_account_key() -> str:
    user = _pending_user()
    return "two-factor:" + (logins.account_digest(user.username) if user else "-")


def _user_agent() -> str:
    return request.headers.get("User-Agent", "")


def _code_page(
    user: User, form: CodeForm, status: int = 200, key_form: KeyAnswerForm | None = None
) -> tuple[str, int]:
    """The second step's page: the code field, and the key button for a user who has keys (a new
    challenge each time it is drawn)."""
    page = render_template(
        "accounts/two_factor/code.html",
        form=form,
        has_app=services.secret_of(get_session(), user) is not None,
        key_box=keys.login_box(user),
        key_form=key_form or KeyAnswerForm(formdata=None),
    )
    get_session().commit()
    return page, 400 if status == 200 and form.errors else status


def _logged_in(user: User, target: str | None, checked: services.Checked | None = None) -> Response:
    """The second factor was right: the login starts."""
    session = get_session()
    sessions.start_session(session, user, user_agent=_user_agent(), now=now())
    session.commit()
    pending.clear()
    if checked is not None and checked.proof is Proof.RECOVERY:
        flash(
            ngettext(
                "You logged in with a recovery code: %(num)d is left. Make new ones on your two-factor page.",
                "You logged in with a recovery code: %(num)d are left. Make new ones on your two-factor page.",
                checked.recovery_codes_left,
            ),
            "warning",
        )
    login_user(user)
    return remember_browser(redirect(target or url_for("home.index")), user)


@bp.route("/login/two-factor", methods=["GET", "POST"])
@public
@login_throttles(_pending_account_key, _browser_knows_the_pending_user)
def code() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    found = pending.pending(Step.CODE)
    if found is None:
        return pending.expired()
    user, target = found
    form = CodeForm()
    if not form.validate_on_submit():
        return _code_page(user, form)
    session = get_session()
    try:
        checked = services.check_counted_code(
            session, user, form.code.data or "", attempt=pending.attempt(user), now=now()
        )
    except CodesLocked as error:
        session.commit()  # keep the count and the lock
        pending.clear()
        flash(translate_error(error), "error")
        return redirect(url_for("accounts.login"))
    except (WrongCode, CodeUsed) as error:
        session.commit()  # keep the failure count
        show_refusal(form, error)
        return _code_page(user, form, 401)
    return _logged_in(user, target, checked)


@bp.post("/login/two-factor/key")
@public
@login_throttles(_pending_account_key, _browser_knows_the_pending_user)
def key() -> Response | tuple[str, int]:
    """The second step with a security key: the browser's answer to the code page's options."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    found = pending.pending(Step.CODE)
    if found is None:
        return pending.expired()
    user, target = found
    form, rp, session = KeyAnswerForm(), keys.relying_party(), get_session()
    if rp is None or not form.validate_on_submit():
        form.form_errors.append(translate_error(security_keys.BadAnswer()))
        return _code_page(user, CodeForm(formdata=None), 400, form)
    answer = form.credential.data or ""
    try:
        security_keys.authenticate_counted(
            session, user, rp, answer, attempt=pending.attempt(user), now=now()
        )
    except CodesLocked as error:
        session.commit()  # keep the count and the lock
        pending.clear()
        flash(translate_error(error), "error")
        return redirect(url_for("accounts.login"))
    except security_keys.KeyRefused as error:
        session.commit()  # keep the failure count; the challenge stays used
        show_refusal(form, error)
        return _code_page(user, CodeForm(formdata=None), 401, form)
    except security_keys.BadAnswer as error:
        session.rollback()
        show_refusal(form, error)
        return _code_page(user, CodeForm(formdata=None), 400, form)
    return _logged_in(user, target)


@bp.route("/login/two-factor/enrol", methods=["GET", "POST"])
@public
def enrol_at_login() -> Response | tuple[str, int]:
    """A user whose role needs two factors sets them up right after the password; the login starts
    only when the app's first code is right."""
    if current_user.is_authenticated:
        return redirect(url_for("two_factor.account"))
    found = _pending_enrolment()
    if found is None:
        return pending.expired()
    user, target = found
    form = EnrolForm()
    action = url_for("two_factor.enrol_at_login")
    if request.method == "GET":
        secret = pending.setup_secret(user, fresh=True)
        return _enrol_page(user, form, secret or "")
    secret = pending.setup_secret(user, fresh=False)
    if secret is None:
        return redirect(action)  # the page was not opened in this browser: show a secret first
    if not form.validate_on_submit():
        return _enrol_page(user, form, secret, status=400)
    session = get_session()
    try:
        codes = services.enrol(session, user, secret, form.code.data or "", now=now())
    except WrongCode as error:
        session.rollback()
        show_refusal(form, error)
        return _enrol_page(user, form, secret, status=400)
    return _enrolled(user, target, codes)


@bp.post("/login/two-factor/enrol/key")
@public
def enrol_key_at_login() -> Response | tuple[str, int]:
    """The same setup with a security key instead of the app (its answer to the enrolment page's
    options, under the name the user gave it); the login starts once the key is kept."""
    if current_user.is_authenticated:
        return redirect(url_for("two_factor.account"))
    found = _pending_enrolment()
    if found is None:
        return pending.expired()
    user, target = found
    form, session, rp = AddKeyForm(), get_session(), keys.relying_party()
    secret = pending.setup_secret(user, fresh=False) or pending.setup_secret(user, fresh=True) or ""
    if rp is None:
        return _enrol_page(user, EnrolForm(formdata=None), secret, status=400, key_form=form)
    if not form.validate_on_submit():
        return _enrol_page(user, EnrolForm(formdata=None), secret, status=400, key_form=form)
    try:
        codes = security_keys.register(
            session, user, rp, form.credential.data or "", form.name.data or "", now=now()
        )
    except DomainError as error:
        session.rollback()
        show_refusal(form, error)
        return _enrol_page(user, EnrolForm(formdata=None), secret, status=400, key_form=form)
    pending.forget_setup()
    return _enrolled(user, target, codes)


def _pending_enrolment() -> tuple[User, str | None] | None:
    """The half login that must set up a second factor, while the user still has none: one set up
    since the password step (in another browser) is proved at the code step, never replaced here."""
    found = pending.pending(Step.ENROL)
    if found is not None and services.has_factor(get_session(), found[0]):
        pending.clear()
        return None
    return found


def _enrol_page(
    user: User, form: EnrolForm, secret: str, *, status: int = 200, key_form: AddKeyForm | None = None
) -> tuple[str, int]:
    """The setup page of the login: the app's secret and, below it, a security key instead."""
    page = pending.enrol_page(
        user,
        form,
        secret,
        action=url_for("two_factor.enrol_at_login"),
        status=status,
        key_box=keys.register_box(user),
        key_form=key_form or AddKeyForm(formdata=None),
        key_action=url_for("two_factor.enrol_key_at_login"),
        security_keys=[],
    )
    get_session().commit()  # the key box's new challenge
    return page


def _enrolled(user: User, target: str | None, codes: list[str]) -> Response:
    """The second factor is set up: the login starts, and the recovery codes are shown this once."""
    session = get_session()
    sessions.start_session(session, user, user_agent=_user_agent(), now=now())
    session.commit()
    pending.clear()
    login_user(user)
    page = make_response(pending.codes_page(codes, target or url_for("home.index")))
    return remember_browser(page, user)
