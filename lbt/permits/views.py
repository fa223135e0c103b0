"""Permit pages for officers, the card PDF, and the published signing keys (JWKS)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify
from sqlalchemy import select
from werkzeug.wrappers import Response

from lbt.permits.models import Permit
from lbt.permits.signing import jwks
from lbt.security import public
from lbt.web import get_session, now, state

bp = Blueprint("permits", __name__)


def kids_still_needed(today: date) -> set[str]:
    """Keys that signed a permit still valid today stay published (retired or not)."""
    session = get_session()
    return set(session.scalars(select(Permit.signing_kid).where(Permit.valid_until >= today).distinct()))


@bp.get("/.well-known/jwks.json")
@public
def jwks_document() -> Response:
    """RFC 7517 JWK Set of the permit signing keys; cached briefly by phones and crossing points."""
    response = jsonify(jwks(state().keystore, kids_still_needed(now().date())))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
