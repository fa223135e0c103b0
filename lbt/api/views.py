"""The JSON API for crossing-point devices (docs/api.md): verify a scanned permit, send crossings
(idempotent on the device's UUID, offline records included), fetch the signed revocation list.
Callers authenticate with a bearer token (``lbt tokens create``) or, from the app's own pages, the
login session with its CSRF token."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from lbt.accounts.models import Role, User
from lbt.api.limits import MAX_BATCH
from lbt.api.openapi import openapi_document
from lbt.core.errors import Message
from lbt.crossings.batch import ItemResult, crossing_point_of, record_batch
from lbt.crossings.models import Direction
from lbt.crossings.timing import CrossingLimits
from lbt.crossings.verify import TokenVerdict, permit_facts, stay_facts, verify_scan
from lbt.exchange.partner_permits import partner_facts
from lbt.permits.revocations import RevocationLists, list_version
from lbt.permits.services import published_jwks
from lbt.permits.signing import KeyStore
from lbt.web.i18n import translate_error, translate_message
from lbt.web.security import public, roles
from lbt.web.state import find_service, get_session, limiter, now, settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")
Translate = Callable[[Message, "dict[str, Any] | None"], str]


def _problem(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message, status=status), status


def _json() -> dict[str, Any] | None:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


def _guard() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _jwks(session: Session) -> dict[str, list[dict[str, str]]]:
    return published_jwks(session, find_service(KeyStore), now().date())


def _item_json(result: ItemResult) -> dict[str, Any]:
    body: dict[str, Any] = {"id": result.id, "status": result.status}
    if result.code is not None:
        body["code"] = result.code
    if result.error is not None:
        body["error"] = translate_error(result.error)
    if result.verdict is not None:
        body["verdict"] = result.verdict.value
        body["misuse_case"] = result.misuse_case
    return body


def reasons_json(reasons: Any, translate: Translate = translate_message) -> list[dict[str, str]]:
    return [{"code": reason.code, "message": translate(reason.message, reason.params)} for reason in reasons]


def verdict_json(
    result: TokenVerdict, moment: datetime, translate: Translate = translate_message
) -> dict[str, Any]:
    """The verdict's JSON, its reasons in the reader's language (``translate``: the request's, or the
    verify lane's ``Reader``)."""
    body: dict[str, Any] = {
        "verdict": result.verdict.value,
        "reasons": reasons_json(result.reasons, translate),
        "checked_at": moment.isoformat(),
    }
    if result.permit is not None and result.assessment is not None:
        body["permit"] = permit_facts(result.permit, moment)
        body["stay"] = stay_facts(result.assessment)
    elif result.partner is not None:  # a genuine permit of the partner state: no stay kept here
        body["permit"] = partner_facts(result.partner, moment)
        body["partner"] = {"state": result.partner.state.code, "records": result.partner.records}
    return body


@bp.post("/verify")
@roles(Role.BORDER_GUARD)
@limiter.exempt  # a device scans as fast as people pass; the verify lane (lane_views) takes none either
def verify() -> tuple[Response, int] | Response:
    data = _json()
    if data is None or not isinstance(data.get("token"), str):
        return _problem(400, _('Send a JSON object with the scanned text in "token".'))
    point = crossing_point_of(_guard(), data.get("crossing_point"))
    if point is None:
        return _problem(400, _('Name one of your crossing points in "crossing_point".'))
    direction = data.get("direction", "entry")
    if direction not in ("entry", "exit"):
        return _problem(400, _('"direction" is "entry" or "exit".'))
    session = get_session()
    moment = now()
    result = verify_scan(
        session,
        data["token"],
        _jwks(session),
        crossing_point=point,
        direction=Direction(direction),
        at=moment,
    )
    body = verdict_json(result, moment)
    session.commit()
    return jsonify(body)


@bp.post("/crossings")
@roles(Role.BORDER_GUARD)
def crossings() -> tuple[Response, int] | Response:
    """A batch of entries and exits; each gets its own result, and each is stored at most once."""
    data = request.get_json(silent=True)
    items = data.get("crossings") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        return _problem(400, _("Send a JSON list of crossings."))
    if len(items) > MAX_BATCH:
        return _problem(413, _("At most %(count)d crossings at a time.", count=MAX_BATCH))
    session = get_session()
    results = record_batch(
        session,
        items,
        officer=_guard(),
        jwks=_jwks(session),
        now=now(),
        limits=CrossingLimits.of(settings()),
    )
    session.commit()
    return jsonify(results=[_item_json(result) for result in results])


@bp.get("/revocations")
@roles(Role.BORDER_GUARD, Role.OFFICER, Role.SUPERVISOR)
def revocations() -> Response:
    """The signed list of withdrawn and suspended permits, for checks without a connection. Kept in
    memory while no status, day or key changed; its version is the ETag, so a device that holds the
    current list (``If-None-Match``) is answered 304 without a body."""
    session, key, moment = get_session(), find_service(KeyStore).active_key(), now()
    version = list_version(session, key, moment.date())
    if request.if_none_match.contains_weak(version):
        response = Response(status=304)
    else:
        made = find_service(RevocationLists).current(session, key, moment, version)
        response = jsonify(token=made.token, jwks_url="/.well-known/jwks.json")
    response.set_etag(version, weak=True)  # the same list, though signed again at another time
    # asked again at every use: a withdrawal reaches the devices at once, and costs them nothing else
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API, in the order it is written (jsonify would sort the keys)."""
    response = Response(
        json.dumps(openapi_document(), ensure_ascii=False, indent=1), mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-cache"  # an upgrade may change it
    return response


@bp.get("/docs")
@public
def docs() -> str:
    """The interactive reference (Swagger UI, vendored in static/vendor/swagger-ui) over the document."""
    return render_template("api/docs.html")
