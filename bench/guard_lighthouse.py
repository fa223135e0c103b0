"""Lighthouse (mobile preset) on the guard page, /crossings/verify, of a running `lbt serve --demo`,
logged in as the demo guard (issue 11: largest paint under 2.5 s).

    npm install --prefix /tmp/lh lighthouse@12      # once, outside the repository
    python bench/guard_lighthouse.py --url http://127.0.0.1:5000 --password <the demo guard's> [--runs 3]

A login is bound to the browser's User-Agent (docs/architecture.md, "Access control"), so the guard
logs in here with the user agent that Lighthouse is then told to send, and Lighthouse gets the login
cookie as an extra header. Each run is a first visit (Lighthouse clears the storage: no service worker,
no cache). Prints per run the score, first and largest paint, the largest paint's element and its
render delay, and what was transferred; the reports go to bench/results/lighthouse-*.json."""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36"
)


def login_cookie(base: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    form = opener.open(f"{base}/login").read().decode()
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert match, "no CSRF token on the login page"
    fields = {"csrf_token": match.group(1), "username": "guard", "password": password}
    opener.open(f"{base}/login", urllib.parse.urlencode(fields).encode())
    landed = opener.open(f"{base}/crossings/verify").geturl()
    if not landed.endswith("/crossings/verify"):
        raise SystemExit(f"the guard could not log in (landed on {landed})")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def summary(report: dict) -> dict[str, object]:  # type: ignore[type-arg]
    audits = report["audits"]
    element = audits["largest-contentful-paint-element"]["details"]["items"]
    phases = (
        {item["phase"]: round(item["timing"]) for item in element[1]["items"]} if len(element) > 1 else {}
    )
    requests = audits["network-requests"]["details"]["items"]
    return {
        "score": round(report["categories"]["performance"]["score"] * 100),
        "first paint": audits["first-contentful-paint"]["displayValue"],
        "largest paint": audits["largest-contentful-paint"]["displayValue"],
        "element": element[0]["items"][0]["node"]["selector"],
        "render delay ms": phases.get("Render Delay"),
        "transferred KiB": round(sum(item["transferSize"] for item in requests) / 1024),
        "requests": len(requests),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--password", required=True, help="the demo guard's (instance/demo-accounts.txt)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lighthouse", default="/tmp/lh/node_modules/.bin/lighthouse")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    options = parser.parse_args()
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    headers = results / "lighthouse-headers.json"
    for run in range(1, options.runs + 1):
        headers.write_text(json.dumps({"Cookie": login_cookie(options.url, options.password)}))
        out = results / f"lighthouse-{run}.json"
        subprocess.run(
            [
                options.lighthouse,
                f"{options.url}/crossings/verify",
                "--only-categories=performance",
                f"--emulated-user-agent={USER_AGENT}",
                f"--extra-headers={headers}",
                "--chrome-flags=--headless --no-sandbox --disable-gpu --disable-background-networking",
                "--output=json",
                f"--output-path={out}",
                "--quiet",
            ],
            check=True,
            env={**os.environ, "CHROME_PATH": options.chromium},
        )
        print(run, json.dumps(summary(json.loads(out.read_text())), ensure_ascii=False))
    headers.unlink()


if __name__ == "__main__":
    main()
