"""`lbt backup` and `lbt restore` round trips on a real database (SQLite, or PostgreSQL with pg_dump,
pg_restore and psql when LBT_TEST_DATABASE_URL is set): make data, back up, change and delete data,
keys and uploads, restore; the rows, the audit chain, the keys and the uploads are as they were."""

from __future__ import annotations

import json
import stat
import threading

from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.accounts.services import UserData, create_user
from lbt.alerts.models import AlertHit
from lbt.audit.models import AuditActor, AuditEntry
from lbt.reference.models import Locality, State
from tests.backuputil import instance_app, instance_files, manifest_of, rows, run
from tests.fixtures.passwords import PASSWORD

ACTOR = AuditActor(None, "test", "test")


def _change_everything(app) -> None:  # type: ignore[no-untyped-def]
    """Data changed, added and deleted (each audited), the signing and the exchange key rotated,
    uploads deleted and added, a job's result gone, the session key replaced."""
    state = app.extensions["lbt"]
    with state.database.transaction(ACTOR) as session:
        session.scalars(select(Locality).order_by(Locality.id)).first().name = "Changed after the backup"
        for hit in session.scalars(select(AlertHit)):
            session.delete(hit)
        create_user(session, UserData("after.backup", Role.ADMIN), PASSWORD, now=state.clock())
    assert run(app, "keys", "rotate").exit_code == 0
    assert run(app, "exchange", "rotate-key").exit_code == 0
    for result in (state.settings.instance_path / "jobs").rglob("result*"):
        result.unlink()
    uploads = state.settings.instance_path / "uploads"
    sorted(uploads.iterdir())[0].unlink()
    (uploads / ("0" * 32)).write_bytes(b"an upload made after the backup")
    (state.settings.instance_path / "secret_key").write_text("s" * 64)


def _exchange_key_and_a_job_result(app, directory) -> None:  # type: ignore[no-untyped-def]
    """The instance's exchange key (made at first use) and a finished job's file in jobs/."""
    assert run(app, "exchange", "key", "--out", str(directory / "exchange-key.json")).exit_code == 0
    job = app.extensions["lbt"].settings.instance_path / "jobs" / "1"
    job.mkdir(mode=0o700, parents=True)
    (job / "result.pdf").write_bytes(b"%PDF-1.7 a print batch")


def test_a_restore_brings_back_the_rows_the_audit_chain_the_keys_and_the_uploads(tmp_path):
    with instance_app(tmp_path) as app:
        assert run(app, "demo").exit_code == 0
        _exchange_key_and_a_job_result(app, tmp_path)
        before, files_before = rows(app), instance_files(app)
        assert all(files_before.values()) and before["audit_entries"]

        archive = tmp_path / "lbt.backup"
        made = run(app, "backup", "--out", str(archive))
        assert made.exit_code == 0, made.output
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        manifest = manifest_of(archive)
        assert manifest["format_version"] == 1 and manifest["database"]["schema_revision"]
        kind = app.extensions["lbt"].database.engine.dialect.name
        assert manifest["database"]["kind"] == kind
        assert all(len(member["sha256"]) == 64 for member in manifest["members"].values())

        _change_everything(app)
        changed, files_changed = rows(app), instance_files(app)
        assert changed != before and files_changed != files_before

        dry = run(app, "restore", str(archive))
        assert dry.exit_code == 0, dry.output
        assert "would replace" in dry.output and "Nothing was changed" in dry.output
        assert rows(app) == changed and instance_files(app) == files_changed

        restored = run(app, "restore", str(archive), "--yes")
        assert restored.exit_code == 0, restored.output
        entries = len(before["audit_entries"])
        assert f"Audit log intact: {entries} entries checked" in restored.output

        after = rows(app)
        log = after.pop("audit_entries")
        assert after == {name: table for name, table in before.items() if name != "audit_entries"}
        assert log[:entries] == before["audit_entries"]  # the chain as it was, to the hash
        assert len(log) == entries + 1  # and the restore itself, recorded after it
        assert instance_files(app) == files_before
        assert run(app, "audit", "verify").exit_code == 0

        with app.extensions["lbt"].database.transaction() as session:
            entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.entity_type, entry.action, entry.actor_name) == ("backup_restores", "create", "cli")
        assert json.loads(entry.changes)["schema_revision"] == manifest["database"]["schema_revision"]
        # the restored signing key signs again: the app starts on the restored instance folder
        assert app.test_client().get("/.well-known/jwks.json").status_code == 200


def test_a_backup_restores_into_an_empty_database_and_instance_folder(tmp_path):
    """The disaster case: a new machine with an empty database and no instance folder."""
    archive = tmp_path / "lbt.backup"
    with instance_app(tmp_path / "old") as old:
        assert run(old, "demo").exit_code == 0
        _exchange_key_and_a_job_result(old, tmp_path)
        before, files_before = rows(old), instance_files(old)
        assert run(old, "backup", "--out", str(archive)).exit_code == 0
    with instance_app(tmp_path / "new") as new:
        restored = run(new, "restore", str(archive), "--yes")
        assert restored.exit_code == 0, restored.output
        assert "(now at schema revision (empty))" in restored.output
        after = rows(new)
        assert after.pop("audit_entries")[:-1] == before.pop("audit_entries")
        assert after == before
        assert instance_files(new) == files_before


def test_a_backup_taken_while_the_app_writes_is_consistent(tmp_path):
    """The online backup copies one state of the database: every row written has its audit entry."""
    archive = tmp_path / "lbt.backup"
    with instance_app(tmp_path / "live") as app:
        assert run(app, "db", "upgrade").exit_code == 0
        state = app.extensions["lbt"]
        stop, writing = threading.Event(), threading.Event()

        def write() -> None:
            for number in range(400):  # bounded; the backup starts once some rows are written
                if stop.is_set():
                    return
                with state.database.transaction(ACTOR) as session:
                    code = _code(number)
                    session.add(
                        State(code=code, alpha3=f"{code}X", name_en=code, name_ru=code, name_national=code)
                    )
                if number == 5:
                    writing.set()
            writing.set()

        writer = threading.Thread(target=write)
        writer.start()
        try:
            assert writing.wait(timeout=60)
            made = run(app, "backup", "--out", str(archive))
        finally:
            stop.set()
            writer.join()
        assert made.exit_code == 0, made.output
    with instance_app(tmp_path / "copy") as copy:
        assert run(copy, "restore", str(archive), "--yes").exit_code == 0
        with copy.extensions["lbt"].database.transaction() as session:
            states = session.scalar(select(func.count()).select_from(State))
            logged = session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == "states")
            )
        assert states == logged and states >= 6
        assert run(copy, "audit", "verify").exit_code == 0


def _code(number: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[number // 26 % 26] + letters[number % 26]
