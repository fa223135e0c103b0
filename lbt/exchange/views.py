"""The exchange's pages: the partner-facing endpoints under ``/exchange/v1/`` (no login, no CSRF: each
request is trusted by its signature alone) and the administrator's page of links."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from lbt.accounts.models import Role
from lbt.audit.models import AuditActor
from lbt.core.dates import parse_instant
from lbt.crossings.batch_items import crossing_point_of
from lbt.crossings.models import Direction
from lbt.crossings.timing import CrossingLimits
from lbt.exchange.admin_views import register_admin
from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.limits import CALLER_LIMIT, MAX_PARTNER_CROSSINGS
from lbt.exchange.messages import peek
from lbt.exchange.partner_permits import PartnerCrossingRefused, record_partner_crossing
from lbt.exchange.server import MAX_PUSH, FetchRefused, LinkInactive, accept_push, serve_fetch
from lbt.exchange.trust import partner_key_sets
from lbt.exchange.withdrawals import withdrawn_digests
from lbt.permits.signing import MalformedToken, SigningKeyError
from lbt.reference.models import State
from lbt.web.i18n import translate_error
from lbt.web.names import state_name
from lbt.web.security import public, roles, signed_requests
from lbt.web.state import find_service, get_session, limiter, now, set_actor, settings

bp = Blueprint("exchange", __name__)

MAX_FETCH_REQUEST = 16 * 1024
MAX_PUSH_BYTES = 8 * 1024 * 1024  # a push's body read for its rate limit's key (larger: by address)


def _problem(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message, status=status), status


def _inactive(error: LinkInactive) -> tuple[Response, int]:
    """A deactivated link: a clear refusal the partner's sync treats as "try later" (it keeps its queue)."""
    return _problem(
        409,
        f"Link inactive: the link of agreement {error.agreement} is deactivated on this instance; "
        "nothing was taken. Keep the messages queued and offer them again later.",
    )


def _as_partner() -> str:
    """Changes made for a partner's request are the exchange's, from the caller's address."""
    source = f"web {request.remote_addr or '-'}"
    set_actor(AuditActor(None, "exchange", source))
    return source


def _claimed_link(token: object) -> str:
    """The link a token says it is on (unverified: the rate limit's key, never trusted)."""
    try:
        claimed = peek(token) if isinstance(token, str) else {}
    except MalformedToken:
        claimed = {}
    agreement, sender = claimed.get("agr"), claimed.get("from")
    return f"{str(agreement)[:40]}/{str(sender)[:2]}" if agreement and sender else "-"


def _push_key() -> str:
    """Pushes are counted per caller address and the link its first message names."""
    data = request.get_json(silent=True) if (request.content_length or 0) <= MAX_PUSH_BYTES else None
    tokens = data.get("messages") if isinstance(data, dict) else None
    first = tokens[0] if isinstance(tokens, list) and tokens else None
    return f"exchange-push:{request.remote_addr or '-'}:{_claimed_link(first)}"


def _fetch_key() -> str:
    """Fetch requests are counted per caller address and the link the request names."""
    body = request.get_data() if (request.content_length or 0) <= MAX_FETCH_REQUEST else b""
    return f"exchange-fetch:{request.remote_addr or '-'}:{_claimed_link(body.decode('ascii', 'replace').strip())}"


def _caller_key() -> str:
    return f"exchange:{request.remote_addr or '-'}"


exchange_calls = limiter.shared_limit(CALLER_LIMIT, scope="exchange", key_func=_caller_key)


@bp.post("/exchange/v1/inbox")
@signed_requests
@exchange_calls
@limiter.limit(lambda: settings().exchange_push_limit, key_func=_push_key)
def inbox() -> Response | tuple[Response, int]:
    """Messages pushed by a partner: ``{"messages": [<JWS>, ...]}``, answered with each one's outcome
    and a signed receipt per link (docs/exchange.md)."""
    data = request.get_json(silent=True)
    tokens = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(tokens, list) or not tokens or not all(isinstance(token, str) for token in tokens):
        return _problem(400, 'Send a JSON object with a list of compact JWS in "messages".')
    if len(tokens) > MAX_PUSH:
        return _problem(413, f"At most {MAX_PUSH} messages at a time.")
    source = _as_partner()
    session = get_session()
    try:
        answer = accept_push(
            session,
            tokens,
            home_state=settings().home_state,
            keys=find_service(ExchangeKeyStore),
            now=now(),
            source=source,
        )
    except LinkInactive as error:
        session.rollback()
        return _inactive(error)
    except SigningKeyError:  # nothing is kept: the sender offers the messages again
        session.rollback()
        return _problem(503, "This instance cannot sign its receipts: its exchange key is missing.")
    session.commit()
    return jsonify(results=answer.results, receipts=answer.receipts)


@bp.post("/exchange/v1/fetch")
@signed_requests
@exchange_calls
@limiter.limit(lambda: settings().exchange_fetch_limit, key_func=_fetch_key)
def fetch() -> Response | tuple[Response, int]:
    """A partner asks, in a signed request (the body, a compact JWS), for what is queued for it."""
    body = request.get_data()
    if not body or len(body) > MAX_FETCH_REQUEST:
        return _problem(400, "Send the signed fetch request (a compact JWS) as the body.")
    source = _as_partner()
    session = get_session()
    try:
        answer = serve_fetch(
            session,
            body.decode("ascii", "replace").strip(),
            home_state=settings().home_state,
            keys=find_service(ExchangeKeyStore),
            now=now(),
            source=source,
        )
    except LinkInactive as error:
        session.rollback()
        return _inactive(error)
    except FetchRefused as error:
        session.commit()  # the refusal record, nothing else
        return _problem(403, f"The fetch request is refused: {error}")
    except SigningKeyError:
        session.rollback()
        return _problem(503, "This instance cannot sign its messages: its exchange key is missing.")
    session.commit()
    return jsonify(messages=answer.messages, more=answer.more)


# --- the administrator's page: lbt/exchange/admin_views.py -----------------------------------------

register_admin(bp)


# --- the guard at exit, and the public check at /v --------------------------------------------------


@bp.post("/api/v1/partner-crossings")
@roles(Role.BORDER_GUARD)
def partner_crossings() -> Response | tuple[Response, int]:
    """Exits (or entries) of holders of the partner's permits, recorded here when the agreement asks
    both sides to record: a list of ``{"id", "token", "crossing_point", "direction", "at"}``; each
    is stored once under its device UUID."""
    data = request.get_json(silent=True)
    items = data.get("crossings") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        return _problem(400, _("Send a JSON list of crossings."))
    if len(items) > MAX_PARTNER_CROSSINGS:
        return _problem(413, _("At most %(count)d crossings at a time.", count=MAX_PARTNER_CROSSINGS))
    session = get_session()
    guard = current_user._get_current_object()  # type: ignore[attr-defined]
    moment = now()
    results = []
    for item in items:
        results.append(_partner_crossing(session, guard, item, moment))
    session.commit()
    return jsonify(results=results)


def _partner_crossing(session, guard, item: object, moment: datetime) -> dict[str, object]:  # type: ignore[no-untyped-def]
    if not isinstance(item, dict):
        return {"id": None, "status": "invalid", "error": _("Each crossing is a JSON object.")}
    sent = item.get("id")
    sent_id = sent if isinstance(sent, str) and len(sent) <= 64 else None
    point = crossing_point_of(guard, item.get("crossing_point"))
    direction = item.get("direction")
    at = parse_instant(item.get("at")) if item.get("at") is not None else moment
    token = item.get("token")
    if point is None:
        return {"id": sent_id, "status": "invalid", "error": _("Choose one of your crossing points.")}
    if direction not in ("entry", "exit") or at is None or not isinstance(token, str) or len(token) > 5000:
        return {
            "id": sent_id,
            "status": "invalid",
            "error": _("Send the scanned code, the direction and the time."),
        }
    try:
        status, _crossing = record_partner_crossing(
            session,
            client_id=sent_id or "",
            text=token,
            crossing_point=point,
            direction=Direction(direction),
            at=at,
            officer_id=guard.id,
            now=moment,
            skew=CrossingLimits.of(settings()).clock_skew,
        )
    except PartnerCrossingRefused as error:
        return {"id": sent_id, "status": "refused", "error": translate_error(error)}
    return {"id": sent_id, "status": status}


@bp.get("/v/partners")
@public
def partner_keys() -> Response:
    """For the page at /v: each partner state's permit-signing keys and the status-list digests of its
    withdrawn permits, as the exchange last carried them (public data: keys and hashes)."""
    session = get_session()
    moment = now()
    states = {state.code: state for state in session.scalars(select(State))}
    keys = partner_key_sets(session)
    withdrawn = withdrawn_digests(session, moment.date())
    body = {
        code: {
            "name": state_name(states[code]) if code in states else code,
            "keys": key_set["keys"],
            "withdrawn": withdrawn.get(code, {}),
        }
        for code, key_set in keys.items()
    }
    response = jsonify(states=body)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
