"""What a job runs with, without Flask: the app's settings, database, clock and services (the
``AppState`` the composition root builds for the web and the CLI alike), and what one job hands to
its work."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from lbt.audit.models import AuditActor
from lbt.core.db import Database
from lbt.core.errors import DomainError
from lbt.core.settings import Settings
from lbt.jobs.files import JobFiles

T = TypeVar("T")

WORKER_ACTOR = AuditActor(None, "worker", "worker")  # what the schedule changes is audited under it


class Runtime(Protocol):
    settings: Settings
    database: Database
    clock: Callable[[], datetime]

    def find(self, kind: type[T]) -> T: ...


Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class JobContext:
    """One attempt of one job: its record's id and parameters, the actor its changes are audited
    under (the user who started it), its files and a way to report progress."""

    runtime: Runtime
    job_id: int
    params: Mapping[str, Any]
    actor: AuditActor
    files: JobFiles
    progress: Progress
    now: datetime


@dataclass(frozen=True)
class JobResult:
    """What a finished job leaves: its outcome (counts, refused lines, ids) and maybe a file."""

    outcome: dict[str, Any] = field(default_factory=dict)
    file: tuple[str, str, str] | None = None  # (path below the jobs folder, download name, media type)
    done: int = 0
    total: int = 0


class JobRefused(DomainError):
    """The job cannot be done as asked (a rule said no, its input is gone): it fails at once, without
    retries, with this message for its starter."""
