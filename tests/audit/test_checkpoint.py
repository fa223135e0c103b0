"""Signed checkpoints close the audit chain's one gap: removing the newest entries (what a database
owner can do after disabling the append-only triggers) leaves a shorter chain that verifies on its own,
but not against a checkpoint made before. Run through the `lbt` command on a migrated database of its
own (SQLite, or PostgreSQL when LBT_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import Engine, func, select, text

from lbt import create_app
from lbt.audit.checkpoint import CHECKPOINT_TYP
from lbt.audit.models import APPEND_ONLY_DDL, DROP_APPEND_ONLY_DDL, AuditActor, AuditEntry
from lbt.cli import main
from lbt.core.settings import Settings
from lbt.permits.signing import SigningKey, new_private_key, sign
from lbt.reference.models import State
from tests.dbutil import temporary_database

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def cli_app(tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    with temporary_database(tmp_path, "lbt_checkpoint") as url:
        settings = Settings(
            instance_path=tmp_path / "instance", database_url=url, secret_key="k" * 40, testing=True
        )
        app = create_app(settings)
        app.extensions["lbt"].clock = lambda: NOW
        assert run(app, "db", "upgrade").exit_code == 0
        yield app
        app.extensions["lbt"].database.dispose()


def run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def engine_of(app: Flask) -> Engine:
    return app.extensions["lbt"].database.engine


def add_states(app: Flask, *codes: str) -> None:
    """Records that each make one audit entry, committed as a request or a command would."""
    with app.extensions["lbt"].database.transaction(AuditActor(None, "registrar", "test")) as session:
        for code in codes:
            session.add(State(code=code, alpha3=code + "X", name_en=code, name_ru=code, name_national=code))
            session.flush()


def entry_count(app: Flask) -> int:
    with engine_of(app).connect() as connection:
        return connection.scalar(select(func.count()).select_from(AuditEntry)) or 0


def delete_newest(app: Flask, count: int) -> None:
    """What only the database's owner can do: lift the append-only triggers, delete, put them back."""
    engine = engine_of(app)
    dialect = engine.dialect.name
    with engine.begin() as connection:
        if dialect == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off
        else:
            for statement in DROP_APPEND_ONLY_DDL["sqlite"]:
                connection.execute(text(statement))
        newest = select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(count).scalar_subquery()
        connection.execute(AuditEntry.__table__.delete().where(AuditEntry.id.in_(newest)))
        if dialect == "sqlite":
            for statement in APPEND_ONLY_DDL["sqlite"]:
                connection.execute(text(statement))


def checkpoint(app: Flask, path: Path) -> str:
    result = run(app, "audit", "checkpoint", "--out", str(path))
    assert result.exit_code == 0, result.output
    return result.output


def test_an_untouched_chain_agrees_with_its_checkpoints(cli_app, tmp_path):
    add_states(cli_app, "AA", "AB", "AC")
    first = tmp_path / "2026-11-22.jws"
    output = checkpoint(cli_app, first)
    assert f"Checkpoint written to {first}: 3 entries" in output
    add_states(cli_app, "AD", "AE")  # the log goes on growing after a checkpoint
    second = tmp_path / "2026-11-23.jws"
    checkpoint(cli_app, second)
    result = run(cli_app, "audit", "verify", "--checkpoint", str(first), "--checkpoint", str(second))
    assert result.exit_code == 0, result.output
    assert "Audit log intact: 5 entries checked; agrees with 2 checkpoint(s)" in result.output
    assert "(5 entries)" in result.output


def test_removing_the_newest_entries_is_found_behind_a_checkpoint(cli_app, tmp_path):
    add_states(cli_app, "BA", "BB", "BC", "BD", "BE")
    saved = tmp_path / "checkpoint.jws"
    checkpoint(cli_app, saved)
    delete_newest(cli_app, 2)
    assert entry_count(cli_app) == 3
    # the gap: on its own the shortened chain is a valid chain
    assert run(cli_app, "audit", "verify").exit_code == 0
    result = run(cli_app, "audit", "verify", "--checkpoint", str(saved))
    assert result.exit_code == 1
    assert "Audit log BROKEN at entry #" in result.output
    assert "the log ends after 3 entries, but the checkpoint of 2026-11-22 10:00 UTC" in result.output
    assert "counted 5: the newest entries were removed" in result.output


def test_entries_removed_and_written_again_are_found_behind_a_checkpoint(cli_app, tmp_path):
    add_states(cli_app, "CA", "CB", "CC", "CD")
    saved = tmp_path / "checkpoint.jws"
    checkpoint(cli_app, saved)
    delete_newest(cli_app, 2)
    add_states(cli_app, "CX", "CY", "CZ")  # as many entries again, and more: the count alone would pass
    assert entry_count(cli_app) == 5
    assert run(cli_app, "audit", "verify").exit_code == 0
    result = run(cli_app, "audit", "verify", "--checkpoint", str(saved))
    assert result.exit_code == 1
    assert "that the checkpoint of 2026-11-22 10:00 UTC ended at" in result.output
    assert "entries it counted were removed and others written in their place" in result.output


def _claims(token: str) -> dict:  # type: ignore[type-arg]
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _with_claims(token: str, **changes: object) -> str:
    header, _payload, signature = token.split(".")
    claims = {**_claims(token), **changes}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def test_a_tampered_or_foreign_checkpoint_is_refused(cli_app, tmp_path):
    add_states(cli_app, "DA", "DB", "DC")
    saved = tmp_path / "checkpoint.jws"
    checkpoint(cli_app, saved)
    token = saved.read_text().strip()
    assert _claims(token)["entry_count"] == 3
    delete_newest(cli_app, 1)

    # the truncator edits the checkpoint to match the shorter log: the signature no longer matches
    with engine_of(cli_app).connect() as connection:
        head = connection.execute(
            select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc())
        ).first()
    edited = tmp_path / "edited.jws"
    edited.write_text(_with_claims(token, entry_count=2, head_entry_id=head.id, head_hash=head.hash))
    # or signs a new one with a key of their own (kid and signature agree, but the key is not the state's)
    stranger = SigningKey.of(new_private_key())
    forged = tmp_path / "forged.jws"
    forged.write_text(sign(_claims(token) | {"entry_count": 2}, stranger, CHECKPOINT_TYP))
    garbage = tmp_path / "garbage.jws"
    garbage.write_bytes(b"\xff\xfe not a checkpoint")
    for path, reason in (
        (edited, "the signature does not match"),
        (forged, "no published key has kid"),
        (garbage, "a checkpoint file holds one line of ASCII"),
    ):
        result = run(cli_app, "audit", "verify", "--checkpoint", str(path))
        assert result.exit_code == 2, result.output
        assert f"checkpoint {path} refused: " in result.output and reason in result.output
    assert (
        run(cli_app, "audit", "verify", "--checkpoint", str(saved)).exit_code == 1
    )  # the real one still tells


def test_a_checkpoint_still_verifies_after_the_signing_key_is_rotated(cli_app, tmp_path):
    add_states(cli_app, "EA", "EB")
    saved = tmp_path / "checkpoint.jws"
    checkpoint(cli_app, saved)
    assert run(cli_app, "keys", "rotate").exit_code == 0
    result = run(cli_app, "audit", "verify", "--checkpoint", str(saved))
    assert result.exit_code == 0, result.output


def test_no_checkpoint_is_made_of_a_broken_chain(cli_app, tmp_path):
    add_states(cli_app, "FA", "FB", "FC")
    engine = engine_of(cli_app)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for statement in DROP_APPEND_ONLY_DDL["sqlite"]:
                connection.execute(text(statement))
        first = connection.scalar(select(func.min(AuditEntry.id)))
        connection.execute(
            text("UPDATE audit_entries SET actor_name = 'mallory' WHERE id = :id"), {"id": first}
        )
    saved = tmp_path / "checkpoint.jws"
    result = run(cli_app, "audit", "checkpoint", "--out", str(saved))
    assert result.exit_code == 1
    assert f"Audit log BROKEN at entry #{first}" in result.output and "no checkpoint written" in result.output
    assert not saved.exists()
