"""The residents' blueprint ("apply") and what its pages share: the rate limit, no caching, and the
session entry that keeps one application open in this browser."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import session as web_session
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from lbt.applications.models import Application
from lbt.reference.queries import agreement_states
from lbt.web.i18n import languages_first
from lbt.web.state import get_session, now, settings

bp = Blueprint("apply", __name__, url_prefix="/apply")

APPLY_LIMIT = "20 per minute; 200 per hour"  # generous: a village may share one mobile-network address
STATUS_MINUTES = 30  # the application page closes after this long without activity
STATUS_KEY = "lbt_apply_status"


@bp.after_request
def _no_store(response: Response) -> Response:
    """Every page here shows personal data, often on a shared phone: never keep it in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _languages_of_the_agreement() -> dict[str, Any]:
    """Residents are offered the languages of the agreement's two states first."""
    try:
        states = agreement_states(get_session(), settings().home_state)
    except SQLAlchemyError:  # an error page while the database is away keeps the usual order
        return {}
    return {"locale_names": languages_first(states)}


def open_status(application: Application) -> None:
    """Keep ``application`` open in this browser for the next ``STATUS_MINUTES``."""
    web_session[STATUS_KEY] = {"id": application.id, "until": now().timestamp() + STATUS_MINUTES * 60}
