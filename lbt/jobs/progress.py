"""Progress while a job runs, kept in the queue's own storage (the SQLite queue file or Redis), not
in the database: on SQLite the job's own transaction holds the database's write lock (an import is
all or nothing), so no other transaction could record its progress until it ends. The job record
gets the final figures when the job ends."""

from __future__ import annotations

import json
import time

from huey import Huey
from huey.constants import EmptyData

MIN_INTERVAL = 0.5  # seconds between two writes of one job's progress


class ProgressBoard:
    def __init__(self, huey: Huey) -> None:
        self.storage = huey.storage

    @staticmethod
    def _key(job_id: int) -> str:
        return f"lbt.progress.{job_id}"

    def put(self, job_id: int, done: int, total: int) -> None:
        self.storage.put_data(self._key(job_id), json.dumps([done, total]).encode("ascii"))

    def read(self, job_id: int) -> tuple[int, int] | None:
        value = self.storage.peek_data(self._key(job_id))
        if value is EmptyData:
            return None
        try:
            done, total = json.loads(bytes(value))
        except (ValueError, TypeError):
            return None
        return int(done), int(total)

    def clear(self, job_id: int) -> None:
        self.storage.pop_data(self._key(job_id))

    def reporter(self, job_id: int) -> Reporter:
        return Reporter(self, job_id)


class Reporter:
    """The ``progress(done, total)`` a job calls as often as it likes; written at most every
    ``MIN_INTERVAL`` seconds, and always when done reaches total."""

    def __init__(self, board: ProgressBoard, job_id: int) -> None:
        self.board, self.job_id = board, job_id
        self.last = 0.0
        self.done = self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if now - self.last >= MIN_INTERVAL or done >= total:
            self.last = now
            self.board.put(self.job_id, done, total)
