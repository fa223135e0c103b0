"""The reports pages: the monitoring figures (filtered by a GET form, so every view is a link), each
figure's table as CSV, and the six-monthly reports (made here or with `lbt reports six-monthly`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lbt.core.errors import DomainError
from lbt.permits.signing import KeyStore
from lbt.reports.charts import bars_of, chart_of
from lbt.reports.exports import figure_csv, figure_xlsx, shown_rows
from lbt.reports.figures import Figure
from lbt.reports.forms import ReportFilterForm, SixMonthlyForm
from lbt.reports.models import Report
from lbt.reports.monitoring import monitoring_figures
from lbt.reports.periods import Period
from lbt.reports.risk import risk_indicators
from lbt.reports.services import (
    READERS,
    Filters,
    NotInScope,
    choices_for,
    home_state_id,
    local_today,
    report_zone,
    scope_of,
    visible_agreements,
)
from lbt.reports.six_monthly import make_six_monthly_report, reports_of
from lbt.web.actions import run_action
from lbt.web.i18n import translate_error
from lbt.web.security import require, roles
from lbt.web.state import find_service, get_session, now, settings

bp = Blueprint("reports", __name__, url_prefix="/reports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DOWNLOADS = {
    "json": ("report.json", "application/json"),
    "jws": ("report.jws", "application/jose"),
    "pdf": ("report.pdf", "application/pdf"),
}


def _agreements() -> list[Any]:
    return visible_agreements(get_session(), current_user, home_state=settings().home_state)


def _filter_form(choices: Any) -> ReportFilterForm:
    form = ReportFilterForm(request.args)
    every = ("", _("All"))
    form.agreement.choices = [every, *((a.id, a.code) for a in choices.agreements)]
    form.crossing_point.choices = [every, *((p.id, f"{p.code} {p.name}") for p in choices.crossing_points)]
    form.locality.choices = [every, *((loc.id, loc.name_latin) for loc in choices.localities)]
    form.district.choices = [every, *((d, d) for d in choices.districts)]
    form.section.choices = [every, *((s.id, f"{s.code} {s.name}") for s in choices.sections)]
    return form


def _figures() -> tuple[ReportFilterForm, list[Figure], Any, int]:
    """The filter form and the figures it asks for (none, with the reason on the form, when refused)."""
    session = get_session()
    choices = choices_for(session, _agreements())
    form = _filter_form(choices)
    if request.args and not form.validate():
        return form, [], None, 400
    zone = report_zone(settings())
    filters = Filters(
        since=form.since.data,
        until=form.until.data,
        agreement_id=form.agreement.data,
        crossing_point_id=form.crossing_point.data,
        locality_id=form.locality.data,
        district=form.district.data or "",
        section_id=form.section.data,
    )
    try:
        scope = scope_of(
            choices,
            filters,
            today=local_today(now(), zone),
            zone=zone,
            home_state_id=home_state_id(session, settings().home_state),
        )
    except NotInScope as error:
        form.form_errors.append(translate_error(error))
        return form, [], None, 400
    deadlines = {a.decision_deadline_days for a in choices.agreements if a.id in scope.agreement_ids}
    deadline = deadlines.pop() if len(deadlines) == 1 else None
    figures = monitoring_figures(session, scope, now=now(), deadline_days=deadline)
    return form, [*figures, risk_indicators(session, scope)], scope, 200


@bp.get("/")
@roles(*READERS)
def index() -> tuple[str, int]:
    form, figures, scope, status = _figures()
    shown = {figure.key: _shown(figure) for figure in figures}
    return (
        render_template(
            "reports/index.html",
            form=form,
            figures=figures,
            shown=shown,
            scope=scope,
            query=request.args.to_dict(),
        ),
        status,
    )


def _shown(figure: Figure) -> dict[str, Any]:
    """The rows in words; the chart's data, its `<progress>` bars and, for the text summary, the largest."""
    rows = shown_rows(figure, _)
    chart = chart_of(figure, rows, _)
    bars = bars_of(chart)
    return {
        "rows": rows,
        "chart": chart,
        "bars": bars,
        "largest": max(bars, key=lambda bar: bar[1]) if bars else None,
    }


def _figure(key: str) -> Figure:
    _form, figures, _scope, status = _figures()
    if status != 200:
        abort(400)
    figure = next((figure for figure in figures if figure.key == key), None)
    if figure is None:
        abort(404)
    return figure


@bp.get("/figures/<key>.csv")
@roles(*READERS)
def figure_as_csv(key: str) -> Response:
    return Response(
        "\ufeff" + figure_csv(_figure(key), _),  # the byte-order mark makes spreadsheets read UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{key}.csv"'},
    )


@bp.get("/figures/<key>.xlsx")
@roles(*READERS)
def figure_as_xlsx(key: str) -> Response:
    return Response(
        figure_xlsx(_figure(key), _),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{key}.xlsx"'},
    )


def _six_monthly_form() -> SixMonthlyForm:
    form = SixMonthlyForm()
    form.agreement.choices = [(a.id, f"{a.code} {a.name}") for a in _agreements()]
    return form


def _six_monthly_page(form: SixMonthlyForm, status: int = 200) -> tuple[str, int]:
    ids = [agreement.id for agreement in _agreements()]
    return render_template(
        "reports/six_monthly.html", form=form, reports=reports_of(get_session(), ids)
    ), status


@bp.get("/six-monthly")
@roles(*READERS)
def six_monthly() -> tuple[str, int]:
    return _six_monthly_page(_six_monthly_form())


@bp.post("/six-monthly")
@roles(*READERS)
def make_six_monthly() -> Any:
    form = _six_monthly_form()
    session = get_session()

    def make() -> Report:
        agreement = next(a for a in _agreements() if a.id == form.agreement.data)
        return make_six_monthly_report(
            session,
            agreement,
            Period.half(form.half.data or "", report_zone(settings())),
            key=find_service(KeyStore).active_key(),
            home_state=settings().home_state,
            now=now(),
            made_by=current_user,
            correction_reason=form.correction.data or "",
        )

    outcome = run_action(
        form,
        make,
        lambda report: _(
            "Report %(half)s version %(version)s made.", half=form.half.data, version=report.version
        ),
        refusals=(DomainError,),
    )
    if outcome.done:
        return redirect(url_for("reports.six_monthly"))
    return _six_monthly_page(form, outcome.status)


@bp.get("/six-monthly/<int:report_id>/report.<any(json,jws,pdf):part>")
@roles(*READERS)
def download(report_id: int, part: str) -> Response:
    report = get_session().get(Report, report_id)
    if report is None:
        abort(404)
    require(report.agreement_id in {agreement.id for agreement in _agreements()})
    name, mimetype = DOWNLOADS[part]
    content: str | bytes = {"json": report.content, "jws": report.jws + "\n", "pdf": report.pdf}[part]
    filename = f"{report.agreement.code}-{report.period_start:%Y}-{1 if report.period_start.month == 1 else 2}-v{report.version}-{name}"
    return Response(
        content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
