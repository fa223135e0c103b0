"""A background job as its starter follows it: what it does, where it stands, how it ended.

Not audited row by row (like the outbox): a job's progress changes every second, and what a job
changes in the domain is audited under the user who started it. Nothing personal is stored here:
``params`` name what to work on (a kind of reference data, a day, an agreement id), ``error`` is a
msgid with ``error_params`` (exception types and numbers only), ``outcome`` holds counts and, for a
CSV import, the refused lines (reference data, not people)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lbt.core.db import Base, enum_type, stamped


class JobState(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker (also between a failed attempt and its retry)
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # every attempt failed, or the job was refused (see ``error``)


ENDED = (JobState.DONE, JobState.FAILED)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # a kind of lbt.jobs.kinds or of the schedule
    state: Mapped[JobState] = mapped_column(enum_type(JobState, "state"), default=JobState.QUEUED)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the schedule
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)  # 0: not known (yet)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")  # a msgid; "" while nothing failed
    error_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result_file: Mapped[str] = mapped_column(String(200), default="")  # below <instance>/jobs/
    result_name: Mapped[str] = mapped_column(String(120), default="")  # the download's file name
    result_type: Mapped[str] = mapped_column(String(100), default="")  # its media type
    retries: Mapped[int] = mapped_column(default=0)  # attempts after the first
    created_at: Mapped[datetime] = stamped()
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("progress_done >= 0 AND progress_total >= 0", name="progress"),
        CheckConstraint("retries >= 0", name="retries"),
        Index("ix_jobs_started_by_id_created_at", "started_by_id", "created_at"),
        Index("ix_jobs_state_created_at", "state", "created_at"),
    )

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    @property
    def percent(self) -> int | None:
        """How far the job is, 0-100 (None: its size is not known)."""
        if not self.progress_total:
            return 100 if self.state is JobState.DONE else None
        return min(100, self.progress_done * 100 // self.progress_total)
