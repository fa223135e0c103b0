"""The JSON API for crossing-point devices (docs/api.md): verify a scanned permit, send crossings
(idempotent on the device's UUID, offline records included), fetch the signed revocation list.
Callers authenticate with a bearer token (``lbt tokens create``) or, from the app's own pages, the
login session with its CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from lbt.accounts.models import Role
from lbt.core.errors import DomainError
from lbt.crossings.models import Direction
from lbt.crossings.services import CrossingConflict, EntryRefused, record
from lbt.crossings.verify import permit_facts, stay_facts, verify_scan
from lbt.permits.models import Permit
from lbt.permits.revocations import revocation_list
from lbt.permits.services import find_by_number
from lbt.permits.signing import KeyStore
from lbt.permits.views import published_jwks
from lbt.reference.models import CrossingPoint
from lbt.web.i18n import translate_error
from lbt.web.security import roles
from lbt.web.state import find_service, get_session, now

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_BATCH = 500


def _problem(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message, status=status), status


def _json() -> dict[str, Any] | None:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


def _crossing_point(code: Any) -> CrossingPoint | None:
    """The crossing point named by code, or the guard's only one when none is named."""
    points = list(current_user.crossing_points)
    if code is None and len(points) == 1:
        return points[0]
    return next((point for point in points if point.code == code), None)


def _reasons(reasons: Any) -> list[dict[str, str]]:
    return [{"code": reason.code, "message": _(reason.message, **reason.params)} for reason in reasons]


@bp.post("/verify")
@roles(Role.BORDER_GUARD)
def verify() -> tuple[Response, int] | Response:
    data = _json()
    if data is None or not isinstance(data.get("token"), str):
        return _problem(400, _('Send a JSON object with the scanned text in "token".'))
    point = _crossing_point(data.get("crossing_point"))
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
        published_jwks(),
        crossing_point=point,
        direction=Direction(direction),
        at=moment,
    )
    body: dict[str, Any] = {
        "verdict": result.verdict.value,
        "reasons": _reasons(result.reasons),
        "checked_at": moment.isoformat(),
    }
    if result.permit is not None and result.assessment is not None:
        body["permit"] = permit_facts(result.permit, moment)
        body["stay"] = stay_facts(result.assessment)
    session.commit()
    return jsonify(body)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _one_crossing(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        return {"status": "invalid", "error": _("Each crossing is a JSON object.")}
    result: dict[str, Any] = {"id": item.get("id")}
    session = get_session()
    point = _crossing_point(item.get("crossing_point"))
    at = _parse_time(item.get("at"))
    direction = item.get("direction")
    if point is None or at is None or direction not in ("entry", "exit"):
        return {
            **result,
            "status": "invalid",
            "error": _(
                "Give crossing_point (one of yours), direction (entry or exit) and at (ISO 8601 with a time zone)."
            ),
        }
    permit: Permit | None = None
    if isinstance(item.get("token"), str):
        scan = verify_scan(
            session,
            item["token"],
            published_jwks(),
            crossing_point=point,
            direction=Direction(direction),
            at=at,
        )
        permit = scan.permit
        if permit is None:
            return {**result, "status": "invalid", "error": _(scan.reasons[0].message)}
    elif isinstance(item.get("permit_number"), str):
        permit = find_by_number(session, item["permit_number"])
    if permit is None:
        return {**result, "status": "invalid", "error": _("No permit with this number is on record.")}
    savepoint = session.begin_nested()
    try:
        recorded = record(
            session,
            client_id=str(item.get("id")),
            permit=permit,
            crossing_point=point,
            direction=Direction(direction),
            at=at.astimezone(UTC),
            officer=current_user._get_current_object(),  # type: ignore[attr-defined]
            reason=str(item.get("reason") or ""),
            offline=bool(item.get("offline", True)),
            now=now(),
        )
    except CrossingConflict as error:
        savepoint.rollback()
        return {**result, "status": "conflict", "error": translate_error(error)}
    except (EntryRefused, DomainError) as error:
        savepoint.rollback()
        return {
            **result,
            "status": "refused" if isinstance(error, EntryRefused) else "invalid",
            "error": translate_error(error),
        }
    savepoint.commit()
    status = "duplicate" if recorded.duplicate else "conflict" if recorded.conflict else "stored"
    return {
        **result,
        "status": status,
        "verdict": recorded.crossing.verdict.value,
        "misuse_case": recorded.misuse.id if recorded.misuse else None,
    }


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
    results = [_one_crossing(item) for item in items]
    get_session().commit()
    return jsonify(results=results)


@bp.get("/revocations")
@roles(Role.BORDER_GUARD, Role.OFFICER, Role.SUPERVISOR)
def revocations() -> Response:
    """The signed list of withdrawn and suspended permits, for checks without a connection."""
    token = revocation_list(get_session(), find_service(KeyStore).active_key(), now())
    response = jsonify(token=token, jwks_url="/.well-known/jwks.json")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
