"""Officers and supervisors review the crossings held because they were sent long after they happened
(``lbt.crossings.review``): a list of those under their agreements, each to accept or reject."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from lbt.accounts import policy
from lbt.accounts.models import User
from lbt.crossings import review
from lbt.crossings.forms import ReviewForm
from lbt.crossings.models import CrossingReview, ReviewDecision
from lbt.web.actions import run_action
from lbt.web.security import roles
from lbt.web.state import get_session, now, settings

bp = Blueprint("crossing_reviews", __name__, url_prefix="/crossings/held")


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _form(crossing_id: int, **kwargs: Any) -> ReviewForm:
    """One form per held crossing on the page, its fields named apart by the crossing's id."""
    return ReviewForm(prefix=f"crossing-{crossing_id}", **kwargs)


def _page(forms: dict[int, ReviewForm] | None = None, status: int = 200) -> tuple[str, int]:
    page_number = max(request.args.get("page", 1, type=int) or 1, 1)
    held = review.held_crossings(get_session(), policy.agreement_ids(_user()), page=page_number)
    forms = forms or {}
    listed = {row.id for row in held.items}
    return render_template(
        "crossings/held.html",
        held=held,
        forms={row.id: forms.get(row.id) or _form(row.id, formdata=None) for row in held.items},
        # a refused decision on a crossing no longer listed (decided meanwhile) is shown on top
        unlisted=[form for crossing_id, form in forms.items() if crossing_id not in listed],
        offline_max_age_hours=settings().offline_max_age_hours,
        page_url=lambda number: url_for("crossing_reviews.index", page=number),
    ), status


@bp.get("")
@roles(*review.REVIEWERS)
def index() -> tuple[str, int]:
    return _page()


def _said(decided: CrossingReview) -> str:
    if decided.decision is ReviewDecision.ACCEPTED:
        return _("The crossing is accepted and counts in the stays from now on.")
    return _("The crossing is rejected and does not count.")


@bp.post("/<int:crossing_id>")
@roles(*review.REVIEWERS)
def decide(crossing_id: int) -> Response | tuple[str, int]:
    """Accept or reject one held crossing; a crossing that is not there is a 404, one of another
    agreement a 403 (the error pages)."""
    form = _form(crossing_id)

    def action() -> CrossingReview:  # the decision is read once the form has checked it
        return review.decide(
            get_session(),
            crossing_id,
            ReviewDecision(form.decision.data),
            officer=_user(),
            note=form.note.data or "",
            now=now(),
        )

    outcome = run_action(form, action, _said)  # NotFound and AccessDenied go on to the error pages
    if outcome.done:
        return redirect(url_for("crossing_reviews.index"))
    return _page({crossing_id: form}, outcome.status)
