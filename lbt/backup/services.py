"""Backing up an instance (database, session key, signing keys, uploads) into one archive, and
restoring one: checked whole before anything changes, refused over a newer schema."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lbt.audit.services import record_event
from lbt.backup import postgresql, sqlite
from lbt.backup.archive import (
    DATABASE_PREFIX,
    INSTANCE_PREFIX,
    BackupError,
    Manifest,
    remove_tree,
    sha256_of,
    unpack,
    writing,
)
from lbt.backup.instance import Part, left_out, part_of, swap_in
from lbt.core.db import make_private_folder, sqlite_file
from lbt.core.migrate import alembic_config, current_revision

SQLITE, POSTGRESQL = "sqlite", "postgresql"
_DUMP_NAMES = {SQLITE: "lbt.sqlite3", POSTGRESQL: "lbt.pgdump"}
RESTORE_RECORD = "backup_restores"  # the audit log's record type of a restore


@dataclass(frozen=True)
class Instance:
    """What is backed up and restored: the database and the instance's parts."""

    database_url: str
    engine: Engine
    folder: Path
    parts: tuple[Part, ...]
    tools: postgresql.Tools = field(default_factory=postgresql.Tools)

    @property
    def kind(self) -> str:
        return database_kind(self.database_url)

    def part(self, name: str) -> Part | None:
        return next((part for part in self.parts if part.name == name), None)


def database_kind(url: str) -> str:
    drivername = make_url(url).drivername
    if drivername.startswith("sqlite"):
        if sqlite_file(url) is None:
            raise BackupError("an in-memory SQLite database cannot be backed up or restored")
        return SQLITE
    if drivername.startswith("postgresql"):
        return POSTGRESQL
    raise BackupError(f"lbt backs up SQLite and PostgreSQL databases, not {drivername}")


@dataclass(frozen=True)
class BackupReport:
    out: Path
    manifest: Manifest
    size: int
    left_out: list[str]


def make_backup(instance: Instance, out: Path, now: datetime) -> BackupReport:
    """Dump the database first, then add the instance's files: every upload and key that the dumped
    rows name was written before the dump, so the archive holds it."""
    kind = instance.kind
    directory = out.resolve().parent
    if not directory.is_dir():
        raise BackupError(f"the folder {directory} does not exist")
    with tempfile.TemporaryDirectory(dir=directory, prefix=".lbt-backup-") as work:
        dump_file = Path(work) / _DUMP_NAMES[kind]
        details: dict[str, str] = {}
        if kind == SQLITE:
            revision = sqlite.snapshot(_sqlite_path(instance), dump_file)
        else:
            details = postgresql.dump(instance.engine, instance.database_url, instance.tools, dump_file)
            revision = postgresql.schema_revision(dump_file, instance.tools)
        # a folder that is not there yet is an empty part: restoring the backup empties it too, so
        # no file stays that the restored rows do not know; a missing file part is left alone
        present = tuple(part.name for part in instance.parts if part.is_folder or part.exists())
        try:
            with writing(out, now.timestamp()) as archive:
                database_member = f"{DATABASE_PREFIX}{dump_file.name}"
                archive.add_file(database_member, dump_file)
                for part in instance.parts:
                    for name, path in part.files():
                        archive.add_file(name, path)
                manifest = Manifest(
                    created_at=now,
                    database_kind=kind,
                    schema_revision=revision,
                    database_member=database_member,
                    instance_parts=present,
                    members=dict(archive.members),
                    details=details,
                )
                archive.add_bytes("manifest.json", manifest.to_json())
        except OSError as error:
            raise BackupError(f"cannot write {out}: {error}") from None
    database_file = _sqlite_path(instance) if kind == SQLITE else None
    return BackupReport(
        out, manifest, out.stat().st_size, left_out(instance.folder, instance.parts, database_file)
    )


def _sqlite_path(instance: Instance) -> Path:
    path = sqlite_file(instance.database_url)
    assert path is not None  # database_kind refused an in-memory database
    return path


# --- restore ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestorePlan:
    """A checked archive, unpacked, and what restoring it would replace."""

    archive: Path
    archive_sha256: str
    manifest: Manifest
    staging: Path
    current_revision: str | None
    head_revision: str | None
    replaces: list[str]

    @property
    def dump_file(self) -> Path:
        return self.staging.joinpath(*self.manifest.database_member.split("/"))


@contextmanager
def prepared_restore(instance: Instance, archive: Path) -> Iterator[RestorePlan]:
    """Unpack and check ``archive`` into a private folder inside the instance folder (the files are
    then renamed into place, on one file system); the folder is removed at the end."""
    make_private_folder(instance.folder)
    staging = Path(tempfile.mkdtemp(dir=instance.folder, prefix=".restore-"))
    try:
        yield _plan(instance, archive, staging)
    finally:
        remove_tree(staging)


def _plan(instance: Instance, archive: Path, staging: Path) -> RestorePlan:
    manifest = unpack(archive, staging)
    if manifest.database_kind != instance.kind:
        raise BackupError(
            f"the backup holds a {manifest.database_kind} database, but LBT_DATABASE_URL names a "
            f"{instance.kind} one: restore it into a {manifest.database_kind} database"
        )
    for name in manifest.members:
        if name.startswith(INSTANCE_PREFIX):
            part = part_of(name, instance.parts)
            if part is None or part.name not in manifest.instance_parts:
                raise BackupError(
                    f"the archive holds {name!r}, which is no part of an instance this lbt knows"
                )
    unknown_parts = sorted(set(manifest.instance_parts) - {part.name for part in instance.parts})
    if unknown_parts:
        raise BackupError(
            f"the archive holds instance parts this lbt does not know: {', '.join(unknown_parts)}"
        )
    script = ScriptDirectory.from_config(alembic_config(instance.engine))
    if not _known(script, manifest.schema_revision):
        raise BackupError(
            f"the backup's schema revision {manifest.schema_revision} is newer than this lbt knows: "
            "restore it with the lbt version that made it (or a newer one)"
        )
    plan = RestorePlan(
        archive=archive,
        archive_sha256=sha256_of(archive),
        manifest=manifest,
        staging=staging,
        current_revision=_current_revision(instance),
        head_revision=script.get_current_head(),
        replaces=[],
    )
    inside = (
        sqlite.schema_revision(plan.dump_file)
        if manifest.database_kind == SQLITE
        else postgresql.schema_revision(plan.dump_file, instance.tools)
    )
    if inside != manifest.schema_revision:
        raise BackupError(
            f"the manifest says schema revision {manifest.schema_revision} but the database in the archive "
            f"is at {inside}: the archive was changed after it was made"
        )
    _refuse_newer_schema(script, plan.current_revision, manifest.schema_revision)
    plan.replaces.extend(_what_it_replaces(instance, plan))
    return plan


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except (CommandError, RevisionError):
        return False


def _current_revision(instance: Instance) -> str | None:
    if instance.kind == SQLITE:
        return sqlite.current_revision(_sqlite_path(instance))
    try:
        return current_revision(instance.engine)
    except SQLAlchemyError as error:
        raise BackupError(
            f"cannot read the database's schema revision: {type(error).__name__}: {error}"
        ) from None


def _refuse_newer_schema(script: ScriptDirectory, current: str | None, backup: str) -> None:
    """A backup restored over a newer schema would leave the newer tables and columns beside data that
    never knew them: the operator goes down to the backup's revision first, or uses an empty database."""
    if current is None or current == backup:
        return
    how = (
        f"to restore it, first bring the database down to the backup's revision with "
        f"`lbt db downgrade {backup}` (this drops what the newer revisions added), or point LBT_DATABASE_URL "
        f"at an empty database; then run `lbt restore` again, and `lbt db upgrade` after it"
    )
    if not _known(script, current):
        raise BackupError(
            f"the database is at schema revision {current}, which this lbt does not know (a newer lbt "
            f"migrated it); the backup is at {backup}: {how} (with the newer lbt, which knows {current})"
        )
    ancestors = {revision.revision for revision in script.iterate_revisions(current, "base")}
    if backup in ancestors:
        raise BackupError(
            f"the database's schema (revision {current}) is newer than the backup's ({backup}): {how}"
        )


def _what_it_replaces(instance: Instance, plan: RestorePlan) -> list[str]:
    manifest = plan.manifest
    where = _sqlite_path(instance) if instance.kind == SQLITE else _shown_url(instance.database_url)
    lines = [
        f"the {instance.kind} database {where} (now at schema revision {plan.current_revision or '(empty)'}) "
        f"by the backup's of {manifest.created_at:%Y-%m-%d %H:%M} UTC (revision {manifest.schema_revision})"
    ]
    for part in instance.parts:
        if part.name not in manifest.instance_parts:
            lines.append(f"{part.path} is not in the backup and stays as it is")
            continue
        in_backup = sum(1 for name in manifest.members if part_of(name, instance.parts) is part)
        if part.is_folder:
            lines.append(f"{part.path}/ ({part.count()} files now) by the backup's {in_backup} files")
        else:
            lines.append(f"{part.path} by the backup's copy")
    return lines


def _shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def restore(instance: Instance, plan: RestorePlan) -> None:
    """Replace the database (one transaction), then the instance's parts (renames)."""
    if plan.manifest.database_kind == SQLITE:
        sqlite.restore(plan.dump_file, _sqlite_path(instance))
    else:
        postgresql.restore(
            plan.dump_file,
            instance.database_url,
            instance.tools,
            plan.manifest.details.get("pg_dump_version", ""),
        )
    instance.engine.dispose()  # no pooled connection keeps a view of the replaced database
    try:
        swap_in(
            instance.parts,
            plan.manifest.instance_parts,
            plan.staging.joinpath(*INSTANCE_PREFIX.strip("/").split("/")),
            plan.staging / "replaced",
        )
    except BackupError as error:
        raise BackupError(f"the database was restored, but {error}") from None


def record_restore(session: Session, plan: RestorePlan, now: datetime) -> None:
    """The restore's own audit entry, on the restored chain (no personal data: times, revision, digest)."""
    manifest = plan.manifest
    changes: dict[str, Any] = {
        "backup_created_at": manifest.created_at.isoformat(),
        "database_kind": manifest.database_kind,
        "schema_revision": manifest.schema_revision,
        "archive_sha256": plan.archive_sha256,
    }
    record_event(
        session, action="create", entity_type=RESTORE_RECORD, entity_id=now.isoformat()[:60], changes=changes
    )
