"""PostgreSQL: ``pg_dump`` in its custom format, and a restore that replaces the schema's contents in
one transaction (``pg_restore`` writes the SQL, ``psql`` runs it after dropping what is there; any
error, or a dump that does not end, rolls everything back).

The client tools must be of the server's major version or newer (``pg_dump`` refuses an older one);
``--pg-bin`` names the folder of another installation (``/usr/lib/postgresql/16/bin``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, make_url, text

from lbt.backup.archive import BackupError

_COPY_BLOCK = re.compile(r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n(.*?)^\\\.$", re.M | re.S)
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
LOCK_TIMEOUT_SECONDS = 30  # how long a restore waits for the app's locks before it gives up

# Everything lbt keeps in the public schema, dropped before the dump's objects are created again, so a
# table that the backup does not have cannot survive the restore.
_DROP_PUBLIC = """
DO $lbt$
DECLARE item record;
BEGIN
  FOR item IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
                   CASE item.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                     WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                                     ELSE 'TABLE' END, item.relname);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS routine FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p') LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', item.routine);
  END LOOP;
  FOR item IN SELECT t.typname, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
              WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm') LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
                   CASE item.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, item.typname);
  END LOOP;
END $lbt$;
"""


@dataclass(frozen=True)
class Tools:
    """The PostgreSQL client programs used, found on PATH or in ``--pg-bin``."""

    folder: Path | None = None

    def path(self, program: str) -> str:
        if self.folder is not None:
            candidate = self.folder / program
            if not os.access(candidate, os.X_OK):
                raise BackupError(f"{candidate} is not an executable {program}")
            return str(candidate)
        found = shutil.which(program)
        if found is None:
            raise BackupError(
                f"{program} is not installed: install the PostgreSQL client of the server's version "
                f"(Debian: apt-get install postgresql-client) or name its folder with --pg-bin"
            )
        return found

    def version(self, program: str) -> tuple[int, str]:
        """(major, full version) of a client program, from ``--version``."""
        output = _run([self.path(program), "--version"], what=f"{program} --version").stdout
        match = _VERSION.search(output)
        if match is None:
            raise BackupError(f"cannot tell the version of {program} from {output.strip()!r}")
        return int(match.group(1)), match.group(0).split()[-1]


@dataclass(frozen=True)
class Connection:
    """libpq's view of a SQLAlchemy URL: a connection string without the password, which goes in
    PGPASSWORD so that no process listing shows it."""

    conninfo: str
    environment: dict[str, str]

    @classmethod
    def of(cls, url: str) -> Connection:
        parsed = make_url(url)
        parts = {"host": parsed.host, "port": parsed.port, "user": parsed.username, "dbname": parsed.database}
        for key, value in parsed.query.items():
            parts[key] = value if isinstance(value, str) else value[-1]
        conninfo = " ".join(
            f"{key}={_quoted(str(value))}" for key, value in parts.items() if value is not None
        )
        environment = {**os.environ, "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "10")}
        if parsed.password is not None:
            environment["PGPASSWORD"] = str(parsed.password)
        return cls(conninfo, environment)


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _run(
    command: list[str], *, what: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    except OSError as error:
        raise BackupError(f"cannot run {what}: {error}") from None
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {_last_lines(result.stderr)}")
    return result


def _last_lines(output: str, count: int = 8) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return "\n".join(lines[-count:]) or "(no message)"


def server_version(engine: Engine) -> tuple[int, str]:
    with engine.connect() as connection:
        number = int(connection.execute(text("SHOW server_version_num")).scalar_one())
        full = str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    return number // 10000, full


def dump(engine: Engine, url: str, tools: Tools, out: Path) -> dict[str, str]:
    """``pg_dump --format=custom`` of the database into ``out``; returns the versions for the manifest."""
    server_major, server_full = server_version(engine)
    dump_major, dump_full = tools.version("pg_dump")
    if dump_major < server_major:
        raise BackupError(
            f"pg_dump {dump_full} cannot dump a PostgreSQL {server_full} server: install the PostgreSQL "
            f"{server_major} client (Debian: postgresql-client-{server_major}) or name its folder with --pg-bin"
        )
    connection = Connection.of(url)
    _run(
        [
            tools.path("pg_dump"),
            "--format=custom",
            "--no-password",
            f"--file={out}",
            f"--dbname={connection.conninfo}",
        ],
        what="pg_dump",
        env=connection.environment,
    )
    return {"server_version": server_full, "pg_dump_version": dump_full}


def schema_revision(dump_file: Path, tools: Tools) -> str:
    """The Alembic revision inside a custom-format dump (read from the dump itself, so it is the
    revision of the very data it holds); fails on a file that is no readable dump."""
    result = _run(
        [tools.path("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(dump_file)],
        what="pg_restore (reading the dump)",
    )
    match = _COPY_BLOCK.search(result.stdout)
    rows = match.group(1).split() if match else []
    if len(rows) != 1:
        raise BackupError("the dump holds no schema revision (no alembic_version row)")
    return rows[0]


def restore(dump_file: Path, url: str, tools: Tools, dump_version: str) -> None:
    """Replace the database's public schema by the dump, in one transaction."""
    restore_major, restore_full = tools.version("pg_restore")
    made_major = int(dump_version.split(".")[0]) if dump_version[:1].isdigit() else 0
    if restore_major < made_major:
        raise BackupError(
            f"the dump was made by pg_dump {dump_version}; pg_restore {restore_full} cannot read it: "
            f"install the PostgreSQL {made_major} client or name its folder with --pg-bin"
        )
    connection = Connection.of(url)
    with tempfile.TemporaryFile("w+") as errors:
        psql = subprocess.Popen(  # noqa: S603
            [
                tools.path("psql"),
                "--no-psqlrc",
                "--quiet",
                "--no-password",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={connection.conninfo}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=connection.environment,
        )
        assert psql.stdin is not None
        complete, stopped, reading_error = False, False, ""
        try:
            psql.stdin.write(
                f"BEGIN;\nSET lock_timeout = '{LOCK_TIMEOUT_SECONDS}s';\n{_DROP_PUBLIC}\n".encode()
            )
            complete, reading_error = _stream_sql(dump_file, tools, psql.stdin)
            if complete:  # only a dump read to its end is committed; otherwise psql is stopped unfinished
                psql.stdin.write(b"\nCOMMIT;\n")
            psql.stdin.close()
        except BrokenPipeError:  # psql stopped at an error (ON_ERROR_STOP): its message says which
            stopped = True
            with suppress(BrokenPipeError):
                psql.stdin.close()
        finally:
            if not complete and not stopped:
                psql.kill()  # the connection drops, the transaction is rolled back
            code = psql.wait()
        errors.seek(0)
        message = _last_lines(errors.read())
    if stopped or (complete and code != 0):
        if "lock timeout" in message:
            message += "\nThe database is in use: stop the app and the worker, then restore again."
        raise BackupError(f"the restore failed and was rolled back; nothing was changed:\n{message}")
    if not complete:
        raise BackupError(f"pg_restore could not read the whole dump ({reading_error}); nothing was changed")


def _stream_sql(dump_file: Path, tools: Tools, sink: IO[bytes]) -> tuple[bool, str]:
    """Feed ``pg_restore``'s SQL for the dump into ``sink`` (psql's input): (all of it came, its errors)."""
    with tempfile.TemporaryFile("w+") as errors:
        reader = subprocess.Popen(  # noqa: S603
            [tools.path("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump_file)],
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        assert reader.stdout is not None
        try:
            while chunk := reader.stdout.read(1024 * 1024):
                sink.write(chunk)
        finally:
            reader.stdout.close()
            code = reader.wait()
        errors.seek(0)
        return code == 0, _last_lines(errors.read())
