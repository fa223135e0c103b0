"""The job queue: a Huey instance chosen by ``LBT_QUEUE_URL`` (empty: SQLite in the instance folder, the
embedded default; ``redis://...``: Redis, for production and several workers; ``immediate:``: jobs
run at once in the submitting process, for tests), with lbt's one task (``run_job``: any job of a
record) and the periodic schedule registered on it. The web submits jobs, ``lbt worker`` consumes
them; both build the same queue, so the task names agree."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from lbt.audit.models import AuditActor
from lbt.core.db import make_private
from lbt.core.errors import N_
from lbt.core.settings import IMMEDIATE_QUEUE, Settings
from lbt.jobs.models import Job, JobState
from lbt.jobs.progress import ProgressBoard
from lbt.jobs.runner import run_job, run_periodic
from lbt.jobs.runtime import Runtime
from lbt.jobs.schedule import Periodic, default_schedule
from lbt.jobs.services import fail

log = logging.getLogger(__name__)

QUEUE_NAME = "lbt"
QUEUE_FILE = "queue.sqlite3"
JOB_RETRIES = 2  # a failed job is tried twice more, ``LBT_JOB_RETRY_DELAY_SECONDS`` apart
QUEUE_ACTOR = AuditActor(None, "worker", "queue")


def make_huey(settings: Settings) -> Huey:
    """Task data are job ids only, never personal data; results are kept in the job records, not here."""
    if settings.queue_url == IMMEDIATE_QUEUE:
        return MemoryHuey(QUEUE_NAME, immediate=True, results=False)
    if settings.queue_url:
        return RedisHuey(QUEUE_NAME, url=settings.queue_url, results=False)
    path = settings.instance_path / QUEUE_FILE
    make_private(path)  # 0600 before SQLite opens it, like the database
    return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)


class JobQueue:
    def __init__(self, runtime: Runtime, huey: Huey, schedule: tuple[Periodic, ...] | None = None) -> None:
        self.runtime = runtime
        self.huey = huey
        self.board = ProgressBoard(huey)
        # immediate mode runs a retry at once: a delayed one would wait for a consumer that never comes
        delay = 0 if huey.immediate else runtime.settings.job_retry_delay_seconds
        self.schedule = default_schedule(runtime.settings) if schedule is None else schedule
        self._run_job = huey.task(retries=JOB_RETRIES, retry_delay=delay, context=True, name="run_job")(
            self._job_task
        )
        for entry in self.schedule:
            huey.periodic_task(
                entry.when, retries=entry.retries, retry_delay=delay, context=True, name=f"every_{entry.name}"
            )(self._periodic_task(entry))

    @classmethod
    def lazy(cls, runtime: Runtime) -> Callable[[], JobQueue]:
        """A factory for ``AppState.provide``: the queue (and its file or connection) is made at first use."""
        made: list[JobQueue] = []

        def factory() -> JobQueue:
            if not made:
                made.append(cls(runtime, make_huey(runtime.settings)))
            return made[0]

        return factory

    def _job_task(self, job_id: int, task: Any = None) -> None:
        run_job(self.runtime, self.board, job_id, retries_left=task.retries if task is not None else 0)

    def _periodic_task(self, entry: Periodic) -> Callable[..., None]:
        def periodic(task: Any = None) -> None:
            run_periodic(self.runtime, entry, retries_left=task.retries if task is not None else 0)

        periodic.__name__ = f"every_{entry.name}"
        return periodic

    def submit(self, job_id: int) -> bool:
        """Hand a committed job record to the workers; if the queue cannot be reached the job fails at
        once with that reason (and False is returned), rather than waiting for ever."""
        try:
            self._run_job(job_id)
        except Exception as error:  # Redis down, the queue file unwritable: the page says so
            log.warning("job %d: the queue refused it (%s)", job_id, type(error).__name__)
            with self.runtime.database.transaction(QUEUE_ACTOR) as session:
                job = session.get(Job, job_id)
                if job is not None and job.state is JobState.QUEUED:
                    fail(
                        job,
                        N_("The job queue cannot be reached (%(kind)s). Try again later."),
                        {"kind": type(error).__name__},
                        self.runtime.clock(),
                    )
            return False
        return True

    def progress(self, job: Job) -> tuple[int, int]:
        """(done, total) of a job: live from the queue's storage while it runs, else from its record."""
        if job.state is JobState.RUNNING:
            try:
                live = self.board.read(job.id)
            except Exception:  # the queue unreachable: the record's figures are still true, if older
                live = None
            if live is not None:
                return live
        return job.progress_done, job.progress_total

    def waiting(self) -> int:
        """Tasks waiting in the queue (not the ones scheduled for a retry)."""
        return int(self.huey.pending_count())

    def consumer(self, *, workers: int = 1, periodic: bool = True, embedded: bool = False) -> Consumer:
        """``lbt worker``'s consumer (threads; ``run()`` handles SIGINT/SIGTERM), or with ``embedded`` one
        that ``start()``s beside a server and leaves its signal handlers alone (``lbt serve --demo``)."""
        kind = EmbeddedConsumer if embedded else Consumer
        return kind(
            self.huey,
            workers=workers,
            periodic=periodic,
            worker_type="thread",
            initial_delay=0.1,
            max_delay=2.0,
            scheduler_interval=1,
            shutdown_timeout=30,
        )


class EmbeddedConsumer(Consumer):
    """A consumer started from inside another program (the development server, a test): Ctrl+C stays
    the program's, which calls ``stop(graceful=True)`` when it ends."""

    def _set_signal_handlers(self) -> None:
        pass
