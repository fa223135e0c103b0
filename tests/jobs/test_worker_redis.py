"""Production mode as the README and docs/deploy run it: ``LBT_QUEUE_URL=redis://...`` chosen by the
settings (``make_huey``, the queue named "lbt"), the site submitting to it and ``lbt worker`` in a
process of its own consuming it, the regular jobs on; beside the same command on the embedded default
(tests/jobs/test_commands.py). The Redis server is this machine's ``redis-server``, started on a free
port for this module, so the queue's fixed name is shared with no other test run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from huey import RedisHuey
from sqlalchemy import select

from lbt.audit.models import AuditActor
from lbt.jobs.models import Job, JobState
from lbt.jobs.queue import QUEUE_NAME, JobQueue, make_huey
from lbt.notifications.services import queue_message
from tests.fixtures.smtp import free_port
from tests.jobs.conftest import Site, make_site
from tests.jobs.test_commands import LBT, environment, read_until, stop, submit_import, wait_done


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    program = shutil.which("redis-server")
    if program is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI (apt-get install redis-server)")
        pytest.skip("no redis-server here (apt-get install redis-server)")
    import redis

    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [program, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        yield url
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def site(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = make_site("sqlite", tmp_path_factory.mktemp("jobs-redis-url"))
    embedded = next(made)
    state = embedded.state
    state.settings = state.settings.with_changes(queue_url=redis_url)
    huey = make_huey(state.settings)  # what the app builds from LBT_QUEUE_URL
    assert isinstance(huey, RedisHuey) and huey.name == QUEUE_NAME
    queue = JobQueue(state, huey)
    state.provide(JobQueue, lambda: queue)
    yield Site(embedded.app, state, queue, "redis")
    next(made, None)  # the site's own clean-up


def test_lbt_worker_on_redis_runs_the_sites_jobs_and_the_regular_ones(site: Site, redis_url: str, tmp_path):
    env = {**environment(site.state.settings), "LBT_QUEUE_URL": redis_url}
    queued = submit_import(site.state)  # waits in Redis until a worker comes
    assert site.queue.waiting() == 1
    with site.state.database.transaction(AuditActor(None, "tests", "tests")) as session:
        queue_message(
            session, recipient="resident@example.org", subject="Redis", body="Salom", now=site.state.clock()
        )
    with (tmp_path / "worker.log").open("w+b") as log:
        process = subprocess.Popen(
            [LBT, "worker", "--workers", "2"], env=env, stdout=subprocess.PIPE, stderr=log
        )
        try:
            started = read_until(process, "lbt worker:")
            assert "2 thread(s) on Redis, regular jobs on: mail" in started
            job = wait_done(site.state, queued)
            assert job.state is JobState.DONE and job.outcome["created"] == 1
            # a job submitted while it runs, and the mail outbox (a regular job) tried at its start
            assert (
                wait_done(
                    site.state,
                    submit_import(
                        site.state,
                        b"code,alpha3,name_en,name_ru,name_national\nXK,XKX,Kosovo,Kosovo,Kosovo\n",
                    ),
                ).state
                is JobState.DONE
            )
            deadline = time.monotonic() + 120
            while True:
                with site.state.database.transaction() as session:
                    mail = session.scalars(select(Job).where(Job.kind == "mail")).first()
                    if mail is not None and mail.ended:
                        # no SMTP server answers on localhost:25 here: one attempt, recorded as failed
                        assert mail.outcome["params"]["failed"] == 1
                        break
                assert time.monotonic() < deadline, "the worker did not try the outbox"
                time.sleep(0.5)
        finally:
            code = stop(process, signal.SIGTERM)  # what systemctl stop sends: running jobs finish
        assert code == 0
        log.seek(0)
        text = log.read().decode()
    assert "Executing lbt.jobs.queue.run_job" in text and "Executing lbt.jobs.queue.every_mail" in text
    assert site.queue.waiting() == 0


def test_the_site_and_the_worker_name_the_same_queue(site: Site, redis_url: str):
    """What the page submits lands where ``lbt worker`` looks: Huey's key for the queue named "lbt"."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        submit_import(site.state)
        assert client.llen(f"huey.redis.{QUEUE_NAME}") == 1
    finally:
        site.queue.huey.storage.flush_queue()
        client.close()
