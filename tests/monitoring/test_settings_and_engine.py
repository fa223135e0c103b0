"""Where the metrics are kept (LBT_METRICS_DIR, else the instance folder), how the folder is cleaned
at a server's start, and error texts that keep personal data out of the log."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from lbt.core.db import make_engine
from lbt.core.metrics import _clean_earlier_run
from lbt.core.settings import Settings
from lbt.web.metrics import metrics_folder
from lbt.web.request_log import json_handler
from tests.dbutil import temporary_database


def test_the_metrics_folder_is_in_the_instance_folder_unless_set(tmp_path):
    plain = Settings.from_env(tmp_path, environ={"LBT_SECRET_KEY": "s" * 40})
    assert metrics_folder(plain) == plain.instance_path / "metrics"
    elsewhere = Settings.from_env(
        tmp_path, environ={"LBT_SECRET_KEY": "s" * 40, "LBT_METRICS_DIR": str(tmp_path / "run" / "lbt")}
    )
    assert metrics_folder(elsewhere) == (tmp_path / "run" / "lbt").resolve()


def _dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(child.stdout)


def test_at_start_an_earlier_runs_files_are_deleted_but_a_running_servers_are_kept(tmp_path):
    dead = tmp_path / f"counter_{_dead_pid()}.db"
    dead.write_bytes(b"")
    _clean_earlier_run(tmp_path)
    assert not dead.exists()  # nobody who wrote here lives: a new run starts from zero

    dead.write_bytes(b"")
    alive = tmp_path / f"counter_{os.getppid()}.db"  # a live process (our parent): a running server
    alive.write_bytes(b"")
    _clean_earlier_run(tmp_path)
    assert dead.exists() and alive.exists()  # a worker that died during the run keeps its counts


PERSON = "".join(["Farrukh", " Rahimov"])  # not written out: a traceback shows the source lines


def test_a_failed_statement_leaves_its_parameters_out_of_the_error_text(tmp_path):
    with temporary_database(tmp_path, "lbt_hidden") as url:
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(text("CREATE TABLE people (name VARCHAR(50) UNIQUE)"))
                connection.execute(text("INSERT INTO people VALUES (:name)"), {"name": PERSON})
            with pytest.raises(IntegrityError) as failed, engine.begin() as connection:
                connection.execute(text("INSERT INTO people VALUES (:name)"), {"name": PERSON})
        finally:
            engine.dispose()
    assert "[parameters:" not in str(failed.value) and "[SQL:" in str(failed.value)
    # PostgreSQL's own DETAIL still quotes the row ("Key (name)=(Farrukh Rahimov) already exists"):
    # a traceback in the log keeps the error's type and leaves its text out
    stream = io.StringIO()
    logger = logging.getLogger("lbt.test")
    handler = json_handler(stream)
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("the request failed") from failed.value
        except RuntimeError:
            logger.exception("unhandled error")
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert (
        "sqlalchemy.exc.IntegrityError" in line["exception"]
        and "RuntimeError: the request failed" in line["exception"]
    )
    assert "Farrukh" not in stream.getvalue()
