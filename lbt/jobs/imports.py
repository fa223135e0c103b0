"""A CSV import of reference data as a job (``lbt/reference/csv_import.py`` does the work): all or
nothing as on the page before, every wrong row listed with its line, in the worker instead of the
request (a 50,000-row file takes about half a minute)."""

from __future__ import annotations

from typing import Any

from lbt.core.errors import N_
from lbt.jobs.files import INPUT_NAME
from lbt.jobs.runtime import JobContext, JobRefused, JobResult
from lbt.reference.csv_columns import KINDS
from lbt.reference.csv_import import RowError, import_csv

KIND = "reference_import"
ERRORS_KEPT = 1000  # refused lines kept in the record (the page shows 200; the count is kept whole)


def import_params(kind_name: str) -> dict[str, Any]:
    return {"kind": kind_name}


def error_of(row: RowError) -> dict[str, Any]:
    """One refused line as the record keeps it: the msgid (a plural pair as a list) and its values."""
    message = row.error.message
    return {
        "line": row.line,
        "column": row.column,
        "message": list(message) if isinstance(message, tuple) else message,
        "params": {key: _plain(value) for key, value in row.error.params.items()},
    }


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def run_import(context: JobContext) -> JobResult:
    kind_name = str(context.params.get("kind", ""))
    if kind_name not in KINDS:
        raise JobRefused(N_("Unknown kind of reference data."))
    content = context.files.read_input(context.job_id)  # gone: retried, then failed with that reason
    with context.runtime.database.transaction(context.actor) as session:
        result = import_csv(session, kind_name, content, progress=context.progress)
    context.files.remove(context.job_id, INPUT_NAME)
    outcome = {
        "kind": kind_name,
        "created": result.created,
        "updated": result.updated,
        "error_count": len(result.errors),
        "errors": [error_of(row) for row in result.errors[:ERRORS_KEPT]],
    }
    return JobResult(outcome)
