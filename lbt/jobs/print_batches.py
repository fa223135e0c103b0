"""A print batch of permit cards as a job (``lbt/permits/printing.py`` draws the cards): the PDF is the
job's result, downloadable by its starter when done; the cards in it count as printed.

The permits are read a part at a time, each part in a short transaction: on SQLite a transaction holds
the database's write lock, and a batch of a thousand cards takes minutes to draw."""

from __future__ import annotations

from datetime import date
from typing import Any, BinaryIO

from lbt.accounts.models import User
from lbt.accounts.policy import agreement_ids
from lbt.core.dates import state_today
from lbt.core.errors import N_
from lbt.jobs.runtime import JobContext, JobRefused, JobResult
from lbt.permits.printing import (
    BatchPrinter,
    PrintReport,
    mark_printed,
    permit_ids_to_print,
    permits_to_print,
)
from lbt.storage.uploads import FileStore

KIND = "print_batch"
MAX_CARDS = 1000  # per batch: the oldest first; the outcome says how many more wait
PART = 50
PDF_NAME = "cards.pdf"


def print_params(*, since: date | None, unprinted: bool) -> dict[str, Any]:
    return {"since": since.isoformat() if since else None, "unprinted": unprinted}


def _chosen(context: JobContext) -> tuple[list[int], int]:
    """The ids of the permits to print (within the starter's agreements) and how many more match."""
    since = context.params.get("since")
    with context.runtime.database.transaction(context.actor) as session:
        user = session.get(User, context.actor.user_id) if context.actor.user_id else None
        if user is None or not user.is_active:
            raise JobRefused(N_("The user who started this job can no longer print cards."))
        chosen = permit_ids_to_print(  # ids only: a national batch's choice is not loaded whole
            session,
            since=date.fromisoformat(since) if since else None,
            agreement_ids=agreement_ids(user),
            unprinted=bool(context.params.get("unprinted")),
        )
        ids = [permit_id for permit_id, _number in chosen]
    if not ids:
        raise JobRefused(N_("No permits match: there is nothing to print."))
    return ids[:MAX_CARDS], max(0, len(ids) - MAX_CARDS)


def run_print_batch(context: JobContext) -> JobResult:
    ids, more = _chosen(context)
    settings = context.runtime.settings
    files = context.runtime.find(FileStore)
    report: PrintReport | None = None

    def draw(out: BinaryIO) -> None:
        nonlocal report
        with context.runtime.database.transaction(context.actor) as session:
            printer = BatchPrinter(
                session,
                out,
                today=state_today(settings.home_state, context.now),  # expired from local midnight
                home_state=settings.home_state,
                authority=settings.issuing_authority,
                public_url=settings.public_url,
                files=files,
            )
        done = 0
        for start in range(0, len(ids), PART):
            part = ids[start : start + PART]
            with context.runtime.database.transaction(context.actor) as session:
                for permit in permits_to_print(session, since=None, ids=part):
                    printer.add(session, permit)
            done += len(part)
            context.progress(done, len(ids) + 1)
        report = printer.finish()

    path = context.files.write(context.job_id, PDF_NAME, draw)
    assert report is not None
    if report.printed:
        with context.runtime.database.transaction(context.actor) as session:
            printed = permits_to_print(session, since=None, numbers=report.printed)
            mark_printed(printed, report.printed, context.now)
    else:
        context.files.remove(context.job_id, PDF_NAME)  # nothing was drawn: no empty file to download
    outcome = {
        "printed": len(report.printed),
        "skipped": [{"number": s.number, "code": s.code, "reason": s.reason} for s in report.skipped],
        "more": more,
    }
    result_file = (path, f"cards-{context.now:%Y-%m-%d}-{context.job_id}.pdf", "application/pdf")
    return JobResult(outcome, result_file if report.printed else None, len(ids) + 1, len(ids) + 1)
