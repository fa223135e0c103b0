"""The administrator's pages that change reference data, the same four for each kind of record:
``<kind>_new``, ``<kind>_edit``, ``<kind>_toggle`` (activate/deactivate) and ``<kind>_import`` (CSV)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, fields
from functools import partial
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from lbt.accounts.models import Role
from lbt.core.errors import N_
from lbt.jobs import imports
from lbt.jobs.models import JobState
from lbt.reference import csv_import, queries, services
from lbt.reference.csv_columns import KINDS
from lbt.reference.data import AgreementData, BorderSectionData, CrossingPointData, LocalityData, StateData
from lbt.reference.forms import (
    AgreementForm,
    BorderSectionForm,
    CrossingPointForm,
    CsvUploadForm,
    LocalityForm,
    StateForm,
)
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, Locality, State
from lbt.web.actions import run_action
from lbt.web.forms import ActionForm, BaseForm
from lbt.web.i18n import translate_error, translate_message
from lbt.web.jobs import panel, requested_job, start_job
from lbt.web.names import reader_locale
from lbt.web.security import roles
from lbt.web.state import form_page, get_session

PageResult = Response | str | tuple[str, int]
MAX_ERRORS_SHOWN = 200


@dataclass(frozen=True)
class Editable:
    name: str  # endpoint prefix and CSV kind
    path: str  # URL below /reference
    model: type[Any]
    data_class: type[Any]
    form_class: type[BaseForm]
    save: Callable[..., Any]
    list_endpoint: str
    import_title: Any
    saved: str  # msgids, each with %(name)s
    activated: str
    deactivated: str


EDITABLE = (
    Editable(
        "state", "states", State, StateData, StateForm, services.save_state, "reference.states",
        _l("Import states"), N_("State %(name)s was saved."), N_("State %(name)s was activated."),
        N_("State %(name)s was deactivated."),
    ),
    Editable(
        "agreement", "agreements", Agreement, AgreementData, AgreementForm, services.save_agreement,
        "reference.agreements", _l("Import agreements"), N_("Agreement %(name)s was saved."),
        N_("Agreement %(name)s was activated."), N_("Agreement %(name)s was deactivated."),
    ),
    Editable(
        "locality", "localities", Locality, LocalityData, LocalityForm, services.save_locality,
        "reference.localities", _l("Import localities"), N_("Locality %(name)s was saved."),
        N_("Locality %(name)s was activated."), N_("Locality %(name)s was deactivated."),
    ),
    Editable(
        "crossing_point", "crossing-points", CrossingPoint, CrossingPointData, CrossingPointForm,
        services.save_crossing_point, "reference.crossing_points", _l("Import crossing points"),
        N_("Crossing point %(name)s was saved."), N_("Crossing point %(name)s was activated."),
        N_("Crossing point %(name)s was deactivated."),
    ),
    Editable(
        "border_section", "border-sections", BorderSection, BorderSectionData, BorderSectionForm,
        services.save_border_section, "reference.border_sections", _l("Import border sections"),
        N_("Border section %(name)s was saved."), N_("Border section %(name)s was activated."),
        N_("Border section %(name)s was deactivated."),
    ),
)  # fmt: skip


def _record_or_404(kind: Editable, record_id: int) -> Any:
    record = get_session().get(kind.model, record_id)
    if record is None:
        abort(404)
    return record


def _initial(kind: Editable, record: Any) -> dict[str, Any]:
    """What the form shows first: the record's values, or the defaults (the EU bounds) for a new one."""
    if record is not None:
        return asdict(kind.data_class.of(record))
    return {field.name: field.default for field in fields(kind.data_class) if field.default is not MISSING}


def _data(kind: Editable, form: BaseForm) -> Any:
    """The form's values as the service takes them; an empty optional field takes the default."""
    values: dict[str, Any] = {}
    for field in fields(kind.data_class):
        value = form[field.name].data
        if isinstance(value, list):
            value = tuple(value)
        elif value is None and field.default is not MISSING and field.default is not None:
            value = field.default
        values[field.name] = value
    return kind.data_class(**values)


def _fill_choices(session: Session, form: BaseForm, record: Any) -> None:
    choose = [("", _("Choose…"))]
    for name in ("state_code", "state_a_code", "state_b_code"):
        if name in form:
            form[name].choices = choose + queries.state_options(session, reader_locale())
    if "agreement_code" in form:
        form["agreement_code"].choices = choose + queries.agreement_options(session)
    if "allowed_crossing_point_codes" in form:
        form["allowed_crossing_point_codes"].choices = queries.crossing_point_options(session, record)


def _edit_page(kind: Editable, record: Any) -> PageResult:
    session = get_session()
    form = kind.form_class(data=None if request.method == "POST" else _initial(kind, record))
    _fill_choices(session, form, record)

    def save() -> Any:
        return kind.save(session, record, _data(kind, form))

    if run_action(form, save, lambda saved: _(kind.saved, name=saved.audit_label())).done:
        return redirect(url_for(kind.list_endpoint))
    return form_page(
        f"reference/{kind.name}_form.html",
        form,
        record=record,
        kind=kind,
        action_form=ActionForm(formdata=None),
    )


def _toggle(kind: Editable, record_id: int) -> Response:
    session = get_session()
    record = _record_or_404(kind, record_id)
    active = not record.is_active
    toggle = partial(services.set_active, session, record, active)
    message = _(kind.activated if active else kind.deactivated, name=record.audit_label())
    if not run_action(ActionForm(), toggle, message, refusals=()).done:
        abort(400)
    return redirect(url_for(f"reference.{kind.name}_edit", record_id=record.id))


def _import_page(kind: Editable) -> PageResult:
    """The import page: a file whose shape is wrong is refused at once; a readable one is imported by
    the worker, and the page then follows that job (``?job=``) to its outcome."""
    form = CsvUploadForm()
    page = {
        "form": form,
        "kind": kind,
        "columns": KINDS[kind.name].columns,
        "problems": [],
        "hidden_count": 0,
    }
    if form.validate_on_submit():
        content = form.file.data.read(csv_import.MAX_BYTES + 1)
        refused = csv_import.check_file(kind.name, content)
        if refused:
            return render_template("reference/import.html", **{**page, **_problems(refused)}), 400
        job = start_job(imports.KIND, imports.import_params(kind.name), input_data=content)
        return redirect(url_for(f"reference.{kind.name}_import", job=job.id))
    job = requested_job(imports.KIND)
    if job is not None:
        if job.params.get("kind") != kind.name:
            abort(404)
        page.update(job=panel(job, url_for(f"reference.{kind.name}_import", job=job.id)), outcome=job.outcome)
        if job.state is JobState.DONE and job.outcome.get("error_count"):
            page.update(_problems(job.outcome["errors"], job.outcome["error_count"]))
    return form_page(
        "reference/import.html", form, **{key: value for key, value in page.items() if key != "form"}
    )


def _problems(errors: Any, count: int | None = None) -> dict[str, Any]:
    """The refused lines as the page lists them: from the file check (``RowError``) or a job's record."""
    rows = []
    for error in list(errors)[:MAX_ERRORS_SHOWN]:
        if isinstance(error, csv_import.RowError):
            rows.append((error.line, error.column, translate_error(error.error)))
        else:
            message = error["message"]
            shown = translate_message(
                tuple(message) if isinstance(message, list) else message, error["params"]
            )
            rows.append((error["line"], error["column"], shown))
    total = len(errors) if count is None else count
    return {"problems": rows, "hidden_count": max(0, total - len(rows))}


def register_editing(bp: Blueprint) -> None:
    """Add the four administrator pages of every kind to the reference blueprint."""
    for kind in EDITABLE:
        _register(bp, kind)


def _register(bp: Blueprint, kind: Editable) -> None:
    @roles(Role.ADMIN)
    def new() -> PageResult:
        return _edit_page(kind, None)

    @roles(Role.ADMIN)
    def edit(record_id: int) -> PageResult:
        return _edit_page(kind, _record_or_404(kind, record_id))

    @roles(Role.ADMIN)
    def toggle(record_id: int) -> Response:
        return _toggle(kind, record_id)

    @roles(Role.ADMIN)
    def import_csv() -> PageResult:
        return _import_page(kind)

    base = f"/{kind.path}"
    bp.add_url_rule(f"{base}/new", f"{kind.name}_new", new, methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<int:record_id>/edit", f"{kind.name}_edit", edit, methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<int:record_id>/toggle", f"{kind.name}_toggle", toggle, methods=["POST"])
    bp.add_url_rule(f"{base}/import", f"{kind.name}_import", import_csv, methods=["GET", "POST"])
