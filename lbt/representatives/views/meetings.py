"""Overview, meeting requests, meeting records and protocols."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import abort, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.core.dates import local_day
from lbt.representatives import actions, delegations, incidents, meetings, protocols
from lbt.representatives.forms import (
    POST_LABELS,
    CounterProposalForm,
    DeclineForm,
    FollowUpForm,
    GuestForm,
    MeetingRequestForm,
    NoteForm,
    ParticipantForm,
    ReopenForm,
    addendum_form,
    item_text_form,
)
from lbt.representatives.models import Meeting, MeetingKind, MeetingStatus, Representative
from lbt.representatives.services import internal_notes, is_record_locked, side_in
from lbt.representatives.sharing import outgoing
from lbt.representatives.views.common import (
    OPEN_INCIDENT_STATUSES,
    PageResult,
    _apply,
    _get,
    _render,
    _sections,
    _sides,
    _user,
    _utc,
    _venue,
    _with_choices,
    bp,
)
from lbt.web.forms import ActionForm, BaseForm
from lbt.web.security import roles
from lbt.web.state import get_session, now

# --- overview -------------------------------------------------------------------------------------


@bp.get("/")
@roles(Role.REPRESENTATIVE)
def index() -> tuple[str, int]:
    session, user, moment = get_session(), _user(), now()
    sections = _sections()
    ids = [section.id for section in sections]
    waiting = session.scalars(
        select(Meeting)
        .where(Meeting.section_id.in_(ids), Meeting.status == MeetingStatus.REQUESTED)
        .order_by(Meeting.reply_due_at)
    ).all()
    recent = session.scalars(
        select(Meeting)
        .where(Meeting.section_id.in_(ids), Meeting.starts_at < moment)
        .order_by(Meeting.starts_at.desc())
        .limit(20)
    ).all()
    open_incidents = [
        incident
        for section in sections
        for incident in incidents.visible_incidents(session, user, section)
        if incident.status in OPEN_INCIDENT_STATUSES
    ]
    return _render(
        "representatives/index.html",
        {},
        calendar=[(section, meetings.upcoming_meetings(session, section, moment)) for section in sections],
        waiting=waiting,
        recent=recent,
        overdue=actions.overdue_actions(session, moment, ids),
        open_incidents=open_incidents,
        now=moment,
        side=lambda section_id: side_in(user, section_id),
    )


# --- meeting requests -----------------------------------------------------------------------------


@bp.route("/meetings/new", methods=["GET", "POST"])
@roles(Role.REPRESENTATIVE)
def new_meeting() -> PageResult:
    session, user = get_session(), _user()
    sections = _sections()
    if not sections:
        abort(403)
    form = MeetingRequestForm()
    form.section_id.choices = [(s.id, f"{s.code} {s.name}") for s in sections]
    section = next((s for s in sections if s.id == form.section_id.data), sections[0])
    _with_choices(form, section)
    form.host_state_id.choices = [(0, _("By alternation")), *_sides(section)]
    hosts = {s.id: meetings.proposed_host(session, s, user.state_id) for s in sections}

    register = {
        r.id: r
        for s in sections
        for r in delegations.register_choices(session, s, local_day(now(), s.zone_name))
    }
    form.register_ids.choices = [
        (r.id, f"{r.section.code} · {r.state.code} · {r.full_name}, {POST_LABELS[r.post]}")
        for r in register.values()
    ]
    if not form.is_submitted():
        form.register_ids.data = [
            r.id for r in register.values() if r.user_id == user.id and r.section_id == section.id
        ]

    def request() -> Meeting:
        chosen = [register[i] for i in form.register_ids.data or () if i in register]
        people = [delegations.from_register(r) for r in chosen]
        return meetings.request_meeting(
            session,
            user,
            section=section,
            kind=MeetingKind(form.kind.data),
            starts_at=_utc(form.starts_at.data, section),  # type: ignore[arg-type]
            venue=_venue(form, form.host_state_id.data or None),
            agenda=(form.agenda.data or "").splitlines(),
            participants=people,
            now=now(),
        )

    outcome = _apply(form, request, _("The meeting request was sent to the other side."))
    if outcome.done:
        return redirect(url_for(".meeting", meeting_id=outcome.result.id))
    return _render(
        "representatives/request.html",
        {"request": form},
        form=form,
        sections=sections,
        hosts=hosts,
        sides=_sides,
    )


def _meeting_page(meeting: Meeting, **submitted: BaseForm) -> tuple[str, int]:
    session, user = get_session(), _user()
    section = meeting.section
    languages = list(section.working_languages)

    def shown(key: str, make: Callable[..., BaseForm], **data: Any) -> BaseForm:
        if key in submitted:
            return submitted[key]
        return _with_choices(make(formdata=None, prefix=key, data=data), section)

    forms: dict[str, BaseForm] = {
        "decline": shown("decline", DeclineForm),
        "counter": shown("counter", CounterProposalForm),
        "participant": shown("participant", ParticipantForm),
        "guest": shown("guest", GuestForm),
        "reopen": shown("reopen", ReopenForm),
        "note": shown("note", NoteForm),
        "addendum": shown("addendum", lambda **kw: addendum_form(languages, **kw)),
        "button": ActionForm(formdata=None),
    }
    for item in meeting.agenda:
        texts = {
            f"{part}_{t.language}": getattr(t, part) for t in item.texts for part in ("summary", "decision")
        }
        forms[f"item{item.id}"] = shown(
            f"item{item.id}", lambda **kw: item_text_form(languages, **kw), **texts
        )
        forms[f"action{item.id}"] = shown(f"action{item.id}", FollowUpForm)
    forms["participant"].representative_id.choices = [  # type: ignore[attr-defined]
        (r.id, f"{r.state.code} · {r.full_name}, {POST_LABELS[r.post]}")
        for r in delegations.register_choices(
            session, section, local_day(meeting.starts_at, section.zone_name)
        )
        if all(p.representative_id != r.id for p in meeting.participants)
    ]
    side = side_in(user, section)
    protocol = protocols.the_protocol(meeting)
    heads = delegations.heads(session, meeting)
    my_head = heads.get(side) if side else None
    return _render(
        "representatives/meeting.html",
        forms,
        meeting=meeting,
        section=section,
        languages=languages,
        side=side,
        my_turn=meeting.status is MeetingStatus.REQUESTED and meeting.awaiting_state_id == side,
        overdue=meeting.reply_due_at is not None and meeting.reply_due_at < now(),
        can_hold=meeting.status is MeetingStatus.SCHEDULED and meeting.starts_at <= now(),
        locked=is_record_locked(meeting),
        protocol=protocol,
        approvals_valid={
            a.id: protocols.approval_is_valid(a) for p in meeting.protocols for a in p.approvals
        },
        is_head=my_head is not None and my_head.user_id == user.id,
        heads=heads,
        frozen=delegations.is_frozen(protocol),
        steps=[
            (_(step.message, **step.params) if step.params else _(step.message), step.done)
            for step in delegations.next_steps(session, meeting, now())
        ],
        post_labels=POST_LABELS,
        notes=internal_notes(session, user, meeting),
        refused=outgoing.refused_changes(session, meeting),
    )


@bp.get("/meetings/<int:meeting_id>")
@roles(Role.REPRESENTATIVE)
def meeting(meeting_id: int) -> tuple[str, int]:
    return _meeting_page(_get(Meeting, meeting_id))


def _on_meeting(
    meeting: Meeting, key: str, form: BaseForm, call: Callable[[], Any], message: str
) -> PageResult:
    _with_choices(form, meeting.section)
    if _apply(form, call, message).done:
        return redirect(url_for(".meeting", meeting_id=meeting.id))
    return _meeting_page(meeting, **{key: form})


@bp.post("/meetings/<int:meeting_id>/accept")
@roles(Role.REPRESENTATIVE)
def accept(meeting_id: int) -> PageResult:
    m = _get(Meeting, meeting_id)
    call = partial(meetings.accept, get_session(), _user(), m, now=now())
    return _on_meeting(m, "button", ActionForm(), call, _("The meeting is scheduled."))


@bp.post("/meetings/<int:meeting_id>/decline")
@roles(Role.REPRESENTATIVE)
def decline(meeting_id: int) -> PageResult:
    m, form = _get(Meeting, meeting_id), DeclineForm(prefix="decline")
    call = partial(meetings.decline, get_session(), _user(), m, reason=form.reason.data or "", now=now())
    return _on_meeting(m, "decline", form, call, _("The request was declined."))


@bp.post("/meetings/<int:meeting_id>/counter")
@roles(Role.REPRESENTATIVE)
def counter(meeting_id: int) -> PageResult:
    m, form = _get(Meeting, meeting_id), CounterProposalForm(prefix="counter")

    def call() -> None:
        venue_given = form.crossing_point_id.data or (form.venue_name.data or "").strip()
        meetings.counter_propose(
            get_session(),
            _user(),
            m,
            starts_at=_utc(form.starts_at.data, m.section),
            venue=_venue(form, None) if venue_given else None,
            reason=form.reason.data or "",
            now=now(),
        )

    return _on_meeting(m, "counter", form, call, _("Your counter-proposal was sent to the other side."))


@bp.post("/meetings/<int:meeting_id>/held")
@roles(Role.REPRESENTATIVE)
def held(meeting_id: int) -> PageResult:
    m = _get(Meeting, meeting_id)
    call = partial(meetings.mark_held, get_session(), _user(), m, now=now())
    return _on_meeting(m, "button", ActionForm(), call, _("The meeting is recorded as held."))


@bp.post("/meetings/<int:meeting_id>/participants")
@roles(Role.REPRESENTATIVE)
def add_participant(meeting_id: int) -> PageResult:
    m, form, session = _get(Meeting, meeting_id), ParticipantForm(prefix="participant"), get_session()
    form.representative_id.choices = [
        (r.id, r.full_name)
        for r in delegations.register_choices(session, m.section, local_day(m.starts_at, m.section.zone_name))
    ]

    def call() -> None:
        chosen = session.get(Representative, form.representative_id.data)
        if chosen is None:
            abort(404)
        person = delegations.from_register(chosen, is_head=bool(form.is_head.data))
        protocols.record_participant(session, _user(), m, person, now=now())

    return _on_meeting(m, "participant", form, call, _("The participant was added."))


@bp.post("/meetings/<int:meeting_id>/guests")
@roles(Role.REPRESENTATIVE)
def add_guest(meeting_id: int) -> PageResult:
    m, form = _get(Meeting, meeting_id), GuestForm(prefix="guest")

    def call() -> None:
        person = delegations.guest(form.state_id.data, form.full_name.data or "", form.role.data or "")  # type: ignore[arg-type]
        protocols.record_participant(get_session(), _user(), m, person, now=now())

    return _on_meeting(m, "guest", form, call, _("The guest was added."))
