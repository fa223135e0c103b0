"""Two real lbt instances side by side (a Tajik and a Kyrgyz one): each its own instance folder and
database (SQLite files, or two temporary PostgreSQL databases on LBT_TEST_DATABASE_URL's server),
served by its own gunicorn on a loopback port, driven through its `lbt` command and over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lbt.core.dates import state_today
from lbt.core.db import make_engine
from tests.dbutil import temporary_database
from tests.fixtures.gunicorn import _wait_until_up, free_port

AGREEMENT = "TJ-KG-LBT"  # the demo's agreement, the same code on both sides


@dataclass
class Instance:
    state: str
    directory: Path
    database_url: str
    port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None
    engine: Engine | None = None
    log: list[str] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)  # LBT_* of this instance beyond the pair's own
    workers: int = 2  # gunicorn's

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def today(self) -> date:
        """The state's calendar day now (its permits' validity dates count these, not UTC's)."""
        return state_today(self.state, datetime.now(UTC))

    @property
    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "LBT_INSTANCE_PATH": str(self.directory / "instance"),
            "LBT_HOME_STATE": self.state,
            "LBT_DATABASE_URL": self.database_url,
            "LBT_SECRET_KEY": f"{self.state}-secret-" + "s" * 40,
            "LBT_PUBLIC_URL": self.url,
            "LBT_RATELIMIT_STORAGE_URL": "memory://",
            **self.settings,
        }

    def lbt(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``lbt ARGUMENTS`` on this instance, as its operator would run it."""
        result = subprocess.run(
            [sys.executable, "-c", "from lbt.cli import main; main()", *arguments],
            cwd=self.directory,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"lbt {' '.join(arguments)} on {self.state}: {result.stdout}{result.stderr}")
        return result

    def start(self) -> None:
        self.server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "lbt:create_app()",
            ],
            cwd=self.directory,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _wait_until_up(self.port, self.server)

    def stop(self) -> None:
        """Stop the server (the link is cut); its output must hold no traceback."""
        if self.server is None:
            return
        self.server.terminate()
        output = self.server.communicate(timeout=60)[0].decode(errors="replace")
        self.server = None
        self.log.append(output)
        assert "Traceback" not in output, output

    def session(self) -> Session:
        """A session on this instance's database, for the test to look (and, as an officer would
        through the pages, to act through the services)."""
        if self.engine is None:
            self.engine = make_engine(self.database_url)
        session = Session(self.engine, expire_on_commit=False)
        from datetime import UTC, datetime

        from lbt.audit.models import AuditActor

        session.info["clock"] = lambda: datetime.now(UTC)
        session.info["actor"] = AuditActor(None, "test", "test")
        return session

    def post(self, path: str, body: bytes, content_type: str, token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http on loopback
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def post_json(self, path: str, value: Any, token: str | None = None) -> tuple[int, Any]:
        return self.post(path, json.dumps(value).encode(), "application/json", token)

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:  # noqa: S310 - http on loopback
            return json.loads(response.read())


@dataclass
class Pair:
    tj: Instance
    kg: Instance
    guard_token: str  # a bearer token of the Kyrgyz demo guard (posted at KG-TJ-01 ... 03)


def _run_together(*commands: tuple[Instance, tuple[str, ...]]) -> None:
    """The slow setup (migrations and demo data) of both instances at once."""
    running = [
        (
            instance,
            arguments,
            subprocess.Popen(
                [sys.executable, "-c", "from lbt.cli import main; main()", *arguments],
                cwd=instance.directory,
                env=instance.environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            ),
        )
        for instance, arguments in commands
    ]
    for instance, arguments, process in running:
        output = process.communicate(timeout=600)[0].decode(errors="replace")
        assert process.returncode == 0, f"lbt {' '.join(arguments)} on {instance.state}: {output}"


@contextmanager
def linked_pair(directory: Path) -> Iterator[Pair]:
    """Two demo instances, each serving, linked to each other through their commands."""
    with ExitStack() as stack:
        instances = []
        for state in ("TJ", "KG"):
            folder = directory / state
            folder.mkdir()
            url = stack.enter_context(temporary_database(folder, f"lbt_{state.lower()}"))
            instances.append(Instance(state, folder, url))
        tj, kg = instances
        _run_together((tj, ("demo",)), (kg, ("demo",)))
        for instance in instances:
            stack.callback(instance.stop)
            instance.start()
            if instance.engine is not None:
                stack.callback(instance.engine.dispose)
        for instance in instances:
            instance.lbt("exchange", "key", "--out", str(directory / f"{instance.state}.key.json"))
        for instance, partner in ((tj, kg), (kg, tj)):
            instance.lbt(
                "exchange",
                "link",
                "--agreement",
                AGREEMENT,
                "--partner-url",
                partner.url,
                "--partner-key",
                str(directory / f"{partner.state}.key.json"),
            )
        token = kg.lbt("tokens", "create", "guard", "--name", "exit check").stdout.strip().splitlines()[-1]
        try:
            yield Pair(tj, kg, token)
        finally:
            for instance in instances:
                if instance.engine is not None:
                    instance.engine.dispose()
