"""The servers under load and the load itself: the app and the hello world under one gunicorn
configuration on free local ports, a login over HTTP for the staff pages, and bounded wrk runs."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

BENCH = Path(__file__).resolve().parent
USER_AGENT = "lbt-bench"  # the login is bound to it (session protection): every request sends the same


@dataclass(frozen=True)
class GunicornConfig:
    workers: int = 4
    worker_class: str = "sync"
    timeout: int = 120  # the slowest page at 1 M took seconds before issue 11: no worker is killed for it

    def arguments(self, port: int) -> list[str]:
        return [
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            str(self.timeout),
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]


def _children_cpu_seconds(pid: int) -> float:
    """CPU time used so far by the processes whose parent is ``pid`` (gunicorn's workers), from /proc."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (name)": state, ppid, ...
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    database_url: str | None = None  # the database its requests query, to see them still running

    def _database_busy(self) -> bool:
        if self.database_url is None:
            return False
        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return bool(
                    connection.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid() AND state = 'active' AND backend_type = 'client backend'"
                        )
                    ).scalar()
                )
        finally:
            engine.dispose()

    def wait_idle(self, limit_seconds: float = 900) -> float:
        """Wait until the requests a wrk run left behind are done (gunicorn's sync workers finish a
        request whose client went away): no worker uses the CPU and no query of theirs runs. Returns
        the seconds waited."""
        started = time.monotonic()
        quiet, last = 0, _children_cpu_seconds(self.process.pid)
        while time.monotonic() - started < limit_seconds:
            time.sleep(0.5)
            cpu = _children_cpu_seconds(self.process.pid)
            busy = cpu - last > 0.02 or self._database_busy()
            quiet, last = (0 if busy else quiet + 1), cpu
            if quiet >= 2:
                return time.monotonic() - started
        raise SystemExit(f"{self.name} is still busy {limit_seconds:.0f} s after the load stopped")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(server: Server, path: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(server.base_url + path, timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    written = (server.log_path, server.log_path.with_suffix(".out"))  # gunicorn's, the app's
    log = "".join(path.read_text(errors="replace")[-3000:] for path in written if path.exists())
    raise SystemExit(f"{server.name} did not start on {server.base_url}:\n{log}")


@contextmanager
def gunicorn(
    name: str,
    app: str,
    config: GunicornConfig,
    *,
    env: Mapping[str, str],
    cwd: Path,
    logs: Path,
    ready: str,
    database_url: str | None = None,
) -> Iterator[Server]:
    """``gunicorn APP`` with the given configuration, stopped (the whole process group) at the end."""
    port = free_port()
    log_path = logs / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        *config.arguments(port),
        "--error-logfile",
        str(log_path),
        app,
    ]
    # the app's own JSON lines (one per request) go to a file beside gunicorn's, as a service's go to
    # its journal: not to the terminal, whose drawing of them would be measured as the machine's work
    with (logs / f"{name}.out").open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, **env},
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path, database_url)
    try:
        _wait_ready(server, ready)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def hello_and_app(
    config: GunicornConfig, environment: Mapping[str, str], folder: Path, database_url: str
) -> Iterator[tuple[Server, Server]]:
    """The hello world and the app, each under ``config``; the app on ``database_url``, in ``folder``."""
    with (
        gunicorn("hello", "hello:app", config, env={}, cwd=BENCH, logs=folder, ready="/") as hello,
        gunicorn(
            "lbt",
            "lbt:create_app()",
            config,
            env=environment,
            cwd=folder,
            logs=folder,
            ready="/healthz",
            database_url=database_url,
        ) as app_server,
    ):
        yield hello, app_server


def login_cookie(base_url: str, username: str, password: str) -> str:
    """Log in through the login page (its CSRF token included); the ``Cookie`` header value."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    with opener.open(base_url + "/login", timeout=30) as page:
        html = page.read().decode()
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if match is None:
        raise SystemExit("the login page has no csrf_token field")
    form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": match[1]})
    with opener.open(base_url + "/login", data=form.encode(), timeout=60) as answer:
        if "/login" in answer.url:
            raise SystemExit(f"the login of {username} failed")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


@dataclass(frozen=True)
class LoadConfig:
    seconds: int = 5
    connections: int = 8
    threads: int = 2
    timeout_seconds: int = 60
    longest_seconds: int = 10  # a run of a slow request lasts up to this, to see a few of them end
    slowest_ms: float = 2000  # a request slower than this in-process is not put under load

    def run_seconds(self, request_ms: float) -> int:
        """The wrk run's length: ``seconds``, longer for a request too slow to end a few times in it."""
        return max(self.seconds, min(self.longest_seconds, math.ceil(5 * request_ms / 1000)))


@dataclass(frozen=True)
class Request:
    """One benchmarked request, as wrk.lua sends it."""

    key: str  # the row label
    method: str
    path: str  # the URL's path (for "get", the first of the paths file)
    mode: str  # get | post | crossings
    data_file: Path
    headers: tuple[str, ...] = ()
    items: int = 0
    point: str = ""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(server: Server, request: Request, load: LoadConfig, *, seconds: int | None = None) -> dict:
    """One bounded wrk run; the figures of wrk.lua's done() (requests, p50/p99, bad answers). The
    requests still running when wrk stops keep the server busy: it returns when they are done."""
    arguments: Sequence[str] = [request.mode, str(request.data_file)]
    if request.mode == "crossings":
        arguments = [*arguments, str(request.items), str(load.threads), request.point]
    headers = [f"User-Agent: {USER_AGENT}", *request.headers]
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{seconds or load.seconds}s",
        f"--timeout={load.timeout_seconds}s",
        "-s",
        str(BENCH / "wrk.lua"),
        *[part for header in headers for part in ("-H", header)],
        server.base_url + request.path,
        "--",
        *arguments,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    figures = json.loads(line.removeprefix("BENCH "))
    figures["rps"] = figures["requests"] / figures["seconds"] if figures["seconds"] else 0.0
    figures["drain_seconds"] = round(server.wait_idle(), 1)
    return figures
