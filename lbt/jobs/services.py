"""Job records: create one for a user, move it through its states, and say who may see it.

Flask-free: the views create jobs and read them, the task layer (``runner``) moves them on. Every state
change is a short transaction of its own, so the starter's page sees it at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.core.errors import N_, AccessDenied, NotFound
from lbt.core.pagination import Page, paginate
from lbt.jobs.files import RESULTS_KEPT, JobFiles
from lbt.jobs.models import ENDED, Job, JobState

STALE_AFTER = timedelta(hours=24)  # a job "running" this long lost its worker
PER_PAGE = 25


def create_job(
    session: Session, kind: str, *, started_by: User | None, params: Mapping[str, Any], now: datetime
) -> Job:
    job = Job(
        kind=kind,
        state=JobState.QUEUED,
        started_by_id=started_by.id if started_by else None,
        params=dict(params),
        outcome={},
        error="",
        error_params={},
        created_at=now,
    )
    session.add(job)
    session.flush()
    return job


def may_see(user: User, job: Job) -> bool:
    """A job, its progress and its result are its starter's; administrators see every job."""
    return user.role is Role.ADMIN or (job.started_by_id is not None and job.started_by_id == user.id)


def visible_job(session: Session, job_id: int, user: User, *, kind: str | None = None) -> Job:
    """The job ``job_id`` if ``user`` may see it (and it is of ``kind``); NotFound or AccessDenied."""
    job = session.get(Job, job_id)
    if job is None or (kind is not None and job.kind != kind):
        raise NotFound(N_("No such job."))
    if not may_see(user, job):
        raise AccessDenied(N_("This job was started by someone else."))
    return job


def jobs_page(session: Session, user: User, *, everyone: bool = False, page: int = 1) -> Page[Job]:
    """The user's jobs, the newest first; with ``everyone`` (administrators), every job, the
    schedule's included."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc())
    if not (everyone and user.role is Role.ADMIN):
        query = query.where(Job.started_by_id == user.id)
    return paginate(session, query, page, PER_PAGE)


def begin_attempt(job: Job, now: datetime) -> None:
    job.state = JobState.RUNNING
    job.started_at = job.started_at or now
    job.progress_done = 0


def record_progress(session: Session, job_id: int, done: int, total: int) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(progress_done=max(done, 0), progress_total=max(total, 0))
    )


def finish(job: Job, outcome: Mapping[str, Any], now: datetime, *, done: int = 0, total: int = 0) -> None:
    job.state = JobState.DONE
    job.outcome = dict(outcome)
    job.error, job.error_params = "", {}
    job.progress_total = total or job.progress_total
    job.progress_done = done or job.progress_total
    job.finished_at = now


def fail(job: Job, error: str, params: Mapping[str, Any], now: datetime) -> None:
    """Every attempt failed (or the job was refused): the error stays for the starter to read."""
    job.state = JobState.FAILED
    job.error, job.error_params = error, dict(params)
    job.finished_at = now


def retry_later(job: Job, error: str, params: Mapping[str, Any]) -> None:
    """An attempt failed and another one is scheduled: queued again, the error kept meanwhile."""
    job.state = JobState.QUEUED
    job.error, job.error_params = error, dict(params)
    job.retries += 1


def attach_result(job: Job, relative: str, name: str, media_type: str) -> None:
    job.result_file, job.result_name, job.result_type = relative, name, media_type


def fail_stale(session: Session, now: datetime) -> int:
    """Jobs left "running" by a worker that stopped (killed, machine restarted) end as failed."""
    stale = session.scalars(
        select(Job).where(Job.state == JobState.RUNNING, Job.started_at < now - STALE_AFTER)
    ).all()
    for job in stale:
        fail(job, N_("The worker stopped while this job ran. Start it again."), {}, now)
    return len(stale)


def prune_results(session: Session, files: JobFiles, now: datetime) -> int:
    """Delete the files of jobs that ended more than ``RESULTS_KEPT`` ago (the records stay)."""
    old = session.scalars(
        select(Job).where(Job.state.in_(ENDED), Job.finished_at < now - RESULTS_KEPT, Job.result_file != "")
    ).all()
    for job in old:
        files.remove_all(job.id)
        job.result_file = ""
        job.outcome = {**job.outcome, "result_deleted": True}
    return len(old)
