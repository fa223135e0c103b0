"""The auditor's page: the audit log, newest first, filtered, with the names of the records it
refers to, as CSV, and a check of the whole chain against the last checkpoint."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from flask_babel import lazy_gettext as _l

from lbt.accounts.models import Role
from lbt.audit import reading
from lbt.audit.checkpoint import published_keys
from lbt.audit.forms import AuditFilterForm
from lbt.audit.labels import field_label, record_type_label
from lbt.audit.models import AuditEntry
from lbt.audit.services import AuditFilter, entity_types, list_entries
from lbt.permits.signing import KeyStore
from lbt.web.dates import instance_zone
from lbt.web.forms import ActionForm
from lbt.web.security import roles
from lbt.web.state import find_service, get_session, settings

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50
AUDITORS = (Role.AUDITOR, Role.ADMIN)


def _form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.entity_type.choices = [
        ("", form.entity_type.choices[0][1]),
        *((t, record_type_label(t)) for t in entity_types(get_session())),
    ]
    return form


def _filters(form: AuditFilterForm) -> AuditFilter:
    return AuditFilter(
        actor=form.actor.data or "",
        action=form.action.data or "",
        entity_type=form.entity_type.data or "",
        entity_id=form.entity_id.data or "",
        since=form.since.data,
        until=form.until.data,
        zone=instance_zone(),
    )


# what the log stores in place of a secret's value (lbt.audit.services), in the reader's language
REDACTED = {"(set)": _l("(set)"), "(changed)": _l("(changed)")}


def _value(entity_type: str, field: str, value: Any, names: dict[reading.Key, str]) -> Any:
    if isinstance(value, str) and value in REDACTED:
        return str(REDACTED[value])
    return reading.shown_value(entity_type, field, value, names)


def _shown(entries: list[AuditEntry], names: dict[reading.Key, str]) -> dict[int, list[tuple[str, Any]]]:
    """Each entry's changes with translated field names and the names of the records they refer to."""
    return {
        entry.id: [
            (field_label(field), _value(entry.entity_type, field, value, names))
            for field, value in json.loads(entry.changes).items()
        ]
        for entry in entries
    }


def _filter_args() -> dict[str, str]:
    return {key: value for key, value in request.args.items() if key != "before" and value}


def _page(check: reading.ChainCheck | None = None) -> tuple[str, int] | str:
    session = get_session()
    form = _form()
    context: dict[str, Any] = {
        "form": form,
        "check": check,
        "verify_form": ActionForm(formdata=None),
        "record_type_label": record_type_label,
        "csv_url": url_for("audit.entries_csv", **_filter_args()),
        "newest_url": url_for("audit.entries", **_filter_args()) if request.args.get("before") else None,
    }
    if request.args and not form.validate():
        return render_template(
            "audit/entries.html", entries=[], next_url=None, shown={}, names={}, **context
        ), 400
    found = list_entries(session, _filters(form), before_id=form.before.data, limit=PAGE_SIZE + 1)
    page, more = list(found[:PAGE_SIZE]), len(found) > PAGE_SIZE
    names = reading.record_names(session, page)
    return render_template(
        "audit/entries.html",
        entries=page,
        shown=_shown(page, names),
        names=names,
        next_url=url_for("audit.entries", **_filter_args(), before=page[-1].id) if more else None,
        **context,
    )


@bp.get("/")
@roles(*AUDITORS)
def entries() -> tuple[str, int] | str:
    return _page()


@bp.get("/entries.csv")
@roles(*AUDITORS)
def entries_csv() -> Response | tuple[str, int]:
    """The filtered entries as CSV (the same filters as the page), streamed in batches."""
    form = _form()
    if request.args and not form.validate():
        return _page()  # type: ignore[return-value]
    session, filters = get_session(), _filters(form)

    def lines() -> Iterator[str]:
        yield "\ufeff"  # the byte-order mark makes spreadsheets read UTF-8
        for row in reading.csv_rows(session, filters):
            buffer = io.StringIO()
            csv.writer(buffer).writerow(row)
            yield buffer.getvalue()

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="audit-log.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.post("/verify")
@roles(*AUDITORS)
def verify() -> tuple[str, int] | str:
    """Recompute the chain and compare it with the last checkpoint; the result is shown above the log
    (the CSRF token is checked for every POST before the view)."""
    jwks = published_keys(find_service(KeyStore))
    return _page(reading.check_chain(get_session(), jwks, state=settings().home_state))
