"""The register of representatives of a border section: who holds which post, since when, and who
held it before; each side keeps its own appointments."""

from __future__ import annotations

from functools import partial

from flask import redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from lbt.accounts.models import Role
from lbt.reference.models import BorderSection, State
from lbt.representatives import register
from lbt.representatives.forms import POST_LABELS, AppointmentForm, EndAppointmentForm
from lbt.representatives.models import Post, Representative
from lbt.representatives.services import side_in
from lbt.representatives.views.common import PageResult, _apply, _render, _sections, _user, bp
from lbt.web.security import require, roles
from lbt.web.state import get_session, now


def _section(section_id: int) -> BorderSection:
    section = get_session().get(BorderSection, section_id)
    require(section is not None and section in _sections())
    return section  # type: ignore[return-value]


def _page(section: BorderSection, **submitted: AppointmentForm | EndAppointmentForm) -> tuple[str, int]:
    session = get_session()
    sides = [section.state_a, section.state_b]
    rows = {
        state.id: [
            record for post in Post for record in reversed(register.history(session, section, state, post))
        ]
        for state in sides
    }
    forms = {
        "appoint": submitted.get("appoint") or AppointmentForm(formdata=None, appointed_from=now().date()),
        "end": submitted.get("end") or EndAppointmentForm(formdata=None, appointed_until=now().date()),
    }
    return _render(
        "representatives/register.html",
        forms,
        section=section,
        sides=sides,
        rows=rows,
        own_side=side_in(_user(), section),
        post_labels=POST_LABELS,
    )


@bp.get("/sections/<int:section_id>/register")
@roles(Role.REPRESENTATIVE)
def register_page(section_id: int) -> tuple[str, int]:
    return _page(_section(section_id))


@bp.post("/sections/<int:section_id>/register")
@roles(Role.REPRESENTATIVE)
def appoint(section_id: int) -> PageResult:
    section = _section(section_id)
    form = AppointmentForm()
    state = get_session().get(State, side_in(_user(), section))

    def call() -> None:
        register.appoint(
            get_session(),
            _user(),
            section=section,
            state=state,
            post=Post(form.post.data),
            full_name=form.full_name.data or "",
            credentials_number=form.credentials_number.data or "",
            contact=form.contact.data or "",
            appointed_from=form.appointed_from.data,
            now=now(),
        )

    if _apply(form, call, _("The appointment was recorded.")).done:
        return redirect(url_for("representatives.register_page", section_id=section.id))
    return _page(section, appoint=form)


@bp.post("/register/<int:representative_id>/end")
@roles(Role.REPRESENTATIVE)
def end_appointment(representative_id: int) -> PageResult | BaseResponse:
    record = get_session().get(Representative, representative_id)
    require(record is not None and record.section in _sections())
    assert record is not None
    form = EndAppointmentForm()
    call = partial(register.end_appointment, get_session(), _user(), record, until=form.appointed_until.data)
    if _apply(form, call, _("The appointment was ended.")).done:
        return redirect(url_for("representatives.register_page", section_id=record.section_id))
    return _page(record.section, end=form)
