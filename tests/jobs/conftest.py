"""A site with a real worker: its own database (migrated, the demo loaded, committed: the worker runs
in other threads with sessions of its own), the demo's permits with their photos, and users of the
tests' password. Each site runs twice, on the embedded queue (SQLite in the instance folder, the
default) and on the Redis server of this machine in production mode (RedisHuey, a queue name of its
own in database 11, emptied afterwards). The worker is Huey's consumer in threads, started per test."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from huey import RedisHuey
from huey.consumer import Consumer

from lbt import create_app
from lbt.accounts.models import Role
from lbt.audit.models import AuditActor
from lbt.core.migrate import upgrade
from lbt.core.settings import Settings
from lbt.demo.applications import load_demo_applications
from lbt.demo.reference import load_demo
from lbt.jobs.models import Job
from lbt.jobs.queue import JobQueue
from lbt.permits.signing import KeyStore
from lbt.reference.models import Agreement
from lbt.storage.uploads import FileStore
from lbt.web.state import AppState
from tests.dbutil import temporary_database
from tests.fixtures.clients import Client
from tests.fixtures.database import Clock
from tests.fixtures.factories import make_user

REDIS_URL = "redis://127.0.0.1:6379/11"
QUEUES = ("sqlite", "redis")


def redis_or_skip():  # type: ignore[no-untyped-def]
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        client.close()
        reason = f"no Redis server answers at {REDIS_URL} ({error}); start one with `redis-server`"
        required = [name for name in ("CI", "LBT_REQUIRE_BROWSER") if os.environ.get(name)]
        if required:
            pytest.fail(f"Redis is required here ({' and '.join(required)} set) but {reason}")
        pytest.skip(reason)
    return client


@dataclass
class Site:
    app: Flask
    state: AppState
    queue: JobQueue
    kind: str  # "sqlite" or "redis"

    def client(self, username: str) -> Client:
        client: Client = self.app.test_client()  # type: ignore[assignment]
        response = client.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    def job(self, job_id: int) -> Job:
        with self.state.database.transaction() as session:
            job = session.get(Job, job_id)
            assert job is not None
            session.expunge(job)
            return job

    def wait(
        self, job_id: int, until: Callable[[Job], bool] = lambda job: job.ended, seconds: float = 90
    ) -> Job:
        """The job once ``until`` holds (by default: it ended), read from the database as the page does."""
        deadline = time.monotonic() + seconds
        while True:
            job = self.job(job_id)
            if until(job):
                return job
            assert time.monotonic() < deadline, f"job {job_id} still {job.state.value} after {seconds} s"
            time.sleep(0.1)

    def worker(self, *, periodic: bool = False) -> Consumer:
        consumer = self.queue.consumer(workers=1, periodic=periodic, embedded=True)
        consumer.start()
        return consumer

    def run(self, job_id: int) -> Job:
        """The job run by a worker started for it: its record once it ended (the worker then stopped)."""
        worker = self.worker()
        try:
            return self.wait(job_id)
        finally:
            worker.stop(graceful=True)


def _users(site_state: AppState) -> None:
    with site_state.database.transaction(AuditActor(None, "tests", "tests")) as session:
        agreement = session.query(Agreement).one()
        make_user(session, "jobs-admin", Role.ADMIN)
        make_user(session, "jobs-officer", Role.OFFICER, agreements=[agreement])
        make_user(session, "jobs-officer2", Role.OFFICER, agreements=[agreement])
        make_user(session, "jobs-supervisor", Role.SUPERVISOR, agreements=[agreement])


@pytest.fixture(scope="module", params=QUEUES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from make_site(request.param, tmp_path_factory.mktemp(f"jobs-{request.param}"))


def make_site(kind: str, directory: Path) -> Iterator[Site]:
    with temporary_database(directory, "lbt_jobs") as url:
        settings = Settings(
            instance_path=directory / "instance",
            database_url=url,
            secret_key="j" * 40,
            public_url="http://localhost",
            job_retry_delay_seconds=1,
            testing=True,
        )
        app = create_app(settings)
        app.test_client_class = Client
        state: AppState = app.extensions["lbt"]
        # a clock the second step of each login moves on (tests.fixtures.two_factor.settle), so two
        # logins within one 30-second step still get a fresh code; it starts at the real time
        state.clock = Clock(datetime.now(UTC))
        redis_client = None
        if kind == "redis":
            redis_client = redis_or_skip()
            huey = RedisHuey(f"lbttest{uuid.uuid4().hex[:12]}", url=REDIS_URL, results=False)
            production = JobQueue(state, huey)
            state.provide(JobQueue, lambda: production)
        upgrade(state.database.engine)
        with state.database.transaction(AuditActor(None, "demo", "demo")) as session:
            load_demo(session, settings.instance_path, now=state.clock(), home_state=settings.home_state)
            session.flush()
            load_demo_applications(
                session,
                files=state.find(FileStore),
                keystore=state.find(KeyStore),
                home_state=settings.home_state,
                now=state.clock(),
            )
        _users(state)
        queue = state.find(JobQueue)
        try:
            yield Site(app, state, queue, kind)
        finally:
            if redis_client is not None:
                queue.huey.storage.flush_all()  # this queue's keys only (its name is the test's own)
                leftover = redis_client.keys(f"*{queue.huey.name}*")
                redis_client.close()
                assert leftover == [], leftover
            state.database.dispose()
