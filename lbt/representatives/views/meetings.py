"""Overview, meeting requests, meeting records and protocols."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Response, abort, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.representatives import actions, incidents, meetings, protocols
from lbt.representatives.forms import (
    CounterProposalForm,
    DeclineForm,
    FollowUpForm,
    MeetingRequestForm,
    NoteForm,
    ParticipantForm,
    addendum_form,
    item_text_form,
    parse_participants,
)
from lbt.representatives.models import AgendaItem, Meeting, MeetingKind, MeetingStatus, Protocol
from lbt.representatives.pdf import protocol_pdf
from lbt.representatives.services import add_internal_note, internal_notes, is_record_locked, side_in
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

    def request() -> Meeting:
        people = parse_participants(
            form.participants.data or "", {code: sid for sid, code in _sides(section)}
        )
        if form.i_am_head.data:
            head = meetings.ParticipantInput(
                user.state_id, user.full_name or user.username, _("border representative"), True, user.id
            )
            people = [head, *people]
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
    side = side_in(user, section)
    protocol = protocols.the_protocol(meeting)
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
        is_head=any(p.is_head and p.user_id == user.id for p in meeting.participants),
        notes=internal_notes(session, user, meeting),
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
    m, form, user = _get(Meeting, meeting_id), ParticipantForm(prefix="participant"), _user()

    def call() -> None:
        me = bool(form.is_me.data)
        person = meetings.ParticipantInput(
            user.state_id if me else form.state_id.data,  # type: ignore[arg-type]
            form.full_name.data or "",
            form.role.data or "",
            bool(form.is_head.data),
            user.id if me else None,
        )
        protocols.record_participant(get_session(), user, m, person, now=now())

    return _on_meeting(m, "participant", form, call, _("The participant was added."))


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/texts")
@roles(Role.REPRESENTATIVE)
def item_texts(meeting_id: int, item_id: int) -> PageResult:
    m, item = _get(Meeting, meeting_id), _get(AgendaItem, item_id)
    if item.meeting_id != m.id:
        abort(404)
    languages = list(m.section.working_languages)
    form = item_text_form(languages, prefix=f"item{item.id}")

    def call() -> None:
        for language in languages:
            summary, decision = (
                form[f"summary_{language}"].data or "",
                form[f"decision_{language}"].data or "",
            )
            if summary.strip() or decision.strip() or item.text_in(language):
                protocols.write_item_text(
                    get_session(),
                    _user(),
                    item,
                    language=language,
                    summary=summary,
                    decision=decision,
                    now=now(),
                )

    return _on_meeting(
        m, f"item{item.id}", form, call, _("The record of item %(n)d was saved.", n=item.position)
    )


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/actions")
@roles(Role.REPRESENTATIVE)
def add_action(meeting_id: int, item_id: int) -> PageResult:
    m, item = _get(Meeting, meeting_id), _get(AgendaItem, item_id)
    if item.meeting_id != m.id:
        abort(404)
    form = FollowUpForm(prefix=f"action{item.id}")
    call = partial(
        protocols.add_action,
        get_session(),
        _user(),
        item,
        responsible_state_id=form.responsible_state_id.data,  # type: ignore[arg-type]
        description=form.description.data or "",
        due_on=form.due_on.data,  # type: ignore[arg-type]
        now=now(),
    )
    return _on_meeting(m, f"action{item.id}", form, call, _("The action was added."))


@bp.post("/meetings/<int:meeting_id>/freeze")
@roles(Role.REPRESENTATIVE)
def freeze(meeting_id: int) -> PageResult:
    m = _get(Meeting, meeting_id)
    call = partial(protocols.freeze_protocol, get_session(), _user(), m, now=now())
    return _on_meeting(
        m, "button", ActionForm(), call, _("The protocol was frozen; the heads of delegation may approve it.")
    )


@bp.post("/protocols/<int:protocol_id>/approve")
@roles(Role.REPRESENTATIVE)
def approve(protocol_id: int) -> PageResult:
    protocol = _get(Protocol, protocol_id)
    call = partial(protocols.approve_protocol, get_session(), _user(), protocol, now=now())
    return _on_meeting(protocol.meeting, "button", ActionForm(), call, _("Your side approved the protocol."))


@bp.post("/meetings/<int:meeting_id>/addendum")
@roles(Role.REPRESENTATIVE)
def addendum(meeting_id: int) -> PageResult:
    m = _get(Meeting, meeting_id)
    languages = list(m.section.working_languages)
    form = addendum_form(languages, prefix="addendum")
    texts = {lang: form[f"text_{lang}"].data or "" for lang in languages}
    draft = next((p for p in m.protocols if p.number and not p.is_locked), None)
    if draft is not None:
        call = partial(protocols.edit_addendum, get_session(), _user(), draft, texts, now=now())
    else:
        call = partial(protocols.add_addendum, get_session(), _user(), m, texts, now=now())
    return _on_meeting(m, "addendum", form, call, _("The addendum was frozen; it needs both approvals."))


@bp.post("/meetings/<int:meeting_id>/notes")
@roles(Role.REPRESENTATIVE)
def add_note(meeting_id: int) -> PageResult:
    m, form = _get(Meeting, meeting_id), NoteForm(prefix="note")
    call = partial(add_internal_note, get_session(), _user(), m, form.text.data or "", now=now())
    return _on_meeting(m, "note", form, call, _("Your internal note was saved."))


@bp.get("/protocols/<int:protocol_id>.pdf")
@roles(Role.REPRESENTATIVE)
def protocol_file(protocol_id: int) -> Response:
    protocol = _get(Protocol, protocol_id)
    if not protocol.content_sha256:
        abort(404)
    labels = {
        "title": _("Protocol of the meeting of border representatives"),
        "addendum": _("Addendum %(n)d to the protocol", n=protocol.number),
        "section": _("Border section"),
        "date": _("Date"),
        "venue": _("Venue"),
        "host": _("Host"),
        "participants": _("Participants"),
        "agenda": _("Agenda"),
        "summary": _("Discussion"),
        "decision": _("Decision"),
        "responsible": _("Responsible side"),
        "due": _("Deadline"),
        "signatures": _("Signatures of the heads of delegation"),
        "head": _("Head of delegation"),
        "approved": _("Approved"),
        "not_approved": _("Not approved yet"),
        "content_hash": _("SHA-256 of the approved content"),
        "version": _("Version"),
    }
    pdf = protocol_pdf(protocol, labels, str(get_locale()))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="protocol-{protocol.meeting_id}-{protocol.number}.pdf"'
    )
    return response
