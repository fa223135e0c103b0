"""Error pages (HTML in the reader's language, or JSON under /api/), DomainError handling, and a 503
"temporarily unavailable" when the database cannot be reached."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from lbt.core.errors import AccessDenied, DomainError, NotFound
from lbt.web.i18n import translate_error

log = logging.getLogger(__name__)


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("Bad request"),
            _("The request could not be understood. Check what you entered and try again."),
        ),
        401: (_("Login required"), _("Log in to continue.")),
        403: (_("Not allowed"), _("Your account may not open this page.")),
        404: (_("Not found"), _("There is no page at this address.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        413: (_("Too large"), _("What you sent is too large.")),
        429: (_("Too many requests"), _("Too many requests. Wait a moment and try again.")),
        500: (_("Something went wrong"), _("An error occurred on our side. Nothing you entered was saved.")),
        503: (
            _("Temporarily unavailable"),
            _(
                "The service is temporarily unavailable. Nothing you entered was saved. Try again in a few minutes."
            ),
        ),
    }


def error_response(status: int, message: str | None = None):  # type: ignore[no-untyped-def]
    title, default_message = _titles().get(status, (_("Error"), ""))
    text = message or default_message
    # JSON for the API, for callers that ask for it, and for callers that sent JSON
    if (
        request.path.startswith("/api/")
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    ):
        return jsonify(error=text, status=status), status
    return render_template("errors/error.html", status=status, title=title, message=text), status


def _discard_changes() -> None:
    """Roll the request's failed transaction back before the error page is drawn: the page reads the
    logged-in user, which a session left failed (a refused INSERT) could not load again."""
    session = g.get("_lbt_session")
    if session is not None:
        try:
            session.rollback()
        except SQLAlchemyError:  # the connection itself is gone: the page will not need it
            log.warning("could not roll back after an error", exc_info=True)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return error_response(
            400,
            _(
                "The form was sent without a valid security token (it may have expired). Reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        body, status = error_response(error.code or 500)
        # keep what the error says beyond its page, such as the Allow header of a 405
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        status = 404 if isinstance(error, NotFound) else 403 if isinstance(error, AccessDenied) else 400
        return error_response(status, translate_error(error))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s %s", request.method, request.path)
        _discard_changes()
        return error_response(500)

    def database_unavailable(error: Exception):  # type: ignore[no-untyped-def]
        log.error("database unavailable on %s %s: %s", request.method, request.path, error)
        # the page must not ask the database again: the logged-in user (whom loading may have failed,
        # or whose record the failed transaction expired) is shown as anonymous on this page only;
        # Flask-Login keeps the request's user in g._login_user
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
        _discard_changes()
        body, status = error_response(503)
        return body, status, {"Retry-After": "60", "Cache-Control": "no-store"}

    # connection-level failures: refused, unreachable, unreadable file, locked, timed out, dropped
    for failure in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(failure, database_unavailable)

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):  # type: ignore[no-untyped-def]
        if error.connection_invalidated:  # the connection was lost during the statement
            return database_unavailable(error)
        return unexpected_error(error)
