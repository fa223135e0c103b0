"""The public check at /v: what a phone opens when anyone scans a permit card. The token stays in the
URL fragment (never sent to the server); the page checks its signature in the browser against the
published keys and shows what the QR itself carries, nothing from the database about the holder. It
does carry the reference data every permit of this instance points to: the border area of each of
the home state's agreements, so the page can list where a permit (its ``agr`` claim) is valid."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from lbt.reference.area import home_areas
from lbt.reference.models import Agreement
from lbt.web.security import public
from lbt.web.state import get_session, settings

bp = Blueprint("verify", __name__)


@bp.get("/v")
@public
def check() -> str:
    home = settings().home_state
    agreements = get_session().scalars(select(Agreement).order_by(Agreement.code)).all()
    areas = home_areas(get_session(), agreements, home)
    return render_template("crossings/public_check.html", areas=list(areas.values()), home_state=home)
