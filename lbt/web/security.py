"""Access control in one place, who the request is (login cookie or API token), security headers,
and the safe-redirect check.

Every endpoint declares who may call it with ``@roles(...)`` or ``@public``; a ``before_request`` hook
enforces it, and an endpoint that declares nothing is refused (deny by default). Pages know a user by
the login cookie (a ``user_sessions`` row, ended on the server at logout); the JSON API under
``/api/`` and ``/metrics`` also by a bearer token, which no HTML page accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, make_response, redirect, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from flask_babel import gettext as _
from flask_login import LoginManager, current_user

from lbt.accounts.models import Role, User
from lbt.accounts.sessions import load_session_user
from lbt.api.services import user_for_token
from lbt.audit.models import AuditActor
from lbt.web.errors import error_response
from lbt.web.state import get_session, now, set_actor

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
AUTHENTICATED = "authenticated"
ACCESS_ATTRIBUTE = "lbt_access"
NO_CSRF_ATTRIBUTE = "lbt_signed_requests"  # see ``signed_requests``
API_PREFIX = "/api/"
METRICS_PATH = "/metrics"  # read by the monitoring system with a monitor's bearer token
TOKEN_USER = "_lbt_token_user"  # noqa: S105 - a name in flask.g: the user of a valid bearer token

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def roles(*allowed: Role) -> Callable[[F], F]:
    """Only users with one of these roles may call the view."""

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, frozenset(allowed))
        return view

    return decorate


def public(view: F) -> F:
    """Anyone may call the view, logged in or not."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def signed_requests(view: F) -> F:
    """Anyone may call the view, without a login and without a CSRF token: what it is sent is trusted
    only by its own signature (the partner exchange, ``/exchange/v1/...``)."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    setattr(view, NO_CSRF_ATTRIBUTE, True)
    return view


def any_user(view: F) -> F:
    """Any logged-in user may call the view (their own pages: home, password, logout)."""
    setattr(view, ACCESS_ATTRIBUTE, AUTHENTICATED)
    return view


def access_of(view: Callable[..., Any]) -> Any:
    return getattr(view, ACCESS_ATTRIBUTE, None)


def bearer_token(req: Request) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header (API clients), if any."""
    return bearer_of(req.headers.get("Authorization", ""))


def bearer_of(authorization: str) -> str | None:
    """The token of an ``Authorization`` header's value ``Bearer ...``, if it is one."""
    scheme, _sep, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def is_api(req: Request) -> bool:
    return req.path.startswith(API_PREFIX)


def takes_token(req: Request) -> bool:
    """Where a bearer token is a credential: the JSON API and the metrics."""
    return is_api(req) or req.path == METRICS_PATH


def _commit_loader_changes() -> None:
    """The login's last-seen time, its end, a token's last use: written before the view runs, so a
    page that commits nothing keeps them too. Nothing else is pending this early in the request."""
    session = get_session()
    if session.dirty:
        if "actor" not in session.info:  # a login ended here (a copied cookie) is the anonymous caller's
            set_actor(AuditActor(None, "anonymous", f"web {request.remote_addr or '-'}"))
        session.commit()


def _user_of_session(key: str) -> User | None:
    """Flask-Login's user loader: the user of an open login whose cookie key this is."""
    if takes_token(request) and bearer_token(request) is not None:
        return None  # an API call with a token is the token's, whatever cookie comes with it
    user = load_session_user(get_session(), key, user_agent=request.headers.get("User-Agent", ""), now=now())
    _commit_loader_changes()
    return user


def _user_of_token(req: Request) -> User | None:
    """Flask-Login's request loader: the user of a valid bearer token, on the API only (a token is a
    device's credential for the JSON API; an HTML page never takes one)."""
    token = bearer_token(req)
    if token is None or not takes_token(req):
        return None
    user = user_for_token(get_session(), token, now())
    if user is not None:
        g.setdefault(TOKEN_USER, user)
        _commit_loader_changes()
    return user


def authenticated_by_token() -> bool:
    """Whether this request acts for the user of a valid bearer token."""
    return current_user.is_authenticated and g.get(TOKEN_USER) is not None


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions. A request without the cookie (a device's API call) gets its
    empty session without the signing serializer being built first (issue 11: the verify lane's
    scans carry none, and building it was a twentieth of their time)."""

    def open_session(self, app: Flask, req: Request) -> SecureCookieSession | None:  # type: ignore[override]
        if app.secret_key and not req.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, req)


def init_login(app: Flask) -> LoginManager:
    app.session_interface = CookieSessions()
    manager = LoginManager(app)
    # Flask-Login's own session protection stays off: the login's row keeps the browser's User-Agent
    # and refuses the cookie from another browser (lbt.accounts.sessions), and its "strong" mode sent
    # a remember_token deletion cookie on every anonymous response that had a session
    manager.session_protection = None
    manager.user_loader(_user_of_session)
    manager.request_loader(_user_of_token)
    return manager


def _check_csrf() -> None:
    """Every state-changing request carries a CSRF token, except API calls made with a valid bearer
    token (browsers never add that header cross-site, so such calls cannot be forged). An API call
    with no valid credentials at all goes on to the access check, which answers 401."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or request.endpoint in (None, "static"):
        return
    if getattr(current_app.view_functions[request.endpoint], NO_CSRF_ATTRIBUTE, False):
        return
    if is_api(request):
        if authenticated_by_token():
            return
        if (
            not current_user.is_authenticated
            and access_of(current_app.view_functions[request.endpoint]) != PUBLIC
        ):
            return
    current_app.extensions["lbt_csrf"].protect()


def _api_unauthorized() -> Response:
    """RFC 6750: 401 with a ``WWW-Authenticate: Bearer`` challenge (``invalid_token`` when a token
    was sent but is unknown, revoked or its user deactivated), and the reason as JSON."""
    challenge = 'Bearer realm="lbt"'
    if bearer_token(request) is not None:
        challenge += ', error="invalid_token"'
        message = _("The API token is not valid: it is unknown or revoked, or its account is deactivated.")
    else:
        message = _("Send a valid API token: Authorization: Bearer <token>.")
    body, status = error_response(401, message)
    return make_response(body, status, {"WWW-Authenticate": challenge})


def _check_access() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    access = access_of(current_app.view_functions[endpoint])
    if access is None:
        abort(403)  # deny by default: the view declared no access rule
    if access == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if takes_token(request):
            return _api_unauthorized()
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if access == AUTHENTICATED or current_user.role in access:
        return None
    abort(403)


def require(allowed: bool) -> None:
    """Object-level check in a view: refuse with 403 when the policy says no."""
    if not allowed:
        abort(403)


def is_safe_next(target: str | None) -> bool:
    """Only redirect to a path on this site (no scheme, no host, no protocol-relative //).

    Browsers read a backslash as a slash and drop tabs and newlines, so ``/\\evil.example`` and
    ``/<tab>/evil.example`` would lead off the site: any of those characters makes a target unsafe.
    """
    if not target or "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")  # over HTTPS only


def _security_headers(response: Response) -> Response:
    headers = response.headers
    for name, value in SECURITY_HEADERS:
        headers.setdefault(name, value)
    if request.is_secure:
        headers.setdefault(*HSTS)
    # decided here, not before the view: error pages (403, 404, CSRF) shown to a logged-in user count too
    if request.endpoint != "static" and current_user.is_authenticated and "Cache-Control" not in headers:
        # pages behind a login may carry personal data: never keep them in a shared device's cache
        headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask) -> None:
    app.before_request(_check_csrf)
    app.before_request(_check_access)
    app.after_request(_security_headers)
