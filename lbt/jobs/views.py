"""Jobs pages: "My jobs" (administrators may list every job, the schedule's included), one job's page,
its status as JSON for the polling script, and its result file, served only to its starter or an
administrator."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from lbt.accounts.models import Role
from lbt.core.errors import AccessDenied, NotFound
from lbt.jobs.files import JobFiles
from lbt.jobs.labels import kind_label
from lbt.jobs.models import Job
from lbt.jobs.services import jobs_page, visible_job
from lbt.web.i18n import translate_message
from lbt.web.jobs import panel
from lbt.web.security import access_of, roles
from lbt.web.state import get_session, settings

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

# who starts jobs: administrators (imports), officers and supervisors (print batches), report readers
JOB_ROLES = (Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.ANALYST)


def _job(job_id: int) -> Job:
    session = get_session()
    try:
        job = visible_job(session, job_id, current_user)
    except NotFound:
        abort(404)
    except AccessDenied:
        abort(403)
    session.refresh(job)
    return job


def page_of(job: Job) -> str:
    """The page that started the job, showing it; the job's own page for the schedule's, and for a
    reader that page is not open to (an administrator reading an officer's print batch)."""
    endpoint, values = "jobs.show", {"job_id": job.id}
    if job.kind == "reference_import" and job.params.get("kind"):
        endpoint, values = f"reference.{job.params['kind']}_import", {"job": job.id}
    elif job.kind == "print_batch":
        endpoint, values = "permits.print_batch", {"job": job.id}
    elif job.kind == "six_monthly_report":
        endpoint, values = "reports.six_monthly", {"job": job.id}
    view = current_app.view_functions.get(endpoint)
    access = access_of(view) if view is not None else None
    if access is None or (isinstance(access, frozenset) and current_user.role not in access):
        endpoint, values = "jobs.show", {"job_id": job.id}
    return url_for(endpoint, **values)


def summary_of(job: Job) -> str:
    """A scheduled run's outcome in words (user-started jobs show theirs on their page)."""
    message = job.outcome.get("message")
    if not message:
        return ""
    return translate_message(
        tuple(message) if isinstance(message, list) else message, job.outcome.get("params")
    )


@bp.get("/")
@roles(*JOB_ROLES)
def mine() -> str:
    everyone = current_user.role is Role.ADMIN and request.args.get("all") == "1"
    page = jobs_page(
        get_session(), current_user, everyone=everyone, page=request.args.get("page", 1, type=int)
    )
    rows = [(job, panel(job), kind_label(job.kind), page_of(job)) for job in page.items]

    def page_url(number: int) -> str:
        return url_for("jobs.mine", page=number, **({"all": "1"} if everyone else {}))

    return render_template("jobs/list.html", page=page, rows=rows, everyone=everyone, page_url=page_url)


@bp.get("/<int:job_id>")
@roles(*JOB_ROLES)
def show(job_id: int) -> str:
    job = _job(job_id)
    return render_template(
        "jobs/show.html",
        job=job,
        panel=panel(job),
        kind=kind_label(job.kind),
        summary=summary_of(job),
        page_url=page_of(job),
    )


@bp.get("/<int:job_id>/status")
@roles(*JOB_ROLES)
def status(job_id: int) -> Response:
    """For static/js/job-progress.js: the state and progress, their words already translated."""
    shown = panel(_job(job_id))
    body: dict[str, Any] = {
        "state": shown.state,
        "ended": shown.ended,
        "label": shown.state_label,
        "text": shown.progress_text,
        "percent": shown.percent,
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/result")
@roles(*JOB_ROLES)
def result(job_id: int) -> Response:
    job = _job(job_id)
    path = JobFiles(settings().instance_path).path_of(job.result_file)
    if path is None:
        abort(404)
    response = send_file(
        path,
        mimetype=job.result_type or "application/octet-stream",
        as_attachment=True,
        download_name=job.result_name,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
