"""Where the CPU of a verify under load goes: the app's gunicorn workers, PostgreSQL's processes and
the rest of the machine, per request, beside the hello world's (docs/performance.md, "The verify
lane"). The same data, servers and wrk runs as ``run.py --only verify``; the CPU time of each group of
processes is read from /proc before and after each run and divided by the requests it ended.

    python bench/verify_cpu.py [--size 10k] [--rounds 2] [--workers 4] [--connections 8] [--seconds 5]

and, for the in-process cost of one scan without the network or other processes (the app's
``wsgi_app`` called directly with a gunicorn-like environ, the CPU of batches of 100 scans; the
minimum is the least disturbed by the machine's other work):

    python bench/verify_cpu.py --in-process
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import datagen
import servers
import workload

GROUPS = (("postgres", "postgres"), ("hello:app", "hello"), ("create_app", "app"))


def _cpu_by_group() -> dict[str, float]:
    """CPU seconds so far of the processes alive now, by group (their command line names it)."""
    seconds: dict[str, float] = {"app": 0.0, "hello": 0.0, "postgres": 0.0, "other": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        group = next((label for text, label in GROUPS if text in command or text == name), "other")
        seconds[group] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def _measured(server: servers.Server, request: servers.Request, load: servers.LoadConfig) -> dict[str, Any]:
    before = _cpu_by_group()
    figures = servers.run_wrk(server, request, load)
    after = _cpu_by_group()
    count = max(figures["requests"], 1)
    cpu = {group: round(1000 * (after[group] - before[group]) / count, 3) for group in after}
    return {"rps": figures["rps"], "cpu_ms": cpu}


def _environ(body: str, token: str) -> dict[str, Any]:
    data = body.encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/verify",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_USER_AGENT": servers.USER_AGENT,
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def in_process(app: Any, prepared: workload.Prepared, batches: int = 20) -> list[float]:
    statuses: set[str] = set()

    def start_response(status: str, _headers: Any, _exc: Any = None) -> None:
        statuses.add(status)

    def scan(index: int) -> None:
        body = prepared.verify_bodies[index % len(prepared.verify_bodies)]
        b"".join(app.wsgi_app(_environ(body, prepared.token), start_response))

    for index in range(200):  # the token's last use, the key set, the statements prepared
        scan(index)
    times = []
    for _batch in range(batches):
        started = time.process_time()
        for index in range(100):
            scan(index)
        times.append(10 * (time.process_time() - started))  # ms per scan
    if statuses != {"200 OK"}:
        raise SystemExit(f"not every scan was answered 200: {sorted(statuses)}")
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="10k")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    target = datagen.Target(args.server, datagen.parse_size(args.size), 7.7)
    marker = datagen.ensure_database(target, fresh=False, log=print)
    config = servers.GunicornConfig(workers=args.workers)
    load = servers.LoadConfig(seconds=args.seconds, connections=args.connections)
    with tempfile.TemporaryDirectory(prefix="verify-cpu-") as folder, workload.database_copy(target) as url:
        run_folder = Path(folder)
        environment = workload.app_environment(url, run_folder / "instance", str(marker["signing_key_pem"]))
        app = workload.build_app(environment)
        prepared = workload.prepare(app)
        if args.in_process:
            times = in_process(app, prepared)
            print(f"in-process CPU per scan: min {times[0]:.3f} ms, median {times[len(times) // 2]:.3f} ms")
            return
        request = next(row for row in workload.requests(prepared, run_folder) if "verify" in row.key)
        app.extensions["lbt"].database.dispose()
        hello_paths = run_folder / "hello.txt"
        hello_paths.write_text("/\n")
        hello_request = servers.Request("hello", "GET", "/", "get", hello_paths)
        with servers.hello_and_app(config, environment, run_folder, url) as (hello, app_server):
            servers.run_wrk(app_server, request, load, seconds=1)  # warm-up
            for _round in range(args.rounds):
                hello_run = _measured(hello, hello_request, load)
                app_run = _measured(app_server, request, load)
                print(f"hello  {hello_run['rps']:7.0f} req/s  CPU ms per request {hello_run['cpu_ms']}")
                print(
                    f"verify {app_run['rps']:7.0f} req/s  CPU ms per request {app_run['cpu_ms']}  "
                    f"ratio {app_run['rps'] / hello_run['rps']:.3f}"
                )


if __name__ == "__main__":
    main()
