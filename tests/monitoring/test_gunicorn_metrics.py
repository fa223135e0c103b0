"""``/metrics`` under a real gunicorn with two worker processes: each worker counts in its own file,
one scrape shows the sum of both; a restart starts the counts again from zero (the earlier run's
files are deleted at start)."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict

from lbt.accounts.models import Role
from lbt.accounts.services import UserData, create_user
from lbt.api.services import create_token
from lbt.audit.models import AuditActor
from lbt.core.db import Database
from lbt.core.metrics import is_alive
from lbt.core.migrate import upgrade
from tests.dbutil import temporary_database
from tests.fixtures.gunicorn import gunicorn
from tests.monitoring.scraping import value

HEALTH = {"endpoint": "monitoring.health", "method": "GET", "status": "200"}


def _monitor_token(url: str) -> str:
    database = Database(url)
    try:
        upgrade(database.engine)
        with database.transaction(AuditActor(None, "test", "test")) as session:
            now = datetime.now(UTC)
            monitor = create_user(
                session, UserData("prometheus", Role.MONITOR), "a long monitor passphrase", now=now
            )
            return create_token(session, monitor, name="scraper", now=now)[1]
    finally:
        database.dispose()


def _get(port: int, path: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http://127.0.0.1)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _health_counts_per_process(folder: Path) -> dict[int, float]:
    """What each worker wrote in its own counter file for GET /healthz 200."""
    counts = {}
    for path in folder.glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        for key, count, _timestamp, _position in MmapedDict.read_all_values_from_file(str(path)):
            _metric, name, labels, _help = json.loads(key)
            if name == "lbt_http_requests_total" and labels == HEALTH:
                counts[pid] = counts.get(pid, 0.0) + count
    return counts


def _held_request(port: int) -> socket.socket:
    """A connection that sent half a request: the sync worker that accepted it waits for the rest,
    so meanwhile only the other worker accepts."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.5)  # accepted by now
    return connection


def _finish(connection: socket.socket) -> bytes:
    with connection:
        connection.sendall(b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def _wait_for_workers(folder: Path, count: int) -> None:
    """Until ``count`` workers made their app (each opens its pool gauge's file then): the fixture
    waits for the first answer only, and a worker still booting would leave all requests to the other."""
    deadline = time.monotonic() + 60
    while len({path.stem.rsplit("_", 1)[1] for path in folder.glob("gauge_livesum_*.db")}) < count:
        assert time.monotonic() < deadline, f"fewer than {count} workers started"
        time.sleep(0.2)


def test_a_scrape_sums_both_workers_and_a_restart_starts_again_from_zero(tmp_path):
    with temporary_database(tmp_path, "lbt_metrics") as url:
        token = _monitor_token(url)
        instance = tmp_path / "instance"
        environment = {
            "LBT_DATABASE_URL": url,
            "LBT_INSTANCE_PATH": str(instance),
            "LBT_SECRET_KEY": "m" * 40,
        }
        with gunicorn(tmp_path, environment, workers=2) as port:
            assert _get(port, "/metrics")[0] == 401  # a worker is up; no token, no metrics
            _wait_for_workers(instance / "metrics", 2)
            before = _health_counts_per_process(instance / "metrics")  # the fixture's probes until up
            for _round in range(2):  # each round, one worker waits on a held request: the other serves
                held = _held_request(port)
                for _ in range(20):
                    assert _get(port, "/healthz")[0] == 200
                assert _finish(held).startswith(b"HTTP/1.1 200")
            status, text = _get(port, "/metrics", token)
            assert status == 200, text
            after = _health_counts_per_process(instance / "metrics")
            served = {pid: count - before.get(pid, 0.0) for pid, count in after.items()}
            assert len(served) == 2 and all(count > 0 for count in served.values()), served
            assert all(is_alive(pid) for pid in served)  # the two gunicorn workers, serving
            assert sum(served.values()) == 42  # 40 and the two held ones
            assert value(text, "lbt_http_requests_total", **HEALTH) == sum(after.values())  # both workers
            assert value(text, "lbt_db_pool_connections") >= 1
            first_run = set(after)
        with gunicorn(tmp_path, environment, workers=2) as port:
            status, text = _get(port, "/metrics", token)
            assert status == 200, text
            probes = value(text, "lbt_http_requests_total", **HEALTH)
            assert probes < 42  # the new run's start only: the 42 and more of the first run are gone
            assert first_run.isdisjoint(_health_counts_per_process(instance / "metrics"))
            for _ in range(5):
                assert _get(port, "/healthz")[0] == 200
            text = _get(port, "/metrics", token)[1]
            assert value(text, "lbt_http_requests_total", **HEALTH) == probes + 5
