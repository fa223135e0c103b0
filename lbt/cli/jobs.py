"""``lbt worker``: the consumer of the job queue (imports, print batches, reports, and the regular jobs
of ``lbt/jobs/schedule.py``), and the embedded one ``lbt serve --demo`` starts beside the server."""

from __future__ import annotations

import logging

import click
from flask import Flask
from flask.cli import with_appcontext
from huey.consumer import Consumer

from lbt.cli.core import _fail, main
from lbt.jobs.queue import QUEUE_FILE, JobQueue
from lbt.web.request_log import json_handler
from lbt.web.state import AppState
from lbt.web.state import state as _state


def queue_description(state: AppState) -> str:
    """Where the queue lives, without a password a Redis URL may carry."""
    url = state.settings.queue_url
    if not url:
        return f"SQLite {state.settings.instance_path / QUEUE_FILE}"
    return "Redis" if url.startswith(("redis", "unix")) else url


def demo_worker(state: AppState) -> Consumer | None:
    """One worker thread (the regular jobs included) beside the development server of ``lbt serve
    --demo``; None when jobs run where they are started (``LBT_QUEUE_URL=immediate:``). The caller
    stops it."""
    import lbt.models  # noqa: F401  (file pruning finds the uploads in use from every table's keys)

    queue = state.find(JobQueue)
    if queue.huey.immediate:
        return None
    consumer = queue.consumer(workers=1, periodic=True, embedded=True)
    consumer.start()
    click.echo(
        f"A worker runs the background and regular jobs beside the server ({queue_description(state)})."
    )
    return consumer


def serve_with_worker(state: AppState, app: Flask, host: str, port: int, *, worker: bool) -> None:
    """The development server of ``lbt serve``; with ``worker`` (the demo: one command does everything)
    a worker beside it, stopped when Ctrl+C ends the server, after the job it runs."""
    from werkzeug.serving import run_simple

    consumer = demo_worker(state) if worker else None
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)


@main.command("worker")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 32), help="Worker threads.")
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Run the regular jobs too; with several `lbt worker`, let exactly one run them.",
)
@with_appcontext
def worker(workers: int, periodic: bool) -> None:
    """Run the job queue until stopped (Ctrl+C or SIGTERM lets the running jobs finish; SIGINT twice
    stops at once): background imports, print batches and reports, and the regular jobs (the mail
    outbox every minute, reminders every 15 minutes, the daily overstay check, file pruning and audit
    checkpoint; docs/operations.md)."""
    import lbt.models  # noqa: F401  (file pruning finds the uploads in use from every table's keys)

    # the queue's own lines (huey.*) as JSON lines too, like the app's (lbt.*, which has its own handler)
    root = logging.getLogger()
    root.addHandler(json_handler())
    root.setLevel(logging.INFO)
    state = _state()
    queue = state.find(JobQueue)
    if queue.huey.immediate:
        _fail("LBT_QUEUE_URL=immediate: runs every job where it is started; a worker has nothing to do")
        return
    click.echo(
        f"lbt worker: {workers} thread(s) on {queue_description(state)}, regular jobs "
        f"{'on: ' + ', '.join(entry.name for entry in queue.schedule) if periodic else 'off'}"
    )
    queue.consumer(workers=workers, periodic=periodic).run()
