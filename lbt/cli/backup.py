"""Backups: ``lbt backup --out FILE`` and ``lbt restore FILE [--yes]`` (docs/operations.md, "Backups")."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from lbt.backup import (
    BackupError,
    Instance,
    Part,
    Tools,
    make_backup,
    prepared_restore,
    record_restore,
    restore,
)
from lbt.cli.core import _cli_actor, _fail, exit_if_broken, main
from lbt.core.settings import SECRET_KEY_FILE
from lbt.exchange.keys import EXCHANGE_KEYS_FOLDER
from lbt.jobs.files import JOBS_FOLDER
from lbt.permits.signing import KeyStore
from lbt.storage.uploads import FileStore
from lbt.web.state import AppState
from lbt.web.state import state as _state

_PG_BIN = click.option(
    "--pg-bin",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of pg_dump, pg_restore and psql (default: found on PATH), e.g. /usr/lib/postgresql/16/bin.",
)


def _instance(state: AppState, pg_bin: Path | None) -> Instance:
    settings = state.settings
    return Instance(
        database_url=settings.database_url,
        engine=state.database.engine,
        folder=settings.instance_path,
        parts=(
            Part("secret_key", settings.instance_path / SECRET_KEY_FILE, is_folder=False),
            Part("keys", state.find(KeyStore).directory, is_folder=True),
            Part("uploads", state.find(FileStore).directory, is_folder=True),
            # the key the partner state pinned for the exchange, and the files of finished jobs that
            # the restored job records offer for download
            Part("exchange-keys", settings.instance_path / EXCHANGE_KEYS_FOLDER, is_folder=True),
            Part("jobs", settings.instance_path / JOBS_FOLDER, is_folder=True),
        ),
        tools=Tools(pg_bin),
    )


def _size(size: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def _secrets_outside(state: AppState) -> list[str]:
    """What the instance uses but the backup cannot hold: secrets given in the environment."""
    settings = state.settings
    notes = []
    key_file = settings.instance_path / SECRET_KEY_FILE
    if (
        not key_file.is_file()
        or key_file.read_text(encoding="ascii", errors="replace").strip() != settings.secret_key
    ):
        notes.append(
            "LBT_SECRET_KEY sets the session key: it is not in the backup, keep it with your secrets."
        )
    if settings.signing_key_pem:
        notes.append(
            "LBT_SIGNING_KEY sets the permit signing key: only its public half is in the backup, keep the "
            "private key with your secrets."
        )
    return notes


@main.command("backup")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (mode 0600; replaced only once the new one is complete).",
)
@_PG_BIN
@with_appcontext
def backup(out: Path, pg_bin: Path | None) -> None:
    """Back up the database (SQLite: the online backup API; PostgreSQL: pg_dump), the session key, the
    permit signing keys and the uploads into one archive with a manifest of checksums. Safe while the
    app runs."""
    state = _state()
    try:
        report = make_backup(_instance(state, pg_bin), out, state.clock())
    except BackupError as error:
        _fail(f"no backup written: {error}")
        return
    manifest = report.manifest
    files = sum(1 for name in manifest.members if name.startswith("instance/"))
    click.echo(
        f"Backup written to {out} ({_size(report.size)}): the {manifest.database_kind} database at schema "
        f"revision {manifest.schema_revision} and {files} file(s) of the instance "
        f"({', '.join(manifest.instance_parts) or 'none'})."
    )
    for note in _secrets_outside(state):
        click.echo(f"Note: {note}")
    if report.left_out:
        click.echo(f"Not in the backup (copy them separately if needed): {', '.join(report.left_out)}")


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database and the instance's files by the backup's.")
@_PG_BIN
@with_appcontext
def restore_command(archive: Path, yes: bool, pg_bin: Path | None) -> None:
    """Check a backup (manifest, checksums, schema revision) and say what restoring it would replace;
    with --yes, restore it (stop the app and the worker first), then check the audit log's chain."""
    from lbt.audit.services import verify_chain

    state = _state()
    instance = _instance(state, pg_bin)
    try:
        with prepared_restore(instance, archive) as plan:
            manifest = plan.manifest
            click.echo(
                f"{archive} is an intact lbt backup of {manifest.created_at:%Y-%m-%d %H:%M} UTC "
                f"({manifest.database_kind}, schema revision {manifest.schema_revision}, "
                f"{len(manifest.members)} members, checksums verified)."
            )
            click.echo("Restoring it replaces:" if yes else "Restoring it would replace:")
            for line in plan.replaces:
                click.echo(f"  - {line}")
            if not yes:
                click.echo("Nothing was changed. Stop the app and the worker, then run again with --yes.")
                return
            restore(instance, plan)
    except BackupError as error:
        _fail(f"not restored: {error}")
        return
    with state.database.transaction(_cli_actor()) as session:
        result = verify_chain(session)
    with state.database.transaction(_cli_actor()) as session:
        record_restore(session, plan, state.clock())
    click.echo(f"Restored the backup of {manifest.created_at:%Y-%m-%d %H:%M} UTC.")
    if plan.head_revision and manifest.schema_revision != plan.head_revision:
        click.echo(
            f"The database is at schema revision {manifest.schema_revision}; this lbt's latest is "
            f"{plan.head_revision}: run `lbt db upgrade` before starting the app."
        )
    if result.first_break is None:
        click.echo(f"Audit log intact: {result.checked} entries checked; the restore is recorded after them.")
    exit_if_broken(result)
