"""The blueprint and what the representatives' pages share: access, choices, rendering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_, select
from werkzeug.wrappers import Response as BaseResponse

from lbt.accounts.models import User
from lbt.core.dates import local_to_utc
from lbt.core.errors import AccessDenied, DomainError
from lbt.reference.models import Agreement, BorderSection, CrossingPoint
from lbt.representatives import meetings
from lbt.representatives.forms import (
    LABELS,
    CounterProposalForm,
    MeetingRequestForm,
)
from lbt.representatives.models import (
    Action,
    AgendaItem,
    HandOverAct,
    Incident,
    IncidentStatus,
    Meeting,
    Protocol,
)
from lbt.representatives.services import (
    require_read,
    side_in,
)
from lbt.web.actions import Outcome, run_action
from lbt.web.dates import date_example
from lbt.web.forms import BaseForm
from lbt.web.state import get_session, now

bp = Blueprint("representatives", __name__, url_prefix="/representatives")

PageResult = BaseResponse | str | tuple[str, int]
R = TypeVar("R", Meeting, AgendaItem, Protocol, Action, Incident, HandOverAct)
T = TypeVar("T")
OPEN_INCIDENT_STATUSES = (IncidentStatus.REPORTED, IncidentStatus.JOINT_INVESTIGATION)


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _sections() -> list[BorderSection]:
    user = _user()
    return [section for section in user.border_sections if side_in(user, section) is not None]


def _get(model: type[R], record_id: int) -> R:
    """The record if it exists and the user's side may read it (403 otherwise)."""
    record = get_session().get(model, record_id)
    if record is None:
        abort(404)
    require_read(_user(), record)
    return record


def _utc(value: datetime | None, section: BorderSection) -> datetime | None:
    """A time typed on the section's clock (the form says so) as the UTC moment that is stored."""
    return local_to_utc(value, section.zone_name) if value is not None else None


def _apply(form: BaseForm, call: Callable[[], T], message: str) -> Outcome[T]:
    """The one action of a page (see run_action); any refusal is shown on the form, except a refusal of
    access: that goes on to the 403 page."""
    return run_action(form, call, message, refusals=(DomainError,), propagate=(AccessDenied,))


def _sides(section: BorderSection) -> list[tuple[int, str]]:
    return [(section.state_a_id, section.state_a.code), (section.state_b_id, section.state_b.code)]


def _crossing_points(section: BorderSection) -> list[tuple[int, str]]:
    """Crossing points of the agreement between the section's two states (one query)."""
    a, b = section.state_a_id, section.state_b_id
    points = get_session().scalars(
        select(CrossingPoint)
        .join(Agreement, CrossingPoint.agreement_id == Agreement.id)
        .where(
            or_(
                and_(Agreement.state_a_id == a, Agreement.state_b_id == b),
                and_(Agreement.state_a_id == b, Agreement.state_b_id == a),
            )
        )
        .order_by(CrossingPoint.code)
    )
    return [(0, "—"), *((p.id, f"{p.code} {p.name}") for p in points)]


def _with_choices(form: BaseForm, section: BorderSection) -> BaseForm:
    for name in ("state_id", "responsible_state_id", "handing_state_id"):
        if hasattr(form, name):
            getattr(form, name).choices = _sides(section)
    if hasattr(form, "crossing_point_id"):
        form.crossing_point_id.choices = _crossing_points(section)
    for name in ("starts_at", "occurred_at", "handed_over_at"):
        if hasattr(form, name):  # the zone the time is typed in, named
            getattr(form, name).description = _(
                "Local time of the section (%(zone)s), for example %(example)s.",
                zone=section.zone_name,
                example=f"{date_example()} 14:30",
            )
    return form


def _venue(form: MeetingRequestForm | CounterProposalForm, host_state_id: int | None) -> meetings.Venue:
    point = (
        get_session().get(CrossingPoint, form.crossing_point_id.data) if form.crossing_point_id.data else None
    )
    return meetings.Venue(crossing_point=point, name=form.venue_name.data or "", host_state_id=host_state_id)


def _render(template: str, forms: dict[str, BaseForm], **context: Any) -> tuple[str, int]:
    failed = [form for form in forms.values() if form.errors]
    page_errors = [message for form in failed for message in form.form_errors]
    if any(form.errors.get("csrf_token") for form in failed):
        page_errors.append(
            _("The form was sent without a valid security token. Reload the page and try again.")
        )
    html = render_template(
        template, forms=forms, page_errors=page_errors, labels=LABELS, today=now().date(), **context
    )
    return html, 400 if failed else 200
