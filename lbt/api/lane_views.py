"""``POST /api/v1/verify`` on a lane of its own (issue 11): the device's scan is the system's hottest
request, and the general path (Flask-Login loading the token's user as an entity, the access and
CSRF hooks, the permit and its agreement as entities, a transaction) cost several times what the
answer needs. The lane is a ``before_request`` hook placed after the rate limiter: for a call it can
answer exactly as the view would, it reads plain rows (``lbt.crossings.scan_rows``: on PostgreSQL
one statement on the driver's connection, outside a transaction; on SQLite two), judges them with the same ``assess`` and answers with the same JSON
(``verdict_json`` of the views); Flask's after-request hooks then add the same headers, metrics and log line.
Anything else goes on to the view unchanged: no or an invalid bearer token, a token whose last use
is due to be written, a role the view's ``@roles`` does not admit, a body the view would refuse, a
crossing point that is not the guard's, a code that is not genuine or is the partner's, a query
string, another method than POST, a remember-me cookie.
``tests/api/test_verify_lane.py`` holds the two answers equal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from flask import Flask, Response, current_app, g, jsonify, request
from flask_login.config import COOKIE_NAME

from lbt.api.services import LAST_USED_PRECISION, TOKEN_PREFIX, bearer_digest
from lbt.api.views import verdict_json
from lbt.core.db import Database
from lbt.crossings.batch_items import storable_text
from lbt.crossings.models import Direction
from lbt.crossings.scan_rows import DriverScans, Scan, TokenHolder, scan_rows
from lbt.crossings.services import assess, counted_crossings
from lbt.crossings.verify import TokenVerdict, counted, on_record, scanned_claims
from lbt.permits.services import published_jwks
from lbt.permits.signing import KeyStore
from lbt.web.request_input import MAX_JSON_BYTES, JSONRefused, read_json
from lbt.web.security import access_of, bearer_token
from lbt.web.state import get_session, limiter, state

ENDPOINT = "api.verify"
DRIVER_SCANS = "lbt_driver_scans"  # app.extensions: the compiled statements, on PostgreSQL
MAX_POINT_CODE = 20  # crossing_points.code


class LaneUser:
    """The request's user for the after-request hooks and the locale (Flask-Login's ``current_user``):
    what they read of a user, from the token's row."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, holder: TokenHolder) -> None:
        self.id = holder.user_id
        self.username = holder.username
        self.role = holder.role
        self.locale = holder.locale
        self.is_active = holder.is_active

    def get_id(self) -> str:
        return str(self.id)


def _scan_request() -> tuple[str, dict[str, Any]] | None:
    """The bearer token and the JSON body, when both are as the view takes them. A remember-me cookie
    is left to Flask-Login, which then reads no token at all (the app sets none)."""
    if (
        request.endpoint != ENDPOINT
        or request.method != "POST"
        or request.query_string
        or not request.is_json
    ):
        return None
    if current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
        return None
    token = bearer_token(request)
    if token is None or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    if request.content_length is None or request.content_length > MAX_JSON_BYTES:
        return None
    try:
        data = read_json(request.get_data(cache=True))
    except JSONRefused:
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("token"), str)
        or data.get("direction", "entry") not in ("entry", "exit")
    ):
        return None
    point = data.get("crossing_point")  # left out or null: the guard's only one
    if point is not None and not (storable_text(point) and len(point) <= MAX_POINT_CODE):
        return None  # the view names the guard's points (and a NUL never reaches the database)
    return token, data


def _usable(holder: TokenHolder, moment: datetime) -> bool:
    """Whether the view would take this token's user, and has no last use to write."""
    return (
        holder.revoked_at is None
        and holder.is_active
        and holder.role in (access_of(current_app.view_functions[ENDPOINT]) or ())  # the view's @roles
        and holder.point is not None
        and holder.last_used_at is not None
        and moment - holder.last_used_at <= LAST_USED_PRECISION
    )


def _scan(database: Database, digest: str, point: str | None, number: str) -> Scan | None:
    """The scan's rows, or None for the view to answer. PostgreSQL: one statement on a driver's
    connection outside any transaction; when it failed, the view meets the database as it is and
    answers for it. SQLite:
    through the request's own session, which may hold the one write lock already (``published_jwks``
    reads the keys in use through it), so that a second connection would wait for it; the counted
    crossings are read once the token is found usable."""
    scans: DriverScans | None = current_app.extensions.get(DRIVER_SCANS)
    if scans is None:
        return scan_rows(get_session().connection(), digest, point, number)
    try:
        with database.driver_reads() as driver:
            return scans.scan(driver, digest, point, number)
    except psycopg.Error:
        return None


def answer_scan() -> Response | None:
    """The verify call's answer from plain rows, or None to let the view answer it."""
    scan = _scan_request()
    if scan is None:
        return None
    plain, data = scan
    app_state = state()
    moment = app_state.clock()
    scanned = scanned_claims(
        data["token"], published_jwks(get_session, app_state.find(KeyStore), moment.date())
    )
    if isinstance(scanned, TokenVerdict):  # not genuine, or perhaps the partner's: the view says which
        return None
    token, claims = scanned
    scan = _scan(app_state.database, bearer_digest(plain), data.get("crossing_point"), claims.permit_number)
    if scan is None or not _usable(scan.holder, moment):
        return None
    holder, permit = scan.holder, scan.permit
    assert holder.point is not None
    g._login_user = LaneUser(holder)  # Flask-Login's place for the request's user
    result = on_record(token, claims, permit)  # type: ignore[arg-type]
    if result.permit is not None and permit is not None:
        crossings = scan.crossings
        if crossings is None:
            crossings = counted_crossings(get_session().connection(), permit)  # type: ignore[arg-type]
        direction = Direction(data.get("direction", "entry"))
        assessment = assess(None, permit, holder.point, direction, moment, crossings)  # type: ignore[arg-type]
        result = TokenVerdict(assessment.verdict, assessment.reasons, claims, permit, assessment)  # type: ignore[arg-type]
    return jsonify(verdict_json(counted(result, "scan"), moment))


def init_verify_lane(app: Flask) -> None:
    """Put the lane right after the rate limiter's hook (a limit set on the endpoint still applies)."""
    hooks = app.before_request_funcs.setdefault(None, [])
    limiter_at = next(
        (index for index, hook in enumerate(hooks) if getattr(hook, "__self__", None) is limiter), None
    )
    if limiter_at is None:
        raise RuntimeError("the verify lane goes after the rate limiter's hook, which is not installed")
    hooks.insert(limiter_at + 1, answer_scan)
    engine = app.extensions["lbt"].database.engine
    if engine.dialect.name == "postgresql":
        app.extensions[DRIVER_SCANS] = DriverScans(engine.dialect)
