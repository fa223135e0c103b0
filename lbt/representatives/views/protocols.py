"""The meeting record and its protocol: the texts per item, actions, freezing, the explicit reopening,
approvals, addenda, internal notes, and the protocol as a PDF."""

from __future__ import annotations

from functools import partial

from flask import Response, abort
from flask_babel import get_locale
from flask_babel import gettext as _

from lbt.accounts.models import Role
from lbt.representatives import protocols
from lbt.representatives.forms import FollowUpForm, NoteForm, ReopenForm, addendum_form, item_text_form
from lbt.representatives.models import AgendaItem, HandOverAct, Incident, IncidentType, Meeting, Protocol
from lbt.representatives.pdf import protocol_pdf
from lbt.representatives.services import add_internal_note
from lbt.representatives.standard_forms import border_sign_pdf, hand_over_pdf
from lbt.representatives.views.common import PageResult, _get, _user, bp
from lbt.representatives.views.meetings import _on_meeting
from lbt.web.forms import ActionForm
from lbt.web.security import roles
from lbt.web.state import get_session, now


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


@bp.post("/protocols/<int:protocol_id>/reopen")
@roles(Role.REPRESENTATIVE)
def reopen(protocol_id: int) -> PageResult:
    protocol, form = _get(Protocol, protocol_id), ReopenForm(prefix="reopen")
    call = partial(
        protocols.reopen_protocol, get_session(), _user(), protocol, reason=form.reason.data or "", now=now()
    )
    return _on_meeting(
        protocol.meeting,
        "reopen",
        form,
        call,
        _("The protocol is open for changes again; the approvals given so far are void."),
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
    pdf = protocol_pdf(protocol, now(), str(get_locale()))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="protocol-{protocol.meeting_id}-{protocol.number}.pdf"'
    )
    return response


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.get("/hand-overs/<int:act_id>.pdf")
@roles(Role.REPRESENTATIVE)
def hand_over_file(act_id: int) -> Response:
    act = _get(HandOverAct, act_id)
    return _pdf(hand_over_pdf(get_session(), act, created_at=now()), f"hand-over-{act.id}.pdf")


@bp.get("/incidents/<int:incident_id>/border-sign-record.pdf")
@roles(Role.REPRESENTATIVE)
def border_sign_file(incident_id: int) -> Response:
    incident = _get(Incident, incident_id)
    if incident.type is not IncidentType.BORDER_SIGN:
        abort(404)
    return _pdf(border_sign_pdf(incident, created_at=now()), f"border-sign-{incident.id}.pdf")
