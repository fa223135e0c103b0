"""Follow-up actions, incidents and hand-over acts, and the calendar feed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.representatives import actions, incidents, meetings
from lbt.representatives.forms import (
    HandOverForm,
    IncidentForm,
    IncidentStatusForm,
    ProgressForm,
)
from lbt.representatives.ics import CalendarEvent, calendar
from lbt.representatives.models import (
    Action,
    ActionStatus,
    HandOverAct,
    HandOverKind,
    Incident,
    IncidentStatus,
    IncidentType,
    MeetingStatus,
)
from lbt.representatives.services import require_edit, side_in
from lbt.representatives.views.common import (
    PageResult,
    _apply,
    _get,
    _render,
    _sections,
    _user,
    _utc,
    _with_choices,
    bp,
)
from lbt.web.forms import ActionForm, BaseForm
from lbt.web.security import roles
from lbt.web.state import get_session, now, settings

# --- follow-up actions -----------------------------------------------------------------------------


def _actions_page(**submitted: BaseForm) -> tuple[str, int]:
    ids = [section.id for section in _sections()]
    rows = (
        get_session()
        .scalars(select(Action).where(Action.section_id.in_(ids)).order_by(Action.due_on, Action.id))
        .all()
    )
    forms = {
        f"a{a.id}": submitted.get(f"a{a.id}") or ProgressForm(formdata=None, prefix=f"a{a.id}") for a in rows
    }
    overdue = {a.id for a in actions.overdue_actions(get_session(), now(), ids)}
    return _render("representatives/actions.html", forms, rows=rows, overdue=overdue)


@bp.get("/actions")
@roles(Role.REPRESENTATIVE)
def action_list() -> tuple[str, int]:
    return _actions_page()


@bp.post("/actions/<int:action_id>/progress")
@roles(Role.REPRESENTATIVE)
def progress(action_id: int) -> PageResult:
    action = _get(Action, action_id)
    form = ProgressForm(prefix=f"a{action.id}")

    def call() -> None:
        status = ActionStatus(form.status.data) if form.status.data else None
        actions.add_progress_note(
            get_session(), _user(), action, form.text.data or "", status=status, now=now()
        )

    if _apply(form, call, _("The progress note was saved.")).done:
        return redirect(url_for(".action_list") + f"#action-{action.id}")
    return _actions_page(**{f"a{action.id}": form})


# --- incidents and hand-overs ----------------------------------------------------------------------


@bp.get("/incidents")
@roles(Role.REPRESENTATIVE)
def incident_list() -> tuple[str, int]:
    user = _user()
    rows = [(s, incidents.visible_incidents(get_session(), user, s)) for s in _sections()]
    return _render("representatives/incidents.html", {}, rows=rows)


@bp.route("/incidents/new", methods=["GET", "POST"])
@roles(Role.REPRESENTATIVE)
def new_incident() -> PageResult:
    sections = _sections()
    if not sections:
        abort(403)
    form = IncidentForm()
    form.section_id.choices = [(s.id, f"{s.code} {s.name}") for s in sections]
    section = next((s for s in sections if s.id == form.section_id.data), sections[0])
    _with_choices(form, section)

    def call() -> Incident:
        data = incidents.IncidentInput(
            type=IncidentType(form.type.data),
            occurred_at=_utc(form.occurred_at.data, section),  # type: ignore[arg-type]
            description=form.description.data or "",
            landmark=form.landmark.data or "",
            border_sign=form.border_sign.data or "",
            latitude=form.latitude.data,
            longitude=form.longitude.data,
            persons_involved=form.persons_involved.data or 0,
            animals_involved=form.animals_involved.data or 0,
            property_involved=form.property_involved.data or "",
            is_shared=bool(form.is_shared.data),
        )
        return incidents.report_incident(get_session(), _user(), section, data, now=now())

    outcome = _apply(form, call, _("The incident was recorded."))
    if outcome.done:
        return redirect(url_for(".incident", incident_id=outcome.result.id))
    return _render("representatives/incident_form.html", {"incident": form}, form=form)


def _incident_page(incident: Incident, **submitted: BaseForm) -> tuple[str, int]:
    user = _user()
    forms: dict[str, BaseForm] = {
        "status": submitted.get("status")
        or IncidentStatusForm(formdata=None, data={"status": incident.status.value}),
        "hand_over": submitted.get("hand_over")
        or _with_choices(HandOverForm(formdata=None, prefix="hand_over"), incident.section),
        "button": ActionForm(formdata=None),
    }
    return _render(
        "representatives/incident.html",
        forms,
        incident=incident,
        side=side_in(user, incident.section_id),
        can_edit=incident.reported_by_state_id == side_in(user, incident.section_id),
        meetings_of=incidents.meetings_of(incident),
        decisions=incidents.decisions_of(incident),
    )


@bp.get("/incidents/<int:incident_id>")
@roles(Role.REPRESENTATIVE)
def incident(incident_id: int) -> tuple[str, int]:
    return _incident_page(_get(Incident, incident_id))


def _on_incident(
    incident: Incident, key: str, form: BaseForm, call: Callable[[], Any], message: str
) -> PageResult:
    if _apply(form, call, message).done:
        return redirect(url_for(".incident", incident_id=incident.id))
    return _incident_page(incident, **{key: form})


@bp.post("/incidents/<int:incident_id>/share")
@roles(Role.REPRESENTATIVE)
def share(incident_id: int) -> PageResult:
    i = _get(Incident, incident_id)
    require_edit(_user(), i)
    call = partial(incidents.share_incident, get_session(), _user(), i, now=now())
    return _on_incident(i, "button", ActionForm(), call, _("The incident is shared with the other side."))


@bp.post("/incidents/<int:incident_id>/status")
@roles(Role.REPRESENTATIVE)
def incident_status(incident_id: int) -> PageResult:
    i, form = _get(Incident, incident_id), IncidentStatusForm()

    def call() -> None:
        incidents.set_incident_status(get_session(), _user(), i, IncidentStatus(form.status.data), now=now())

    return _on_incident(i, "status", form, call, _("The incident's status was changed."))


@bp.post("/incidents/<int:incident_id>/hand-overs")
@roles(Role.REPRESENTATIVE)
def hand_over(incident_id: int) -> PageResult:
    i = _get(Incident, incident_id)
    form = _with_choices(HandOverForm(prefix="hand_over"), i.section)

    def call() -> None:
        incidents.record_hand_over(
            get_session(),
            _user(),
            section=i.section,
            kind=HandOverKind(form.kind.data),
            count=form.count.data or 0,
            handing_state_id=form.handing_state_id.data,
            handed_over_at=_utc(form.handed_over_at.data, i.section),
            description=form.description.data or "",
            incident=i,
            now=now(),
        )

    return _on_incident(
        i, "hand_over", form, call, _("The hand-over act was recorded; the other side confirms it.")
    )


@bp.post("/hand-overs/<int:act_id>/confirm")
@roles(Role.REPRESENTATIVE)
def confirm_hand_over(act_id: int) -> PageResult:
    act = _get(HandOverAct, act_id)
    if act.incident is None:
        abort(404)
    call = partial(incidents.confirm_hand_over, get_session(), _user(), act, now=now())
    return _on_incident(act.incident, "button", ActionForm(), call, _("Your side confirmed the hand-over."))


# --- calendar feed ---------------------------------------------------------------------------------


@bp.get("/calendar.ics")
@roles(Role.REPRESENTATIVE)
def calendar_feed() -> Response:
    """The user's sections' scheduled meetings and open requests, for any calendar application."""
    moment = now()
    public_host = urlsplit(settings().public_url).hostname or "localhost"
    events = [
        CalendarEvent(
            uid=f"lbt-meeting-{m.id}@{public_host}",  # two states' instances never share a UID
            start=m.starts_at,
            end=m.starts_at + timedelta(hours=3),
            summary=f"{m.section.code}: {_('Meeting of border representatives')}"
            + ("" if m.status is MeetingStatus.SCHEDULED else f" ({_('requested')})"),
            location=(
                f"{m.crossing_point.code} {m.crossing_point.name}"
                if m.crossing_point
                else m.venue_name or m.crossing_point_code
            ),
            description="\n".join(f"{item.position}. {item.title}" for item in m.agenda),
            url=url_for(".meeting", meeting_id=m.id, _external=True),
            confirmed=m.status is MeetingStatus.SCHEDULED,
            time_zone=m.section.zone_name,
        )
        for section in _sections()
        for m in meetings.upcoming_meetings(get_session(), section, moment - timedelta(days=30))
    ]
    body = calendar(events, stamp=moment, name=_("Meetings of border representatives"))
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="meetings.ics"'
    return response
