"""A job's files below ``<instance>/jobs/<id>/``: its input (an uploaded CSV, kept until the job ends)
and its result (a PDF, a report), mode 0600 in a 0700 folder like the uploads. Results hold personal
data (cards print photos and names): they are served only to the job's starter or an admin, and
deleted by the daily file pruning after ``RESULTS_KEPT``."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

JOBS_FOLDER = "jobs"
INPUT_NAME = "input"
RESULTS_KEPT = timedelta(days=7)


class JobFiles:
    def __init__(self, instance_path: Path) -> None:
        self.directory = instance_path / JOBS_FOLDER

    def folder(self, job_id: int) -> Path:
        folder = self.directory / str(job_id)
        for path in (self.directory, folder):
            path.mkdir(mode=0o700, exist_ok=True)
            if path.stat().st_mode & 0o077:
                path.chmod(0o700)
        return folder

    def input_path(self, job_id: int) -> Path:
        return self.directory / str(job_id) / INPUT_NAME

    def save_input(self, job_id: int, content: bytes) -> None:
        self.write(job_id, INPUT_NAME, lambda handle: handle.write(content))

    def read_input(self, job_id: int) -> bytes:
        return self.input_path(job_id).read_bytes()

    def write(self, job_id: int, name: str, fill: Callable[[BinaryIO], object]) -> str:
        """Write ``name`` whole or not at all (a temporary file renamed once complete); returns the path
        below the jobs folder that the job record keeps."""
        folder = self.folder(job_id)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".part-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                fill(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, folder / name)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return f"{job_id}/{name}"

    def path_of(self, relative: str) -> Path | None:
        """The file a job record names, or None when it is gone (or the name leads outside)."""
        if not relative:
            return None
        path = (self.directory / relative).resolve()
        if not path.is_relative_to(self.directory.resolve()) or not path.is_file():
            return None
        return path

    def remove(self, job_id: int, name: str) -> None:
        (self.directory / str(job_id) / name).unlink(missing_ok=True)

    def remove_all(self, job_id: int) -> None:
        shutil.rmtree(self.directory / str(job_id), ignore_errors=True)
