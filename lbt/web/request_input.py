"""What every request brings is checked here, once, before any view sees it.

The address: no control characters in the path or the query string (a NUL cannot even be sent to
PostgreSQL), no record id past what the database can hold (404, as for any id that is not there).
Forms check their own fields (``lbt.web.forms.BaseForm``), beside the field.

A JSON body: a size cap, a nesting limit checked before parsing (Python's parser recurses, so
``[[[[...`` 100,000 deep would end in a RecursionError), strict JSON (no NaN or Infinity, no
duplicate keys, no number too long to read). A body that fails answers 400 (413 when too large) with
``{"error": ..., "status": ...}``; views read it with ``request.get_json()``. What the values hold (a
NUL, half a surrogate pair) is for the endpoint to judge per field: one bad item of a device's batch
must not sink the others."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _

from lbt.core.errors import N_
from lbt.web.errors import error_response
from lbt.web.forms import CONTROL_CHARACTERS

MAX_JSON_BYTES = 2 * 1024 * 1024  # a device's batch of 500 crossings is about 400 kB
MAX_JSON_DEPTH = 32  # our documents nest 3 levels; a little room for partners' extensions
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_RECORD_ID = 2**63 - 1  # PostgreSQL's BIGINT; SQLite's INTEGER holds the same

TOO_LARGE = N_("The JSON is too large (at most %(kilobytes)d kB).")

# strings may hold brackets, so they are left out first; possessive, and ending at the end of the text
# when unterminated, so that no match ever fails (a failing match here could take quadratic time)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]")
_ONE_KIND_OF_BRACKET = str.maketrans("{}", "[]")


class JSONRefused(ValueError):
    """A JSON text we do not read; ``message`` is a msgid, ``params`` its values."""

    status = 400

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class JSONTooLarge(JSONRefused):
    status = 413


def _check_depth(text: str, limit: int) -> None:
    """Refuse nesting deeper than ``limit`` without recursing: the brackets alone (strings left out)
    lose their innermost pairs once per level, in C-speed regular-expression passes."""
    skeleton = _NOT_BRACKETS.sub("", _STRINGS.sub("", text)).translate(_ONE_KIND_OF_BRACKET)
    for _level in range(limit):
        if not skeleton:
            return
        skeleton, removed = _INNERMOST.subn("", skeleton)
        if removed == 0:
            raise JSONRefused(N_("The JSON is not valid: its brackets do not match."))
    if skeleton:
        raise JSONRefused(N_("The JSON is nested too deeply (at most %(depth)d levels)."), depth=limit)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JSONRefused(N_("The JSON holds a number too large to read."))
    return number


def _constant(name: str) -> Any:
    raise JSONRefused(N_("The JSON is not valid: %(name)s is not a JSON value."), name=name)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JSONRefused(N_('The JSON names "%(key)s" twice in one object.'), key=key[:40])
        result[key] = value
    return result


def read_json(data: str | bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse one JSON text strictly, or raise ``JSONRefused`` (a ``ValueError``) saying why."""
    if len(data) > max_bytes:
        raise JSONTooLarge(TOO_LARGE, kilobytes=max_bytes // 1024)
    if isinstance(data, bytes):
        try:
            data = data.decode(json.detect_encoding(data))
        except (UnicodeDecodeError, LookupError):
            raise JSONRefused(N_("The JSON is not valid UTF-8 text.")) from None
    if data.count("[") + data.count("{") > max_depth:  # with fewer, the parser finds any mismatch
        _check_depth(data, max_depth)
    try:
        value = json.loads(data, parse_float=_finite, parse_constant=_constant, object_pairs_hook=_pairs)
    except JSONRefused:
        raise
    except ValueError as error:  # JSONDecodeError, or an integer longer than Python reads (4300 digits)
        raise JSONRefused(N_("The JSON is not valid: %(reason)s."), reason=_short_reason(error)) from None
    return value


def _short_reason(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} (line {error.lineno}, column {error.colno})"
    return "a number has too many digits"


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, read with ``read_json``: ``request.get_json()`` can never recurse without end."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return read_json(s)


def _check_json_body() -> Any:
    """A JSON body is read (and refused) here, the same way for every endpoint, before the view."""
    if request.method not in BODY_METHODS or not request.is_json:
        return None
    try:
        if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
            raise JSONTooLarge(TOO_LARGE, kilobytes=MAX_JSON_BYTES // 1024)  # not even read
        read_json(request.get_data(cache=True))
    except JSONRefused as error:
        return error_response(error.status, _(error.message, **error.params))
    return None


def _check_address() -> Any:
    texts = [request.path, *(text for pair in request.args.items(multi=True) for text in pair)]
    if any(CONTROL_CHARACTERS.search(text) for text in texts):
        return error_response(400, _("Remove the control characters."))
    ids = (request.view_args or {}).values()
    if any(isinstance(value, int) and not 0 <= value <= MAX_RECORD_ID for value in ids):
        abort(404)
    return None


def init_request_input(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
    app.before_request(_check_address)
    app.before_request(_check_json_body)
