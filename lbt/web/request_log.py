"""Logs as one JSON object per line (structlog over the standard library's logging, which the app's
modules already use), and one line per request: its id, the user's id, method, endpoint, status and
duration.

What never goes in: names, document numbers, tokens, passwords, form bodies, query strings and paths
(a path can carry a permit number, a query string a resident's reference and access code). The
request line names the route (``apply.status``), not the address; the database engine hides the
parameters of failed statements (``lbt.core.db.make_engine``)."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import sys
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

import psycopg
import structlog
from flask import Flask, g, request
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response

from lbt.web.metrics import endpoint_label, request_duration

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID = "lbt_request_id"  # flask.g
# an incoming id is kept when it is a plain token of sane length (a proxy's UUID or hex id);
# anything else (spaces, quotes, control characters, a whole sentence) is replaced by a new one
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
APP_LOGGER = "lbt"
HANDLER_NAME = "lbt-json"

REQUEST_LOGGER = "lbt.request"

log = structlog.stdlib.get_logger(REQUEST_LOGGER)
_DRIVER_ERRORS = (psycopg.Error, sqlite3.Error)

_SHARED = [
    structlog.contextvars.merge_contextvars,  # the request id of the request being served
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is at each line (gunicorn's and pytest's captures replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


WITHHELD = "(message withheld: a database error can quote the values it concerns)"


def withhold_database_messages(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """A traceback whose database errors keep their type but not their text: PostgreSQL's DETAIL
    quotes the conflicting row ("Key (document_number)=(...)"), whatever the parameters hidden."""
    exc_info = event.get("exc_info")
    if not exc_info:
        return event
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    elif not isinstance(exc_info, tuple):
        exc_info = sys.exc_info()
    if exc_info[1] is None:
        return event
    rendered = traceback.TracebackException(*exc_info)
    seen: set[int] = set()
    pending = [rendered]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current.exc_type is not None and issubclass(current.exc_type, (DBAPIError, *_DRIVER_ERRORS)):
            current._str = WITHHELD  # what format_exception_only prints after the type
        pending += [part for part in (current.__cause__, current.__context__) if part is not None]
    event.pop("exc_info")
    event["exception"] = "".join(rendered.format())
    return event


def json_formatter() -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,  # lines of the standard library's loggers (lbt.*)
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            withhold_database_messages,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


def json_handler(stream: TextIO | None = None) -> logging.Handler:
    """A handler writing JSON lines (to ``stream``, or the current standard error)."""
    handler: logging.Handler = _CurrentStderr() if stream is None else logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    return handler


_configured: list[Any] | None = None  # the processors configure_logging gave structlog
_own: list[Any] = [None, None]  # the handler it added, and that handler's formatter


def configure_logging(level: int = logging.INFO) -> None:
    """The app's loggers (``lbt.*``) write JSON lines to standard error; once per process."""
    global _configured
    _configured = [*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter]
    structlog.configure(
        processors=_configured,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logger = logging.getLogger(APP_LOGGER)
    if not any(handler.get_name() == HANDLER_NAME for handler in logger.handlers):
        handler = json_handler()
        handler.set_name(HANDLER_NAME)
        logger.addHandler(handler)
        _own[:] = [handler, handler.formatter]
    logger.setLevel(level)
    logger.propagate = False  # one line per event, not a second plain copy from the root logger
    # the development server's own access lines carry the path and query string: ours replace them
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_request_log(app: Flask) -> None:
    configure_logging()
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)  # before any refusal
    app.after_request(_finish)
    app.teardown_request(_forget)


def request_id() -> str:
    """This request's id: the caller's ``X-Request-ID`` when it is sane, else a new random one."""
    existing: str | None = g.get(REQUEST_ID)
    if existing is None:
        existing = request_id_of(request.headers.get(REQUEST_ID_HEADER, ""))
        g.setdefault(REQUEST_ID, existing)
    return existing


def request_id_of(incoming: str) -> str:
    """The caller's id when it is sane, else a new random one."""
    return incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _begin() -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id())


def _user_id() -> int | None:
    """The id of the user this request was found to be (never loaded here: a line costs no query)."""
    user: Any = g.get("_login_user")  # where Flask-Login keeps the request's user once loaded
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    log_request(
        request_id(), request.method, endpoint_label(), response.status_code, request_duration(), _user_id()
    )
    return response


def log_request(
    identifier: str, method: str, endpoint: str, status: int, seconds: float, user_id: int | None
) -> None:
    """The request's line (also the verify lane's, which answers before Flask)."""
    fields: dict[str, Any] = {
        "request_id": identifier,
        "method": method,
        "endpoint": endpoint,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "user_id": user_id,
    }
    handler = _only_handler()
    if handler is None or not _write_line(handler, dict(fields)):
        log.info("request", **fields)


def _only_handler() -> logging.Handler | None:
    """The app's own standard-error handler when the request line would go to it alone, through the
    pipeline ``configure_logging`` set up (no other handler, filter or processor, the level open):
    then ``_write_line`` writes the very line that pipeline would, at a fifth of its cost (one line
    per request; tests/monitoring/test_request_log.py holds the two equal)."""
    if _configured is None or structlog.get_config()["processors"] is not _configured:
        return None
    request_logger = logging.getLogger(REQUEST_LOGGER)
    app_logger = request_logger.parent
    if (
        request_logger.handlers
        or request_logger.filters
        or not request_logger.propagate
        or not request_logger.isEnabledFor(logging.INFO)
        or app_logger is None
        or app_logger.name != APP_LOGGER
        or app_logger.filters
        or app_logger.propagate
        or len(app_logger.handlers) != 1
    ):
        return None
    [handler] = app_logger.handlers
    if handler is not _own[0] or handler.formatter is not _own[1] or handler.filters:
        return None
    return handler if handler.level <= logging.INFO else None


def _fallback(value: Any) -> Any:
    """structlog's JSON renderer's ``default``: a value's ``__structlog__()``, else its ``repr``."""
    try:
        return value.__structlog__()
    except AttributeError:
        return repr(value)


def _write_line(handler: logging.Handler, fields: dict[str, Any]) -> bool:
    """``fields`` as structlog's pipeline renders them (``_SHARED``, then the JSON renderer): the event,
    the bound context's other keys, the level, the logger's name, the time in UTC. False when nothing
    was written (the standard library's handler then tries, and reports what fails)."""
    fields["event"] = "request"
    for key, value in structlog.contextvars.get_contextvars().items():
        fields.setdefault(key, value)
    fields["level"] = "info"
    fields["logger"] = REQUEST_LOGGER
    fields["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    try:
        line = json.dumps(fields, ensure_ascii=False, default=_fallback) + "\n"
        with handler.lock:  # type: ignore[union-attr]
            stream = sys.stderr
            stream.write(line)
    except Exception:
        return False
    try:
        stream.flush()
    except Exception:  # the line was handed over; a stream that cannot flush is not written twice
        handler.handleError(logging.makeLogRecord({"msg": "request", "name": REQUEST_LOGGER}))
    return True


def _forget(_error: BaseException | None) -> None:
    structlog.contextvars.clear_contextvars()
