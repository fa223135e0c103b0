"""Error pages (HTML in the reader's language, or JSON under /api/) and DomainError handling."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
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
    }


def error_response(status: int, message: str | None = None):  # type: ignore[no-untyped-def]
    title, default_message = _titles().get(status, (_("Error"), ""))
    text = message or default_message
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=text, status=status), status
    return render_template("errors/error.html", status=status, title=title, message=text), status


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
        return error_response(500)
