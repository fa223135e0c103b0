"""The officers' list of holders whose stays suggest misuse (``lbt.crossings.patterns``), each with
the reason it is flagged and a link to the permit."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from lbt.accounts import policy
from lbt.accounts.models import Role
from lbt.crossings import patterns
from lbt.web.security import roles
from lbt.web.state import get_session, now

bp = Blueprint("patterns", __name__)


@bp.get("/permits/patterns")
@roles(Role.OFFICER, Role.SUPERVISOR)
def index() -> str:
    try:
        page_number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page_number = 1
    page = patterns.listed(get_session(), policy.agreement_ids(current_user), now(), page=page_number)
    return render_template(
        "crossings/patterns.html",
        page=page,
        short_stay_hours=int(patterns.SHORT_STAY.total_seconds() // 3600),
        margin=patterns.NEAR_LIMIT_MARGIN_DAYS,
        page_url=lambda number: url_for("patterns.index", page=number),
    )
