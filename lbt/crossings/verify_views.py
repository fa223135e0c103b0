"""The public check at /v: what a phone opens when anyone scans a permit card. The token stays in the
URL fragment (never sent to the server); the page checks its signature in the browser against the
published keys and shows what the QR itself carries, nothing from the database about the holder. It
does carry the reference data every permit of this instance points to (the border area of each of
the home state's agreements, the names of states and agreements), and it reads the signed public
status list (``/v/status``: hashes of withdrawn permits' signatures) to say "genuine but withdrawn"."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, jsonify, render_template
from sqlalchemy import select

from lbt.permits.signing import KeyStore
from lbt.permits.status_list import status_list, withdrawals_fingerprint
from lbt.reference.area import home_areas
from lbt.reference.models import Agreement, State
from lbt.web.names import state_name
from lbt.web.security import public
from lbt.web.state import find_service, get_session, now, settings

bp = Blueprint("verify", __name__)

CACHE_KEY = "lbt.status_list"
_lock = threading.Lock()


@dataclass(frozen=True)
class _Made:
    fingerprint: tuple[object, ...]
    token: str


@bp.get("/v")
@public
def check() -> str:
    home = settings().home_state
    session = get_session()
    agreements = session.scalars(select(Agreement).order_by(Agreement.code)).all()
    states = session.scalars(select(State)).all()
    return render_template(
        "crossings/public_check.html",
        areas=list(home_areas(session, agreements, home).values()),
        home_state=home,
        names={
            "states": {state.code: state_name(state) for state in states},
            "agreements": {agreement.code: agreement.name for agreement in agreements},
        },
    )


@bp.get("/v/status")
@public
def status() -> Response:
    """The signed list of withdrawn permits (hashes only), for the page at /v and any other verifier."""
    key = find_service(KeyStore).active_key()
    moment = now()
    session = get_session()
    # made again only when a withdrawal, a reinstatement, the day or the key changed (one indexed query)
    fingerprint = (key.kid, moment.date(), *withdrawals_fingerprint(session, moment))
    with _lock:
        made = current_app.extensions.get(CACHE_KEY)
        if made is None or made.fingerprint != fingerprint:
            made = _Made(fingerprint, status_list(session, key, issuer=settings().home_state, now=moment))
            current_app.extensions[CACHE_KEY] = made
    response = jsonify(token=made.token, jwks_url="/.well-known/jwks.json")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
