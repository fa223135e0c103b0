"""The task layer the worker runs, free of Flask: each attempt opens its own short transactions on the
app's database (``Runtime``), runs one job's work, and records how it went.

An attempt that fails with an unexpected error is retried by the queue (``JOB_RETRIES``, a delay
apart); meanwhile the record is queued again with the error and its retry count, and after the last
attempt it is failed with that error. A refusal (``DomainError``: a rule said no) fails at once: trying
again would be refused again. Errors are recorded and logged by their type only: an exception's text
may carry personal data (SQL parameters, file names), which neither the log nor the record may hold."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from lbt.accounts.models import User
from lbt.audit.models import AuditActor
from lbt.core.errors import N_, DomainError, english
from lbt.jobs.files import JobFiles
from lbt.jobs.kinds import HANDLERS
from lbt.jobs.models import Job
from lbt.jobs.progress import ProgressBoard
from lbt.jobs.runtime import WORKER_ACTOR, JobContext, JobResult, Runtime
from lbt.jobs.schedule import Periodic, Summary
from lbt.jobs.services import attach_result, begin_attempt, create_job, fail, finish, retry_later

log = logging.getLogger(__name__)


class AttemptFailed(Exception):
    """Tells the queue to retry; names only the type of what went wrong."""


def describe(error: BaseException) -> tuple[str, dict[str, Any]]:
    """A readable reason without personal data: a refusal's own message, else the kind of failure."""
    if isinstance(error, DomainError) and isinstance(error.message, str):
        return error.message, {key: _plain(value) for key, value in error.params.items()}
    kind = {"kind": type(error).__name__}
    if isinstance(error, FileNotFoundError):
        return N_("A file the job needs is missing (%(kind)s)."), kind
    if isinstance(error, OSError):
        return N_("A file could not be read or written (%(kind)s)."), kind
    if isinstance(error, SQLAlchemyError):
        return N_("The database refused the job or could not be reached (%(kind)s)."), kind
    return N_("An unexpected error stopped the job (%(kind)s)."), kind


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def _update(runtime: Runtime, job_id: int, change: Callable[[Job], None]) -> None:
    with runtime.database.transaction(WORKER_ACTOR) as session:
        job = session.get(Job, job_id)
        if job is not None:
            change(job)


def _start(
    runtime: Runtime, job_id: int, files: JobFiles, board: ProgressBoard
) -> tuple[str, JobContext] | None:
    """Mark the job running and gather what its work needs; None when there is nothing to run."""
    now = runtime.clock()
    with runtime.database.transaction(WORKER_ACTOR) as session:
        job = session.get(Job, job_id)
        if job is None or job.ended:  # deleted, or a copy of a task that already ran to its end
            return None
        if job.kind not in HANDLERS:
            fail(job, N_("This kind of job is not known to this version of lbt."), {}, now)
            return None
        user = session.get(User, job.started_by_id) if job.started_by_id is not None else None
        source = f"job {job.id}"
        actor = AuditActor(user.id, user.username, source) if user else AuditActor(None, "worker", source)
        begin_attempt(job, now)
        return job.kind, JobContext(
            runtime, job.id, dict(job.params), actor, files, board.reporter(job.id), now
        )


def run_job(runtime: Runtime, board: ProgressBoard, job_id: int, *, retries_left: int) -> None:
    files = JobFiles(runtime.settings.instance_path)
    started = _start(runtime, job_id, files, board)
    if started is None:
        return
    kind, context = started
    try:
        result = HANDLERS[kind](context)
    except DomainError as refusal:
        error, params = describe(refusal)
        log.info("job %d (%s) refused: %s", job_id, kind, type(refusal).__name__)
        _update(runtime, job_id, lambda job: fail(job, error, params, runtime.clock()))
        board.clear(job_id)
        return
    except Exception as failure:
        error, params = describe(failure)
        log.warning(
            "job %d (%s): attempt failed (%s), %d retries left",
            job_id,
            kind,
            type(failure).__name__,
            retries_left,
        )
        if retries_left > 0:
            _update(runtime, job_id, lambda job: retry_later(job, error, params))
            raise AttemptFailed(type(failure).__name__) from None
        _update(runtime, job_id, lambda job: fail(job, error, params, runtime.clock()))
        board.clear(job_id)
        return
    reporter = context.progress
    done = result.done or getattr(reporter, "done", 0)
    total = result.total or getattr(reporter, "total", 0)
    _update(runtime, job_id, lambda job: _finish(job, result, runtime.clock(), done, total))
    board.clear(job_id)
    log.info("job %d (%s) done", job_id, kind)


def _finish(job: Job, result: JobResult, now: datetime, done: int, total: int) -> None:
    finish(job, result.outcome, now, done=done, total=total)
    if result.file is not None:
        attach_result(job, *result.file)


def run_periodic(runtime: Runtime, entry: Periodic, *, retries_left: int) -> None:
    """One run of a scheduled job. A run that did something (or failed for good) leaves a job record
    without a starter, which administrators see among all jobs; a run with nothing to do leaves none
    (the mail outbox is looked at every minute)."""
    now = runtime.clock()
    try:
        summary = entry.run(runtime, now)
    except Exception as failure:
        error, params = describe(failure)
        log.warning(
            "scheduled %s failed (%s), %d retries left", entry.name, type(failure).__name__, retries_left
        )
        if retries_left > 0 and not isinstance(failure, DomainError):
            raise AttemptFailed(type(failure).__name__) from None
        _record(runtime, entry, None, (error, params))
        return
    if summary is not None:
        log.info("scheduled %s: %s", entry.name, english(summary.message, summary.params))
        _record(runtime, entry, summary, None)


def _record(
    runtime: Runtime, entry: Periodic, summary: Summary | None, error: tuple[str, Mapping[str, Any]] | None
) -> None:
    now = runtime.clock()
    with runtime.database.transaction(WORKER_ACTOR) as session:
        job = create_job(session, entry.name, started_by=None, params={}, now=now)
        job.started_at = now
        if error is not None:
            job.retries = entry.retries
            fail(job, error[0], error[1], now)
        elif summary is not None:
            message = list(summary.message) if isinstance(summary.message, tuple) else summary.message
            finish(job, {"message": message, "params": dict(summary.params)}, now)
