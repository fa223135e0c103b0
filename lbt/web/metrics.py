"""The web side of the metrics: each request counted and timed, the database pool watched, and the
scrape (``/metrics``, lbt/monitoring/views.py) that sums every process's files and adds what is read
at scrape time from the database.

Other parts add their own scrape-time figures with ``register_collector``: a function of the
request's session and the time that yields prometheus-client metric families, e.g.::

    from prometheus_client.core import GaugeMetricFamily

    def queued_jobs(session, now):
        yield GaugeMetricFamily("lbt_jobs_queued", "Jobs waiting.", value=count_waiting(session))

    register_collector(app, queued_jobs)

Each collector should cost one cheap query; one that fails is left out of that scrape (and logged),
never the whole answer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from lbt.core import metrics as process_metrics
from lbt.core.settings import Settings
from lbt.monitoring.collectors import background_jobs, exchange_links, mail_outbox

log = logging.getLogger(__name__)

METRICS_FOLDER = "metrics"  # inside the instance folder, unless LBT_METRICS_DIR names another
COLLECTORS = "lbt_metrics_collectors"  # app.extensions: the scrape-time collectors
REQUEST_STARTED = "lbt_request_started"  # flask.g: time.perf_counter() at the request's start
UNMATCHED = "none"  # the endpoint label of a request no route matched (404): never its path

ScrapeCollector = Callable[[Session, datetime], Iterable[Any]]


def metrics_folder(settings: Settings) -> Path:
    return settings.metrics_dir or settings.instance_path / METRICS_FOLDER


def register_collector(app: Flask, collector: ScrapeCollector) -> None:
    """Add figures read at scrape time (see the module's docstring)."""
    app.extensions.setdefault(COLLECTORS, []).append(collector)


def collectors_of(app: Flask) -> list[ScrapeCollector]:
    return list(app.extensions.get(COLLECTORS, []))


def init_metrics(app: Flask, settings: Settings, engine: Engine) -> None:
    process_metrics.enable(metrics_folder(settings))
    for collector in (mail_outbox, background_jobs, exchange_links):
        register_collector(app, collector)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_clock)  # before any refusal
    app.after_request(_count_request)
    _watch_pool(engine)


def _start_clock() -> None:
    g.setdefault(REQUEST_STARTED, time.perf_counter())


def request_duration() -> float:
    """Seconds since the request started (0 when it was answered before any hook ran)."""
    started = g.get(REQUEST_STARTED)
    return 0.0 if started is None else time.perf_counter() - started


def endpoint_label() -> str:
    return request.endpoint or UNMATCHED


def _count_request(response: Response) -> Response:
    count_request(endpoint_label(), request.method, response.status_code, request_duration())
    return response


def count_request(endpoint: str, method: str, status_code: int, seconds: float) -> None:
    """One request answered, counted and timed (also by the verify lane, which answers before Flask)."""
    requests, latency = process_metrics.request_children(endpoint, method, str(status_code))
    requests.inc()
    latency.observe(seconds)


def _watch_pool(engine: Engine) -> None:
    """Connections opened and checked out, counted by the pool's own events (each worker its own
    pool; the scrape sums the live workers)."""
    measured = process_metrics.metrics()
    event.listen(engine, "connect", lambda *_args: measured.pool_connections.inc())
    event.listen(engine, "close", lambda *_args: measured.pool_connections.dec())
    event.listen(engine, "close_detached", lambda *_args: measured.pool_connections.dec())
    event.listen(engine, "checkout", lambda *_args: measured.pool_in_use.inc())
    event.listen(engine, "checkin", lambda *_args: measured.pool_in_use.dec())


class _ScrapeTime(Collector):
    """The registered collectors, run against the scrape's session."""

    def __init__(self, found: list[ScrapeCollector], session: Session, now: datetime) -> None:
        self.found, self.session, self.now = found, session, now

    def collect(self) -> Iterator[Any]:
        for collector in self.found:
            try:
                yield from list(collector(self.session, self.now))
            except Exception:  # one broken figure must not hide the others
                log.exception("metrics collector %s failed", getattr(collector, "__name__", collector))
                self.session.rollback()


def scrape(app: Flask, session: Session, now: datetime) -> bytes:
    """The Prometheus text: every process's counts from the folder, then the scrape-time figures."""
    registry = CollectorRegistry(auto_describe=False)
    folder = process_metrics.multiprocess_folder()
    if folder is not None:
        process_metrics.forget_dead_processes(folder)
        MultiProcessCollector(registry, path=str(folder))
    registry.register(_ScrapeTime(collectors_of(app), session, now))
    return generate_latest(registry)
