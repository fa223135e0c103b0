"""``POST /api/v1/verify`` on a lane of its own (issue 11): the device's scan is the system's hottest
request, and the general path (Flask-Login loading the token's user as an entity, the access and
CSRF hooks, the permit and its agreement as entities, a transaction) cost several times what the
answer needs. For a call it can answer exactly as the view would, the lane reads plain rows
(``lbt.crossings.scan_rows``: on PostgreSQL one statement on the driver's connection, outside a
transaction; on SQLite two), judges them with the same ``assess`` and answers with the same JSON
(``verdict_json`` of the views).

On PostgreSQL the lane is WSGI middleware (``VerifyLane``) in front of Flask, for calls without
cookies: Flask's request handling, its hooks and Flask-Babel's per-request lookups cost more than the
scan itself. It writes the same headers, metrics and log line as Flask's after-request hooks
(``SECURITY_HEADERS``, ``count_request``, ``log_request``), and its messages come from the same
catalogs (``lbt.web.i18n.Reader``). The verify view is exempt from rate limits (a crossing point's
device scans as fast as people pass; its token and role are the gate). On SQLite the lane is a
``before_request`` hook after the rate limiter's, answering through the request's session.
Anything else goes on to the view unchanged: no or an invalid bearer token, a token whose last use
is due to be written, a role the view's ``@roles`` does not admit, a body the view would refuse, a
crossing point that is not the guard's, a code that is not genuine or is the partner's, a query
string, another method than POST, a remember-me cookie.
``tests/api/test_verify_lane.py`` holds the two answers equal."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import psycopg
import structlog
from flask import Flask, Response, current_app, g, jsonify, request
from flask_login.config import COOKIE_NAME
from sqlalchemy.orm import Session
from werkzeug.http import parse_options_header
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Request

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
from lbt.web.i18n import LOCALES, Reader, best_language, readers
from lbt.web.metrics import count_request
from lbt.web.request_input import MAX_JSON_BYTES, JSONRefused, read_json
from lbt.web.request_log import REQUEST_ID_HEADER, log_request, request_id_of
from lbt.web.security import HSTS, SECURITY_HEADERS, access_of, bearer_of
from lbt.web.state import AppState, get_session, limiter, state

log = logging.getLogger(__name__)

ENDPOINT = "api.verify"
PATH = "/api/v1/verify"  # the endpoint's route (tests/api/test_verify_lane.py holds them together)
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


def _scan_request(request: Request, remember_cookie: str) -> tuple[str, dict[str, Any]] | None:
    """The bearer token and the JSON body, when both are as the view takes them. A remember-me cookie
    is left to Flask-Login, which then reads no token at all (the app sets none)."""
    if request.method != "POST" or request.query_string or not request.is_json:
        return None
    if remember_cookie in request.cookies:
        return None
    if request.content_length is None or request.content_length > MAX_JSON_BYTES:
        return None
    return _scan_of(request.headers.get("Authorization", ""), request.get_data(cache=True))


def _scan_of(authorization: str, body: bytes) -> tuple[str, dict[str, Any]] | None:
    """The bearer token of an ``Authorization`` value and the scan a body holds, as the view takes
    them."""
    token = bearer_of(authorization)
    if token is None or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    try:
        data = read_json(body)
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


def _json_type(content_type: str) -> bool:
    """``Request.is_json`` of a ``Content-Type`` value."""
    mimetype = parse_options_header(content_type)[0].lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _usable(holder: TokenHolder, moment: datetime, roles: Iterable[Any]) -> bool:
    """Whether the view would take this token's user (``roles``: the view's ``@roles``), and has no
    last use to write."""
    return (
        holder.revoked_at is None
        and holder.is_active
        and holder.role in roles
        and holder.point is not None
        and holder.last_used_at is not None
        and moment - holder.last_used_at <= LAST_USED_PRECISION
    )


def _driver_scan(
    database: Database, scans: DriverScans, digest: str, point: str | None, number: str
) -> Scan | None:
    """PostgreSQL: one statement on a driver's connection outside any transaction; when it failed,
    None, and the view meets the database as it is and answers for it."""
    try:
        with database.driver_reads() as driver:
            return scans.scan(driver, digest, point, number)
    except psycopg.Error:
        return None


def _hook_scan(database: Database, digest: str, point: str | None, number: str) -> Scan | None:
    """The hook's scan rows, or None for the view to answer. SQLite: through the request's own
    session, which may hold the one write lock already (``published_jwks`` reads the keys in use
    through it), so that a second connection would wait for it; the counted crossings are read once
    the token is found usable."""
    scans: DriverScans | None = current_app.extensions.get(DRIVER_SCANS)
    if scans is None:
        return scan_rows(get_session().connection(), digest, point, number)
    return _driver_scan(database, scans, digest, point, number)


ScanReader = Callable[[str, "str | None", str], "Scan | None"]


def _judged(
    app_state: AppState,
    plain: str,
    data: dict[str, Any],
    sessions: Callable[[], Session],
    read: ScanReader,
    roles: Iterable[Any],
) -> tuple[TokenHolder, TokenVerdict, datetime] | None:
    """The token's holder and the verdict, as the view would give them, or None to let it answer."""
    moment = app_state.clock()
    scanned = scanned_claims(data["token"], published_jwks(sessions, app_state.find(KeyStore), moment.date()))
    if isinstance(scanned, TokenVerdict):  # not genuine, or perhaps the partner's: the view says which
        return None
    token, claims = scanned
    scan = read(bearer_digest(plain), data.get("crossing_point"), claims.permit_number)
    if scan is None or not _usable(scan.holder, moment, roles):
        return None
    holder, permit = scan.holder, scan.permit
    assert holder.point is not None
    result = on_record(token, claims, permit)  # type: ignore[arg-type]
    if result.permit is not None and permit is not None:
        crossings = scan.crossings
        if crossings is None:
            crossings = counted_crossings(sessions().connection(), permit)  # type: ignore[arg-type]
        direction = Direction(data.get("direction", "entry"))
        assessment = assess(None, permit, holder.point, direction, moment, crossings)  # type: ignore[arg-type]
        result = TokenVerdict(assessment.verdict, assessment.reasons, claims, permit, assessment)  # type: ignore[arg-type]
    return holder, counted(result, "scan"), moment


def answer_scan() -> Response | None:
    """The hook: the verify call's answer from plain rows, or None to let the view answer it."""
    if request.endpoint != ENDPOINT:
        return None
    scan = _scan_request(request, current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))
    if scan is None:
        return None
    app_state = state()
    database = app_state.database
    judged = _judged(
        app_state,
        *scan,
        get_session,
        lambda digest, point, number: _hook_scan(database, digest, point, number),
        access_of(current_app.view_functions[ENDPOINT]) or (),
    )
    if judged is None:
        return None
    holder, result, moment = judged
    g._login_user = LaneUser(holder)  # Flask-Login's place for the request's user
    return jsonify(verdict_json(result, moment))


class VerifyLane:
    """WSGI middleware answering the scans it can (see the module's docstring), in front of
    ``wsgi_app``, which answers everything else, a call whose lane failed included."""

    def __init__(self, app: Flask, wsgi_app: Any, scans: DriverScans) -> None:
        self.app, self.wsgi_app, self.scans = app, wsgi_app, scans
        self.enabled = True  # tests turn it off to compare with the view's answers
        self._readers: dict[str, Reader] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or ""
        if (
            not self.enabled
            or environ.get("PATH_INFO") != PATH
            or environ.get("REQUEST_METHOD") != "POST"
            or environ.get("QUERY_STRING")
            or "HTTP_COOKIE" in environ  # a browser's call (its session, CSRF): the view's
            or not (length.isascii() and length.isdigit())
            or int(length) > MAX_JSON_BYTES
            or not _json_type(environ.get("CONTENT_TYPE", ""))
        ):
            return self.wsgi_app(environ, start_response)  # type: ignore[no-any-return]
        started = time.perf_counter()
        body = environ["wsgi.input"].read(int(length))
        identifier = request_id_of(environ.get("HTTP_X_REQUEST_ID", ""))
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=identifier)
        try:
            answer = self._answer(environ, body, identifier, started)
        except Exception:  # the view answers, as it would without the lane (and says what failed)
            log.exception("the verify lane failed; the view answers")
            answer = None
        finally:
            structlog.contextvars.clear_contextvars()
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.wsgi_app(environ, start_response)  # type: ignore[no-any-return]
        content, headers = answer
        start_response("200 OK", headers)
        return [content]

    def _answer(
        self, environ: dict[str, Any], body: bytes, identifier: str, started: float
    ) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The answer's body and headers, as Flask's JSON response and after-request hooks give them."""
        scan = _scan_of(environ.get("HTTP_AUTHORIZATION", ""), body)
        if scan is None:
            return None
        app_state: AppState = self.app.extensions["lbt"]
        database = app_state.database
        opened: list[Session] = []

        def sessions() -> Session:  # only when the published keys must be read
            opened.append(database.session_factory())
            return opened[-1]

        try:
            judged = _judged(
                app_state,
                *scan,
                sessions,
                lambda digest, point, number: _driver_scan(database, self.scans, digest, point, number),
                access_of(self.app.view_functions[ENDPOINT]) or (),
            )
        finally:
            for session in opened:
                session.close()
        if judged is None:
            return None
        holder, result, moment = judged
        reader = self._reader(holder.locale, environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        content = self._json(verdict_json(result, moment, reader.translate))
        headers = [("Content-Type", self._content_type), ("Content-Length", str(len(content)))]
        headers += SECURITY_HEADERS
        if environ.get("wsgi.url_scheme") in ("https", "wss"):  # werkzeug's is_secure
            headers.append(HSTS)
        headers += [("Cache-Control", "no-store"), ("Vary", "Cookie"), (REQUEST_ID_HEADER, identifier)]
        seconds = time.perf_counter() - started
        count_request(ENDPOINT, "POST", 200, seconds)
        log_request(identifier, "POST", ENDPOINT, 200, seconds, holder.user_id)
        return content, headers

    def _json(self, value: Any) -> bytes:
        """``app.json.response``'s body: the app's JSON provider, compact unless in debug mode."""
        provider = self.app.json
        compact = getattr(provider, "compact", None)
        if (compact is None and self.app.debug) or compact is False:
            return f"{provider.dumps(value, indent=2)}\n".encode()
        return f"{provider.dumps(value, separators=(',', ':'))}\n".encode()

    @property
    def _content_type(self) -> str:
        return get_content_type(self.app.json.mimetype, "utf-8")  # type: ignore[attr-defined]

    def _reader(self, user_locale: str | None, accept_language: str) -> Reader:
        """``select_locale``'s choice: the user's language, else the header's (no cookie comes here)."""
        if self._readers is None:
            self._readers = readers(self.app, self.app.extensions["lbt"].settings.instance_zone)
        code = user_locale if user_locale in LOCALES else best_language(accept_language)
        return self._readers[code]  # type: ignore[index]


def init_verify_lane(app: Flask) -> None:
    """On PostgreSQL, the lane in front of Flask (``VerifyLane``; before a proxy's ``ProxyFix`` is put
    around the whole, so that it sees the caller's scheme); on SQLite, the hook right after the rate
    limiter's (a limit set on the endpoint still applies)."""
    engine = app.extensions["lbt"].database.engine
    if engine.dialect.name == "postgresql":
        scans = DriverScans(engine.dialect)
        app.extensions[DRIVER_SCANS] = scans
        app.wsgi_app = VerifyLane(app, app.wsgi_app, scans)  # type: ignore[method-assign]
        return
    hooks = app.before_request_funcs.setdefault(None, [])
    limiter_at = next(
        (index for index, hook in enumerate(hooks) if getattr(hook, "__self__", None) is limiter), None
    )
    if limiter_at is None:
        raise RuntimeError("the verify lane goes after the rate limiter's hook, which is not installed")
    hooks.insert(limiter_at + 1, answer_scan)
