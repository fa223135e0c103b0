"""The auditor's page: the audit log, newest first, filtered."""

from __future__ import annotations

import json

from flask import Blueprint, render_template, request, url_for

from lbt.accounts.models import Role
from lbt.audit.forms import AuditFilterForm
from lbt.audit.services import AuditFilter, entity_types, list_entries
from lbt.web.security import roles
from lbt.web.state import get_session

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50


@bp.get("/")
@roles(Role.AUDITOR, Role.ADMIN)
def entries() -> tuple[str, int] | str:
    session = get_session()
    form = AuditFilterForm(request.args)
    form.entity_type.choices = [
        ("", form.entity_type.choices[0][1]),
        *((t, t) for t in entity_types(session)),
    ]
    if request.args and not form.validate():
        return render_template("audit/entries.html", form=form, entries=[], next_url=None, decoded={}), 400
    filters = AuditFilter(
        actor=form.actor.data or "",
        action=form.action.data or "",
        entity_type=form.entity_type.data or "",
        entity_id=form.entity_id.data or "",
        since=form.since.data,
        until=form.until.data,
    )
    found = list_entries(session, filters, before_id=form.before.data, limit=PAGE_SIZE + 1)
    page, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    decoded = {entry.id: json.loads(entry.changes) for entry in page}
    return render_template(
        "audit/entries.html",
        form=form,
        entries=page,
        decoded=decoded,
        next_url=url_for("audit.entries", **{**request.args.to_dict(), "before": page[-1].id})
        if more
        else None,
    )
