"""Prometheus metrics counted where things happen (requests, verdicts, crossings), in
prometheus-client's multiprocess mode: each process writes its values to its own files in one folder,
and a scrape sums the files of every process, so several gunicorn workers show as one server.

The folder is the process's, chosen once (``enable``) before the first metric is made: the value
class of prometheus-client is process-wide, so the metrics are too (``metrics()``). Processes that
never call ``enable`` (the CLI) count in memory and nothing reads it.

Counts that belong to a transaction (a crossing stored) are added when the session commits
(``count_after_commit``), so a request that rolls back counts nothing."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, values
from prometheus_client.multiprocess import mark_process_dead
from sqlalchemy import event
from sqlalchemy.orm import Session

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
PENDING = "lbt_metrics_pending"  # a name in session.info: counts waiting for the commit
_PROCESS_FILE = re.compile(r"^(?P<kind>[a-z_]+)_(?P<pid>\d+)\.db$")
LIVE_PREFIX = "gauge_live"  # gauges whose dead processes' values are dropped (pool connections)

# request latencies: a page is fast below 0.1 s; the slow end is CSV imports and print batches
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class Metrics:
    """What every process counts. The labels are bounded sets (endpoints, not paths; codes, not
    values): nothing a person typed becomes a label."""

    requests: Counter
    latency: Histogram
    verdicts: Counter
    crossings: Counter
    pool_connections: Gauge
    pool_in_use: Gauge


def _build() -> Metrics:
    # registry=None: collected from the files (multiprocess) by the scrape, never from a registry
    return Metrics(
        requests=Counter(
            "lbt_http_requests",
            "HTTP requests answered, by endpoint (the route's name), method and status.",
            ["endpoint", "method", "status"],
            registry=None,
        ),
        latency=Histogram(
            "lbt_http_request_duration_seconds",
            "Time from the request's start to its answer, by endpoint and status.",
            ["endpoint", "status"],
            buckets=LATENCY_BUCKETS,
            registry=None,
        ),
        verdicts=Counter(
            "lbt_verdicts",
            "Verdicts given on a permit at a crossing point, by verdict, the code of its first reason"
            " ('' for none) and how the permit was read (scan: a QR, by a device or the guard page;"
            " typed_number: a number typed on the guard page).",
            ["verdict", "reason", "source"],
            registry=None,
        ),
        crossings=Counter(
            "lbt_crossings_recorded",
            "Entries and exits stored, by how they were recorded (online, offline) and status (counted, held).",
            ["mode", "status"],
            registry=None,
        ),
        pool_connections=Gauge(
            "lbt_db_pool_connections",
            "Database connections the process holds open (its pool), summed over live processes.",
            registry=None,
            multiprocess_mode="livesum",
        ),
        pool_in_use=Gauge(
            "lbt_db_pool_connections_in_use",
            "Database connections checked out of the pool (serving a request), summed over live processes.",
            registry=None,
            multiprocess_mode="livesum",
        ),
    )


@functools.cache
def metrics() -> Metrics:
    """The process's metrics (prometheus-client keeps one value class per process, so one set)."""
    return _build()


# a labelled value is looked up once, not per request (``labels`` sorts and checks its names each
# time); bounded, as a client can send any method
@functools.lru_cache(maxsize=1024)
def request_children(endpoint: str, method: str, status: str) -> tuple[Any, Any]:
    """The request counter's and the latency histogram's values for these labels."""
    measured = metrics()
    return (
        measured.requests.labels(endpoint=endpoint, method=method, status=status),
        measured.latency.labels(endpoint=endpoint, status=status),
    )


@functools.lru_cache(maxsize=1024)
def _verdict_child(verdict: str, reason: str, source: str) -> Any:
    return metrics().verdicts.labels(verdict=verdict, reason=reason, source=source)


@functools.cache
def _enabled() -> dict[str, Path]:
    """The process's folder once ``enable`` ran: process-wide like prometheus-client's value class."""
    return {}


def multiprocess_folder() -> Path | None:
    """The folder this process writes its metrics to, or None when it counts in memory only."""
    return _enabled().get("folder")


def enable(folder: Path) -> Path:
    """Count in ``folder`` from now on (the first call in a process decides; later calls, as from a
    second app in the same test process, keep it). At a server's start the files of the processes
    of an earlier run are deleted; files of processes still alive (the sibling workers) and of
    workers that died during this run (their counts are part of the totals) are kept."""
    chosen = _enabled()
    if "folder" in chosen:
        return chosen["folder"]
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _clean_earlier_run(folder)
    os.environ[MULTIPROCESS_ENV] = str(folder)  # prometheus-client opens its files where this says
    values.ValueClass = values.MultiProcessValue()
    for cached in (metrics, request_children, _verdict_child):  # a set made before (in memory) is
        cached.cache_clear()  # replaced by one that writes files
    chosen["folder"] = folder
    return folder


def process_files(folder: Path) -> Iterator[tuple[Path, str, int]]:
    """Each metrics file of the folder with its kind and the process id it was written by."""
    for path in folder.iterdir():
        match = _PROCESS_FILE.match(path.name)
        if match:
            yield path, match["kind"], int(match["pid"])


def is_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One process at a time decides about the folder's files (workers start together)."""
    fd = os.open(folder / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _clean_earlier_run(folder: Path) -> None:
    """Delete the files of an earlier run: when no process that wrote to the folder still lives, the
    server was restarted and its counts start again from zero. While one lives, this process joins
    a running server (a sibling or replacement worker) and every file stays."""
    with _locked(folder):
        files = list(process_files(folder))
        if any(is_alive(pid) for _path, _kind, pid in files):
            return
        for path, _kind, _pid in files:
            path.unlink(missing_ok=True)


def forget_dead_processes(folder: Path) -> None:
    """The live gauges (pool connections) of processes that ended are dropped before a scrape;
    their counters stay, as prometheus-client's documentation asks."""
    dead = {pid for _path, kind, pid in process_files(folder) if kind.startswith(LIVE_PREFIX)}
    for pid in dead:
        if not is_alive(pid):
            mark_process_dead(pid, str(folder))


# - counts that wait for the transaction -


def count_after_commit(session: Session, counter: Any, amount: float = 1) -> None:
    """Add ``amount`` to ``counter`` (a labelled child) once ``session`` commits; dropped on rollback."""
    session.info.setdefault(PENDING, []).append((counter, amount))


@event.listens_for(Session, "after_commit")
def _apply_pending(session: Session) -> None:
    for counter, amount in session.info.pop(PENDING, ()):
        counter.inc(amount)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


# - what the domain counts -


def count_verdict(verdict: str, reason: str, source: str) -> None:
    """A verdict given at a crossing point (it changes nothing, so it counts at once)."""
    _verdict_child(verdict, reason, source).inc()


def count_crossing(session: Session, *, offline: bool, held: bool) -> None:
    """One entry or exit stored, counted when the transaction that stores it commits."""
    child = metrics().crossings.labels(
        mode="offline" if offline else "online", status="held" if held else "counted"
    )
    count_after_commit(session, child)
