"""``/metrics`` for the monitoring system (a ``monitor`` user's API token), ``/healthz`` (the process
lives) and ``/readyz`` (it can serve) for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response
from flask_babel import gettext as _
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.wrappers import Response

from lbt.accounts.models import Role
from lbt.monitoring.readiness import readiness
from lbt.permits.signing import KeyStore
from lbt.web.errors import error_response
from lbt.web.metrics import scrape
from lbt.web.security import authenticated_by_token, public, roles
from lbt.web.state import find_service, get_session, now, settings

bp = Blueprint("monitoring", __name__)


@bp.get("/metrics")
@roles(Role.MONITOR)
def metrics() -> Response | tuple[Response, int]:
    """The Prometheus text format. Only with a monitor's bearer token: a monitor's login cookie is
    refused too (the token is what the scraper holds; the cookie would be a person's)."""
    if not authenticated_by_token():
        body, status = error_response(403, _("Read the metrics with the monitoring system's API token."))
        return body, status
    session = get_session()
    text = scrape(current_app, session, now())
    session.commit()  # the token's last use, if it changed
    return make_response(text, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


@bp.get("/healthz")
@public
def health() -> Response:
    """The process lives and answers: nothing else is asked (no database), so a slow or absent
    database never gets a healthy worker restarted; ``/readyz`` says whether it can serve."""
    return make_response("ok", 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"})


@bp.get("/readyz")
@public
def ready() -> tuple[Response, int]:
    """200 with each check named, or 503 naming the failing ones (in words without secrets)."""
    checks = readiness(get_session(), find_service(KeyStore), settings().instance_path)
    failing = [check.name for check in checks if not check.ok]
    response = jsonify(
        status="not ready" if failing else "ready",
        checks={check.name: check.detail for check in checks},
        failing=failing,
    )
    response.headers["Cache-Control"] = "no-store"
    if failing:
        response.headers["Retry-After"] = "30"
    return response, 503 if failing else 200
