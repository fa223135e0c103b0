"""Access control in one place, security headers, and the safe-redirect check.

Every endpoint declares who may call it with ``@roles(...)`` or ``@public``; a ``before_request`` hook
enforces it, and an endpoint that declares nothing is refused (deny by default).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, redirect, request, url_for
from flask.wrappers import Request
from flask_login import current_user

from lbt.accounts.models import Role

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
AUTHENTICATED = "authenticated"
ACCESS_ATTRIBUTE = "lbt_access"

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


def any_user(view: F) -> F:
    """Any logged-in user may call the view (their own pages: home, password, logout)."""
    setattr(view, ACCESS_ATTRIBUTE, AUTHENTICATED)
    return view


def access_of(view: Callable[..., Any]) -> Any:
    return getattr(view, ACCESS_ATTRIBUTE, None)


def bearer_token(req: Request) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header (API clients), if any."""
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _check_csrf() -> None:
    """Every state-changing request carries a CSRF token, except API calls with a bearer token:
    browsers never add that header cross-site, so such calls cannot be forged."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or request.endpoint in (None, "static"):
        return
    if request.path.startswith("/api/") and bearer_token(request):
        return
    current_app.extensions["lbt_csrf"].protect()


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
        if request.path.startswith("/api/"):
            abort(401)
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


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # decided here, not before the view: error pages (403, 404, CSRF) shown to a logged-in user count too
    if request.endpoint != "static" and current_user.is_authenticated and "Cache-Control" not in headers:
        # pages behind a login may carry personal data: never keep them in a shared device's cache
        headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask) -> None:
    app.before_request(_check_csrf)
    app.before_request(_check_access)
    app.after_request(_security_headers)
