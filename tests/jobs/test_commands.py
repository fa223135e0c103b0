"""``lbt worker`` and ``lbt serve --demo`` as people run them, in processes of their own: the worker
consumes what the site submits and stops on a signal; the one-command demo starts a worker beside its
server, which runs a job submitted to it, and both stop with Ctrl+C. On the embedded queue; the same
command on Redis (``LBT_QUEUE_URL``, a redis-server of its own) is in test_worker_redis.py."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from lbt import create_app
from lbt.audit.models import AuditActor
from lbt.core.settings import Settings
from lbt.jobs import imports
from lbt.jobs.files import JobFiles
from lbt.jobs.models import Job, JobState
from lbt.jobs.queue import JobQueue
from lbt.jobs.services import create_job
from lbt.notifications.services import queue_message
from tests.fixtures.smtp import free_port
from tests.jobs.conftest import Site, make_site

LBT = str(Path(sys.executable).with_name("lbt"))
STATES = b"code,alpha3,name_en,name_ru,name_national\nKZ,KAZ,Kazakhstan,Kazakhstan,Kazakhstan\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from make_site("sqlite", tmp_path_factory.mktemp("jobs-commands"))


def environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "LBT_DATABASE_URL": settings.database_url,
        "LBT_INSTANCE_PATH": str(settings.instance_path),
        "LBT_SECRET_KEY": settings.secret_key,
        "PYTHONUNBUFFERED": "1",
    }


def submit_import(state, content: bytes = STATES) -> int:  # type: ignore[no-untyped-def]
    with state.database.transaction(AuditActor(None, "tests", "tests")) as session:
        job_id = create_job(
            session, imports.KIND, started_by=None, params={"kind": "state"}, now=state.clock()
        ).id
    JobFiles(state.settings.instance_path).save_input(job_id, content)
    assert state.find(JobQueue).submit(job_id)
    return job_id


def wait_done(state, job_id: int, seconds: float = 300) -> Job:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        with state.database.transaction() as session:
            job = session.get(Job, job_id)
            assert job is not None
            if job.ended:
                session.expunge(job)
                return job
        assert time.monotonic() < deadline, f"job {job_id} not done after {seconds} s"
        time.sleep(0.2)


def read_until(process: subprocess.Popen[bytes], text: str, seconds: float = 600) -> str:
    """What the process printed until a line holding ``text`` (or its end: then the test fails). The
    demo's start migrates an empty database and loads the demo: minutes on a busy machine."""
    assert process.stdout is not None
    seen: list[str] = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not selector.select(timeout=1):
                continue
            line = process.stdout.readline().decode()
            if not line:
                break
            seen.append(line)
            if text in line:
                return "".join(seen)
    raise AssertionError(f"no {text!r} in the output:\n{''.join(seen)}")


def stop(process: subprocess.Popen[bytes], sig: int) -> int:
    process.send_signal(sig)
    try:
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_lbt_worker_runs_what_the_site_submits_and_stops_on_sigint(site: Site, tmp_path):
    with (tmp_path / "worker.log").open("w+b") as log:
        process = subprocess.Popen(
            [LBT, "worker", "--no-periodic"],
            env=environment(site.state.settings),
            stdout=subprocess.PIPE,
            stderr=log,
        )
        try:
            started = read_until(process, "lbt worker:")
            assert "1 thread(s) on SQLite" in started and "regular jobs off" in started
            job = wait_done(site.state, submit_import(site.state))
            assert job.state is JobState.DONE and job.outcome["created"] == 1
        finally:
            code = stop(process, signal.SIGINT)  # graceful: the running job would end first
        assert code == 0
        log.seek(0)
        lines = [json.loads(line) for line in log.read().decode().splitlines()]
    # its log is JSON lines, the queue's own (huey) as well as the app's
    loggers = {line["logger"] for line in lines}
    assert {"huey", "huey.consumer", "lbt.jobs.runner"} <= loggers, loggers
    assert any(line["event"] == f"job {job.id} (reference_import) done" for line in lines)


def test_lbt_worker_refuses_when_jobs_run_where_they_are_started(site: Site):
    result = subprocess.run(
        [LBT, "worker"],
        env={**environment(site.state.settings), "LBT_QUEUE_URL": "immediate:"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "a worker has nothing to do" in result.stderr


def test_the_one_command_demo_runs_a_worker_beside_the_server(tmp_path):
    instance = tmp_path / "instance"
    env = {key: value for key, value in os.environ.items() if not key.startswith("LBT_")}
    env.update({"LBT_INSTANCE_PATH": str(instance), "PYTHONUNBUFFERED": "1"})
    port = free_port()
    process = subprocess.Popen(
        [LBT, "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        output = read_until(process, "A worker runs the background and regular jobs beside the server")
        assert "lbt is serving on" in output and f"(SQLite {instance / 'queue.sqlite3'})" in output
        # a job submitted to the demo's queue (by another process on the same instance) is run by it
        app = create_app(Settings.from_env(tmp_path, env))
        state = app.extensions["lbt"]
        try:
            job = wait_done(state, submit_import(state, STATES.replace(b"KZ,KAZ", b"XK,XKX")))
            assert job.state is JobState.DONE and job.outcome["created"] == 1
            # and its regular jobs run: a message in the outbox is tried within the minute (no mail
            # server answers on localhost:25 here, so the run records one failure)
            with state.database.transaction() as session:
                queue_message(
                    session, recipient="resident@example.org", subject="Demo", body="Salom", now=state.clock()
                )
            deadline = time.monotonic() + 180
            while True:
                with state.database.transaction() as session:
                    mail = session.scalars(select(Job).where(Job.kind == "mail")).first()
                    if mail is not None:
                        assert mail.outcome["params"]["failed"] == 1
                        break
                assert time.monotonic() < deadline, "the demo's worker did not try the outbox"
                time.sleep(1)
        finally:
            state.database.dispose()
    finally:
        code = stop(process, signal.SIGINT)  # Ctrl+C: the server ends, then its worker
    assert code == 0
