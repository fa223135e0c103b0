"""Background jobs from the pages that start them: start one (the record committed, then handed to
the queue), find the one a page was asked to show (``?job=``), and what its panel shows (the macro in
``templates/_macros/jobs.html``, kept fresh by ``static/js/job-progress.js``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lbt.core.errors import N_, AccessDenied, NotFound
from lbt.jobs.files import JobFiles
from lbt.jobs.models import Job, JobState
from lbt.jobs.queue import JobQueue
from lbt.jobs.services import create_job, fail, visible_job
from lbt.web.i18n import translate_message
from lbt.web.state import find_service, get_session, now, settings

log = logging.getLogger(__name__)

STATE_LABELS = {
    JobState.QUEUED: _l("Waiting for the worker"),
    JobState.RUNNING: _l("Running"),
    JobState.DONE: _l("Done"),
    JobState.FAILED: _l("Failed"),
}


def start_job(kind: str, params: Mapping[str, Any], *, input_data: bytes | None = None) -> Job:
    """Record a job for the current user, commit it, keep its input file, then queue it. A queue or disk
    that refuses leaves the job failed with the reason (its page says so), never a half-started job."""
    session = get_session()
    job = create_job(session, kind, started_by=current_user, params=params, now=now())
    session.commit()
    if input_data is not None:
        try:
            JobFiles(settings().instance_path).save_input(job.id, input_data)
        except OSError as error:
            log.warning("job %d: its input could not be kept (%s)", job.id, type(error).__name__)
            fail(
                job,
                N_("The uploaded file could not be kept (%(kind)s)."),
                {"kind": type(error).__name__},
                now(),
            )
            session.commit()
            return job
    find_service(JobQueue).submit(job.id)
    return job


def requested_job(kind: str) -> Job | None:
    """The job the page was asked to show (``?job=<id>``): the current user's (or any, for an
    administrator), of this page's kind; 404 for another kind or none, 403 for someone else's."""
    value = request.args.get("job", "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        abort(404)
    session = get_session()
    try:
        job = visible_job(session, int(value), current_user, kind=kind)
    except NotFound:
        abort(404)
    except AccessDenied:
        abort(403)
    session.refresh(job)  # a job run in this process (immediate queue) changed it in another session
    return job


@dataclass(frozen=True)
class JobPanel:
    """What a job's panel shows, in the reader's language."""

    id: int
    state: str
    ended: bool
    state_label: str
    progress_text: str
    percent: int | None
    error: str
    retries: int
    status_url: str
    result_url: str
    refresh_url: str


def progress_of(job: Job) -> tuple[int, int]:
    if job.ended:
        return job.progress_done, job.progress_total
    return find_service(JobQueue).progress(job)


def panel(job: Job, refresh_url: str | None = None) -> JobPanel:
    done, total = progress_of(job)
    percent = None
    if total:
        percent = min(100, done * 100 // total)
    elif job.state is JobState.DONE:
        percent = 100
    return JobPanel(
        id=job.id,
        state=job.state.value,
        ended=job.ended,
        state_label=str(STATE_LABELS[job.state]),
        progress_text=progress_text(job, done, total),
        percent=percent,
        error=translate_message(job.error, job.error_params) if job.error else "",
        retries=job.retries,
        status_url=url_for("jobs.status", job_id=job.id),
        result_url=url_for("jobs.result", job_id=job.id) if job.result_file else "",
        refresh_url=refresh_url or request.full_path.rstrip("?"),
    )


def progress_text(job: Job, done: int, total: int) -> str:
    if job.state is JobState.QUEUED:
        if job.retries:
            return _("Attempt %(attempt)d failed; it is tried again shortly.", attempt=job.retries)
        return _("Waiting for the worker to start it.")
    if job.state is JobState.RUNNING:
        if total:
            return _(
                "Running: %(percent)s%% (%(done)s of %(total)s steps).",
                percent=format_decimal(min(100, done * 100 // total)),
                done=format_decimal(done),
                total=format_decimal(total),
            )
        return _("Running.")
    if job.state is JobState.DONE:
        return _("Done.")
    return _("Failed.")
