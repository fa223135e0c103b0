"""The benchmark of issue 11: for each size, a PostgreSQL database filled with generated data, the app
and a Flask hello world under the same gunicorn configuration, each request of the table driven by
wrk A B A B (hello world, app, hello world, app), and one table of requests/s, p50/p99, the ratio to
the hello world, queries per request and in-process time. See bench/README.md."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import datagen
import servers
import workload

import lbt

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measured_code() -> str:
    """The commit of the lbt that runs (and whether its tree has uncommitted changes)."""
    root = Path(lbt.__file__).resolve().parent.parent
    try:
        top = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if Path(top).resolve() != root:
            raise FileNotFoundError(top)  # lbt lies inside another checkout (an export), not its own
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "lbt", "migrations", "templates"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return f"lbt at {root} (not a git checkout)"
    return f"{commit}{' + uncommitted changes' if dirty else ''} ({root})"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def measure_size(
    target: datagen.Target, args: argparse.Namespace, load: servers.LoadConfig
) -> dict[str, Any]:
    marker = datagen.ensure_database(target, fresh=args.fresh, log=log)
    load_before = os.getloadavg()
    config = servers.GunicornConfig(workers=args.workers)
    rows: dict[str, Any] = {}
    copy_started = time.perf_counter()
    RESULTS.mkdir(exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="tmp-run-", dir=RESULTS) as folder,
        workload.database_copy(target) as url,
    ):
        log(f"{target.name}: copied for this run in {time.perf_counter() - copy_started:.1f} s")
        run_folder = Path(folder)
        environment = workload.app_environment(url, run_folder / "instance", str(marker["signing_key_pem"]))
        app = workload.build_app(environment)  # makes the instance folder and its secret key
        prepared = workload.prepare(app)
        requests = [row for row in workload.requests(prepared, run_folder) if _chosen(row.key, args.only)]
        log(f"{target.name}: queries and time in-process")
        in_process = workload.measure_in_process(app, prepared, requests)
        app.extensions["lbt"].database.dispose()
        with servers.hello_and_app(config, environment, run_folder, url) as (hello, app_server):
            cookies = {
                "guard": servers.login_cookie(
                    app_server.base_url, datagen.BENCH_GUARD, datagen.BENCH_PASSWORD
                ),
                "officer": servers.login_cookie(
                    app_server.base_url, datagen.BENCH_OFFICER, datagen.BENCH_PASSWORD
                ),
                "analyst": servers.login_cookie(
                    app_server.base_url, datagen.BENCH_ANALYST, datagen.BENCH_PASSWORD
                ),
            }
            hello_request = servers.Request("hello", "GET", "/", "get", _file(run_folder / "hello.txt", "/"))
            for request in requests:
                request = _with_login(request, cookies)
                log(f"{target.name}: {request.key}")
                request_ms = in_process[request.key]["in_process_ms"]
                runs: dict[str, list[dict[str, Any]]] = {"hello": [], "app": []}
                if request_ms <= load.slowest_ms:
                    seconds = load.run_seconds(request_ms)
                    servers.run_wrk(app_server, request, load, seconds=1)  # warm-up, not counted
                    for _round in range(args.rounds):  # A B A B
                        runs["hello"].append(servers.run_wrk(hello, hello_request, load))
                        runs["app"].append(servers.run_wrk(app_server, request, load, seconds=seconds))
                rows[request.key] = _summary(runs, in_process[request.key])
                log("  " + _row_text(request.key, target.size, rows[request.key]))
    return {
        "database": target.name,
        "data": {key: value for key, value in marker.items() if key != "signing_key_pem"},
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "requests": rows,
    }


def _chosen(key: str, only: list[str] | None) -> bool:
    return not only or any(part.lower() in key.lower() for part in only)


def _file(path: Path, line: str) -> Path:
    path.write_text(line + "\n")
    return path


def _with_login(request: servers.Request, cookies: dict[str, str]) -> servers.Request:
    """Staff pages are read with a login cookie (the guard's log, the officer's lists, the analyst's
    reports); the API with the guard's bearer token."""
    if request.path.startswith("/api/"):
        return request
    who = {"/crossings/": "guard", "/reports/": "analyst"}.get(request.path[: request.path.find("/", 1) + 1])
    who = who or "officer"
    return dataclasses.replace(request, headers=(*request.headers, f"Cookie: {cookies[who]}"))


def _summary(runs: dict[str, list[dict[str, Any]]], in_process: dict[str, Any]) -> dict[str, Any]:
    app, hello = runs["app"], runs["hello"]
    if not app:  # too slow to put under load: the in-process figures only
        return {"rps": None, "loaded": False, **in_process, "runs": runs}
    rps, hello_rps = _mean([run["rps"] for run in app]), _mean([run["rps"] for run in hello])
    # each app run against the hello world run just before it: the machine's load drifts between pairs
    ratios = [b["rps"] / a["rps"] for a, b in zip(hello, app, strict=True) if a["rps"]]
    return {
        "loaded": True,
        "rps": round(rps, 2),
        "hello_rps": round(hello_rps, 1),
        "ratio": round(_mean(ratios), 4),
        "ratios": [round(ratio, 4) for ratio in ratios],
        "p50_ms": round(_mean([run["p50_ms"] for run in app]), 2),
        "p99_ms": round(max(run["p99_ms"] for run in app), 2),
        "completed": sum(run["requests"] for run in app),
        "bad_answers": sum(run["bad_status"] + run["socket_errors"] + run["timeouts"] for run in app),
        "bad_items": sum(run["bad_items"] for run in app),
        "sample_problem": next((run["sample"] for run in app if run["sample"]), ""),
        **in_process,
        "runs": runs,
    }


HEADER = "| request | size | req/s | hello req/s | ratio | p50 ms | p99 ms | queries | in-process ms |"


def _row_text(key: str, size: int, row: dict[str, Any]) -> str:
    if not row["loaded"]:
        return (
            f"| {key} | {datagen.size_label(size)} | – | – | – | – | – | {row['queries']} | "
            f"{row['in_process_ms']:.1f} | too slow to load: in-process only"
        )
    problems = ""
    if row["bad_answers"] or row["bad_items"]:
        problems = f" {row['bad_answers']} bad answers, {row['bad_items']} items not stored"
    if row["completed"] < 20:
        problems += f" only {row['completed']} requests ended under load"
    return (
        f"| {key} | {datagen.size_label(size)} | {row['rps']:.1f} | {row['hello_rps']:.0f} | "
        f"{row['ratio']:.3f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['queries']} | "
        f"{row['in_process_ms']:.1f} |{problems}"
    )


def table(sizes: dict[int, dict[str, Any]]) -> str:
    lines = [HEADER, "|---|---|---|---|---|---|---|---|---|"]
    keys = list(dict.fromkeys(key for result in sizes.values() for key in result["requests"]))
    for key in keys:
        for size, result in sizes.items():
            if key in result["requests"]:
                lines.append(_row_text(key, size, result["requests"][key]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size", action="append", help="applications: 10k, 100k, 1m or a number (repeatable)"
    )
    parser.add_argument("--crossings-per-permit", type=float, default=7.7)
    parser.add_argument(
        "--server", default=DEFAULT_SERVER, help=f"PostgreSQL server (default {DEFAULT_SERVER})"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="make the data anew even when the database holds it"
    )
    parser.add_argument(
        "--data-only", action="store_true", help="make (or check) the databases, measure nothing"
    )
    parser.add_argument("--drop-after", action="store_true", help="drop each size's database when measured")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run (default 5)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="hello world + app pairs per request (default 2)"
    )
    parser.add_argument(
        "--slowest-ms",
        type=float,
        default=2000,
        help="a request slower in-process is not loaded (default 2000)",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (sync)")
    parser.add_argument("--only", action="append", help="measure only the requests whose name contains this")
    parser.add_argument("--label", help="what is measured, for the report (default: the git commit of lbt)")
    args = parser.parse_args()
    sizes = [datagen.parse_size(size) for size in args.size or ["10k"]]
    if not args.data_only and not servers.wrk_available():
        raise SystemExit("wrk is not installed: apt-get install wrk (see bench/README.md)")
    load = servers.LoadConfig(
        seconds=args.seconds, connections=args.connections, threads=args.threads, slowest_ms=args.slowest_ms
    )
    started = datetime.now(UTC)
    code = args.label or measured_code()
    log(f"measuring {code}")
    results: dict[int, dict[str, Any]] = {}
    for size in sizes:
        target = datagen.Target(args.server, size, args.crossings_per_permit)
        if args.data_only:
            datagen.ensure_database(target, fresh=args.fresh, log=log)
            continue
        results[size] = measure_size(target, args, load)
        if args.drop_after:
            datagen.drop_database(target)
    if args.data_only:
        return
    text = table(results)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    report = {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "code": code,
        "machine": {"cpus": os.cpu_count(), "postgresql": datagen.server_version(args.server)},
        "gunicorn": servers.GunicornConfig(workers=args.workers).__dict__,
        "wrk": load.__dict__,
        "sizes": {datagen.size_label(size): result for size, result in results.items()},
        "table": text,
    }
    (RESULTS / f"run-{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    (RESULTS / f"run-{stamp}.md").write_text(f"Measured {code}, {started:%Y-%m-%d %H:%M} UTC\n\n{text}\n")
    log(f"written to {RESULTS / f'run-{stamp}.json'} and .md")


if __name__ == "__main__":
    main()
