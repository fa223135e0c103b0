"""The reports pages: the monitoring figures (filtered by a GET form, so every view is a link), each
figure's table as CSV, and the six-monthly reports (made here or with `lbt reports six-monthly`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lbt.core.errors import DomainError
from lbt.jobs import six_monthly as six_monthly_job
from lbt.reports.charts import bars_of, chart_of
from lbt.reports.exports import figure_csv, figure_xlsx, shown_rows
from lbt.reports.figures import Figure
from lbt.reports.forms import ReportFilterForm, SixMonthlyForm
from lbt.reports.models import Report
from lbt.reports.monitoring import monitoring_figures
from lbt.reports.page_pdf import page_pdf
from lbt.reports.periods import Period
from lbt.reports.risk import risk_indicators, stay_patterns
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
from lbt.reports.six_monthly import check_correction, reports_of
from lbt.web.actions import run_action
from lbt.web.dates import day_filter, moment_filter
from lbt.web.i18n import translate_error
from lbt.web.jobs import panel, requested_job, start_job
from lbt.web.links import kept_query
from lbt.web.security import access_of, require, roles
from lbt.web.state import get_session, now, settings

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


def _figures(only: str | None = None) -> tuple[ReportFilterForm, list[Figure], Any, int]:
    """The filter form and the figures it asks for (none, with the reason on the form, when refused);
    with ``only``, that figure's alone."""
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
    figures = monitoring_figures(session, scope, now=now(), deadline_days=deadline, only=only)
    if only in (None, "risk_indicators"):
        figures.append(risk_indicators(session, scope))
    if only in (None, "stay_patterns"):
        figures.append(stay_patterns(session, scope, now=now()))
    return form, figures, scope, 200


def _patterns_url() -> str | None:
    """The officers' list of flagged holders, for a reader whose role may open it."""
    access = access_of(current_app.view_functions["patterns.index"])
    return (
        url_for("patterns.index") if isinstance(access, frozenset) and current_user.role in access else None
    )


def _page(form: ReportFilterForm, figures: list[Figure], scope: Any, status: int) -> tuple[str, int]:
    shown = {figure.key: _shown(figure) for figure in figures}
    return (
        render_template(
            "reports/index.html",
            form=form,
            figures=figures,
            shown=shown,
            scope=scope,
            query=kept_query("key"),
            patterns_url=_patterns_url(),
        ),
        status,
    )


@bp.get("/")
@roles(*READERS)
def index() -> tuple[str, int]:
    return _page(*_figures())


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


def _summary(figure: Figure, shown: dict[str, Any]) -> str:
    """The chart's text summary, as the page writes it."""
    if shown["largest"]:
        label, count = shown["largest"]
        return _("Largest: %(label)s, %(count)s.", label=label, count=count)
    return _("Nothing to count in this period.") if figure.chart else ""


def _filters_in_words(form: ReportFilterForm, scope: Any) -> list[str]:
    """The period and every filter of the page, as its form shows them."""
    start, end = day_filter(scope.period.start), day_filter(scope.period.end)
    lines = [_("Figures from %(start)s to %(end)s (%(zone)s).", start=start, end=end, zone=scope.period.zone)]
    for field in (form.agreement, form.crossing_point, form.locality, form.district, form.section):
        chosen = next((label for value, label in field.choices if value == field.data and value != ""), None)
        lines.append(f"{field.label.text}: {chosen if chosen is not None else _('All')}")
    lines.append(_("Made %(moment)s.", moment=moment_filter(now())))
    return lines


@bp.get("/page.pdf")
@roles(*READERS)
def page_as_pdf() -> Any:
    """The page as a PDF: its filters, each figure's text summary, notes and table."""
    form, figures, scope, status = _figures()
    if status != 200:
        return _page(form, figures, scope, status)
    content = page_pdf(
        figures,
        {figure.key: _summary(figure, _shown(figure)) for figure in figures},
        title=_("Reports"),
        lines=_filters_in_words(form, scope),
        say=_,
        made_at=now(),
    )
    return Response(
        content,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="reports-{scope.period.label.replace("/", "_")}.pdf"'
        },
    )


def _figure(key: str) -> Figure:
    form, figures, scope, status = _figures(only=key)
    if status != 200:
        abort(Response(_page(form, figures, scope, status)[0], status=400))  # the page, with the reason
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
    job = requested_job(six_monthly_job.KIND)
    shown = panel(job, url_for("reports.six_monthly", job=job.id)) if job else None
    made = (
        get_session().get(Report, job.outcome["report_id"]) if job and job.outcome.get("report_id") else None
    )
    return render_template(
        "reports/six_monthly.html",
        form=form,
        reports=reports_of(get_session(), ids),
        job=shown,
        made=made if made is not None and made.agreement_id in ids else None,
    ), status


@bp.get("/six-monthly")
@roles(*READERS)
def six_monthly() -> tuple[str, int]:
    return _six_monthly_page(_six_monthly_form())


@bp.post("/six-monthly")
@roles(*READERS)
def make_six_monthly() -> Any:
    """The report is made by the worker (it verifies the whole audit log); a correction without a reason
    is refused here at once."""
    form = _six_monthly_form()
    session = get_session()

    def start() -> Any:
        agreement = next(a for a in _agreements() if a.id == form.agreement.data)
        half = form.half.data or ""
        check_correction(
            session, agreement, Period.half(half, report_zone(settings())), form.correction.data or ""
        )
        params = six_monthly_job.report_params(
            agreement_id=agreement.id, half=half, correction=form.correction.data or ""
        )
        return start_job(six_monthly_job.KIND, params)

    outcome = run_action(
        form, start, _("The report is being made: this page shows when it is ready."), refusals=(DomainError,)
    )
    if outcome.done and outcome.result is not None:
        return redirect(url_for("reports.six_monthly", job=outcome.result.id))
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
