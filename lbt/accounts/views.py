"""Login, logout, own password; the administrator's user pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from lbt.accounts import logins, services, sessions
from lbt.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    NewUserForm,
    SetPasswordForm,
    UserFilterForm,
    UserForm,
)
from lbt.accounts.logins import KNOWN_BROWSER_MAX_AGE, KnownBrowser, client_key, normalise_username
from lbt.accounts.models import Role, SessionEnd, User
from lbt.accounts.two_factor import policy as two_factor_policy
from lbt.accounts.two_factor import services as two_factor
from lbt.accounts.two_factor.services import Step
from lbt.core.errors import N_, DomainError, ValidationFailed
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, State
from lbt.web.actions import run_action
from lbt.web.forms import ActionForm
from lbt.web.i18n import translate_error
from lbt.web.security import any_user, is_safe_next, public, roles
from lbt.web.state import form_page, get_session, limiter, now, settings

bp = Blueprint("accounts", __name__)
F = TypeVar("F", bound=Callable[..., Any])

# Wrong logins (401) counted by Flask-Limiter, in Redis in production (LBT_RATELIMIT_STORAGE_URL). A
# browser the account logged in from before is exempt from both, so the real user still gets in
# while someone else is being throttled (docs/operations.md, "Logins").
LOGIN_CLIENT_LIMIT = "10 per minute; 100 per hour"  # from one IP address, whatever the names
LOGIN_ACCOUNT_LIMIT = "30 per hour"  # for one account name, from all addresses together
KNOWN_BROWSER_COOKIE = "lbt_browser"


def known_browser() -> KnownBrowser | None:
    """The signed record of the accounts that logged in on this browser before, if it sent one."""
    if "_lbt_known_browser" not in g:
        cookie = request.cookies.get(KNOWN_BROWSER_COOKIE)
        g._lbt_known_browser = KnownBrowser.loads(settings().secret_key, cookie, now())
    return g._lbt_known_browser  # type: ignore[no-any-return]


def _login_name() -> str:
    return normalise_username(request.form.get("username", ""))


def _browser_knows_the_account() -> bool:
    browser = known_browser()
    return browser is not None and browser.knows(_login_name())


def _account_name_key() -> str:
    return "login-name:" + logins.account_digest(_login_name())


def _wrong_login(response: Response) -> bool:
    return response.status_code == 401


def remember_browser(response: Response, user: User) -> Response:
    browser = (known_browser() or KnownBrowser.new()).remember(user.username, now())
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        browser.dumps(settings().secret_key),
        max_age=int(KNOWN_BROWSER_MAX_AGE.total_seconds()),
        path=url_for("accounts.login"),
        secure=settings().https,
        httponly=True,
        samesite="Lax",
    )
    return response


def login_throttles(account_key: Callable[[], str], exempt: Callable[[], bool]) -> Callable[[F], F]:
    """Flask-Limiter on a login step's wrong answers (401): per address and per account (``account_key``),
    sparing the browsers ``exempt`` says the account logged in from (the password and the second step)."""

    def decorate(view: F) -> F:
        limit = partial(limiter.limit, methods=["POST"], deduct_when=_wrong_login, exempt_when=exempt)
        return limit(LOGIN_CLIENT_LIMIT)(limit(LOGIN_ACCOUNT_LIMIT, key_func=account_key)(view))  # type: ignore[no-any-return]

    return decorate


@bp.route("/login", methods=["GET", "POST"])
@public
@login_throttles(_account_name_key, _browser_knows_the_account)
def login() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        config = settings()
        username = form.username.data or ""
        try:
            user = logins.authenticate(
                session,
                username,
                form.password.data or "",
                client=client_key(request.remote_addr, known_browser(), username),
                now=now(),
                max_failures=config.login_max_failures,
                lockout_minutes=config.login_lockout_minutes,
            )
        except DomainError as error:
            session.commit()  # keep the failure count and lock
            form.form_errors.append(translate_error(error))
            return render_template("accounts/login.html", form=form), 401
        target = request.args.get("next")
        step = two_factor_policy.login_step(session, user)
        if step is not Step.NONE:  # the second step (lbt.accounts.two_factor.views.login) starts the login
            session.commit()
            from lbt.accounts.two_factor.views import pending  # here: that package imports this module

            return pending.begin(user, step, target)
        sessions.start_session(session, user, user_agent=request.headers.get("User-Agent", ""), now=now())
        session.commit()
        login_user(user)
        return remember_browser(redirect(target if is_safe_next(target) else url_for("home.index")), user)
    return form_page("accounts/login.html", form)


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _log_out(end: Callable[[], object], message: str) -> Response:
    """End the login(s) on the server (``end``), then forget it in this browser."""
    run_action(ActionForm(), end, message)
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.post("/logout")
@any_user
def logout() -> Response:
    end = partial(sessions.end_session, get_session(), _me().login_key, reason=SessionEnd.LOGOUT, now=now())
    return _log_out(end, _("You are logged out."))


@bp.post("/logout/everywhere")
@any_user
def logout_everywhere() -> Response:
    end = partial(sessions.end_sessions, get_session(), _me(), reason=SessionEnd.EVERYWHERE, now=now())
    return _log_out(end, _("You are logged out on every computer and phone."))


@bp.get("/account/sessions")
@any_user
def own_sessions() -> str:
    me = _me()
    found = sessions.open_sessions(get_session(), me)
    current = sessions.open_login(get_session(), me.login_key)
    return render_template("accounts/sessions.html", logins=found, current=current, action_form=ActionForm())


@bp.route("/account/password", methods=["GET", "POST"])
@any_user
def password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    user = _me()

    def change() -> None:
        current, new = form.current_password.data or "", form.password.data or ""
        services.change_password(get_session(), user, current, new, now=now(), keep_login=user.login_key)

    message = _("Your password was changed. Other logins of your account have ended.")
    if run_action(form, change, message).done:
        return redirect(url_for("home.index"))
    return form_page("accounts/password.html", form)


# --- administrator: users ---------------------------------------------------------------------


def _fill_scope_choices(form: UserForm) -> None:
    session = get_session()
    form.agreements.choices = [
        (a.code, f"{a.code} — {a.name}") for a in session.scalars(select(Agreement).order_by(Agreement.code))
    ]
    form.crossing_points.choices = [
        (c.code, f"{c.code} — {c.name}")
        for c in session.scalars(select(CrossingPoint).order_by(CrossingPoint.code))
    ]
    form.state.choices = [("", "—")] + [
        (s.code, f"{s.code} — {s.name_en}") for s in session.scalars(select(State).order_by(State.code))
    ]
    form.border_sections.choices = [
        (b.code, f"{b.code} — {b.name}")
        for b in session.scalars(select(BorderSection).order_by(BorderSection.code))
    ]


def _user_data(form: UserForm) -> services.UserData:
    role = Role(form.role.data)
    return services.UserData(
        username=form.username.data or "",
        role=role,
        full_name=form.full_name.data or "",
        email=form.email.data or "",
        locale=form.locale.data or None,
        scope=services.Scope(
            agreements=tuple(form.agreements.data or ()) if role in (Role.OFFICER, Role.SUPERVISOR) else (),
            crossing_points=tuple(form.crossing_points.data or ()) if role is Role.BORDER_GUARD else (),
            state=(form.state.data or None) if role is Role.REPRESENTATIVE else None,
            border_sections=tuple(form.border_sections.data or ()) if role is Role.REPRESENTATIVE else (),
        ),
    )


@bp.get("/admin/users")
@roles(Role.ADMIN)
def users() -> tuple[str, int] | str:
    form = UserFilterForm(request.args)
    if request.args and not form.validate():
        return render_template("accounts/users.html", users=[], form=form), 400
    role = Role(form.role.data) if form.role.data else None
    found = services.list_users(get_session(), role=role, search=form.q.data or "")
    locked = {
        lock.username for lock in logins.active_locks(get_session(), [u.username for u in found], now=now())
    }
    return render_template("accounts/users.html", users=found, form=form, locked=locked)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def create_user() -> Response | tuple[str, int] | str:
    form = NewUserForm()
    _fill_scope_choices(form)

    def create() -> User:
        return services.create_user(get_session(), _user_data(form), form.password.data or "", now=now())

    outcome = run_action(
        form, create, lambda user: _("User %(username)s was created.", username=user.username)
    )
    if outcome.done:
        return redirect(url_for("accounts.users"))
    return form_page("accounts/user_form.html", form, user=None)


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _edit_form(user: User | None = None) -> UserForm:
    """The edit form, filled from the request when posted, else from the stored user."""
    if user is None:
        form = UserForm()
    else:
        form = UserForm(
            formdata=None,
            data={
                "username": user.username,
                "full_name": user.full_name,
                "email": user.email,
                "role": user.role.value,
                "locale": user.locale or "",
                "agreements": [a.code for a in user.agreements],
                "crossing_points": [c.code for c in user.crossing_points],
                "state": user.state.code if user.state else "",
                "border_sections": [b.code for b in user.border_sections],
            },
        )
    _fill_scope_choices(form)
    return form


def _edit_page(user: User, form: UserForm, password_form: SetPasswordForm) -> tuple[str, int]:
    status = 400 if form.errors or password_form.errors else 200
    db = get_session()
    return render_template(
        "accounts/user_form.html",
        form=form,
        user=user,
        password_form=password_form,
        action_form=ActionForm(),
        logins=sessions.open_sessions(db, user),
        locks=logins.active_locks(db, [user.username], now=now()),
        two_factor=two_factor.status(db, user),
        two_factor_required=two_factor_policy.is_required(db, user.role),
    ), status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_user(user_id: int) -> Response | tuple[str, int]:
    session = get_session()
    user = _user_or_404(user_id)
    form = _edit_form(None if request.method == "POST" else user)

    def save() -> None:
        if (form.username.data or "").strip().lower() != user.username:
            raise ValidationFailed(N_("A username cannot be changed."), "username")
        services.update_user(session, user, _user_data(form), acting_user=current_user)

    if run_action(form, save, _("User %(username)s was saved.", username=user.username)).done:
        return redirect(url_for("accounts.users"))
    return _edit_page(user, form, SetPasswordForm(formdata=None))


@bp.post("/admin/users/<int:user_id>/password")
@roles(Role.ADMIN)
def set_user_password(user_id: int) -> Response | tuple[str, int]:
    session = get_session()
    user = _user_or_404(user_id)
    form = SetPasswordForm()
    own = _me().login_key if user.id == current_user.id else None  # an admin's own login stays
    new = form.password.data or ""
    set_password = partial(services.set_password, session, user, new, now=now(), keep_login=own)
    message = _("The password of %(username)s was set.", username=user.username)
    if run_action(form, set_password, message).done:
        return redirect(url_for("accounts.edit_user", user_id=user.id))
    return _edit_page(user, _edit_form(user), form)


@bp.post("/admin/users/<int:user_id>/<any(activate,deactivate,unlock,logout):action>")
@roles(Role.ADMIN)
def user_action(user_id: int, action: str) -> Response:
    session = get_session()
    user = _user_or_404(user_id)
    change: Callable[[], object]
    if action == "unlock":
        change = partial(services.unlock, session, user)
        message = _("User %(username)s was unlocked.", username=user.username)
    elif action == "logout":
        own = _me().login_key if user.id == current_user.id else None  # an admin's own login stays
        change = partial(sessions.end_sessions, session, user, reason=SessionEnd.ADMIN, now=now(), keep=own)
        message = _("The logins of %(username)s were ended.", username=user.username)
    else:
        change = partial(
            services.set_active, session, user, action == "activate", acting_user=current_user, now=now()
        )
        message = (
            _("User %(username)s was activated.", username=user.username)
            if action == "activate"
            else _("User %(username)s was deactivated.", username=user.username)
        )
    refused = run_action(ActionForm(), change, message).error
    if refused is not None:
        flash(translate_error(refused), "error")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/logins/<int:login_id>/end")
@roles(Role.ADMIN)
def end_login(user_id: int, login_id: int) -> Response:
    """An administrator ends one login of a user (a lost phone, a computer left logged in)."""
    user = _user_or_404(user_id)
    end = partial(sessions.end_session_of, get_session(), user, login_id, reason=SessionEnd.ADMIN, now=now())
    refused = run_action(ActionForm(), end, _("The login was ended."), refusals=(DomainError,)).error
    if refused is not None:
        flash(translate_error(refused), "error")
    return redirect(url_for("accounts.edit_user", user_id=user.id))
