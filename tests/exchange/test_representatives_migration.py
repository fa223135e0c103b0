"""Revision 0019 on a database with the pilot's records in it (the demo: both chiefs in the register, a
held meeting whose protocol one head approved, a request): brought down to 0018 and up again, every
shared record gets a UUID of its own, a frozen protocol counts as frozen once, and the approval given
before still holds; a protocol frozen in lbt-protocol/3 (which names those UUIDs) keeps the database
from going below 0019."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lbt import create_app
from lbt.cli import main
from lbt.core.migrate import current_revision, downgrade, head_revision, upgrade
from lbt.core.settings import Settings
from lbt.representatives.canonical import FORMAT_2, canonical_bytes, meeting_record, sha256_hex
from lbt.representatives.models import Protocol
from lbt.representatives.protocols import approval_is_valid
from tests.dbutil import temporary_database

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
SHARED = (
    "representatives",
    "meetings",
    "meeting_participants",
    "agenda_items",
    "protocols",
    "actions",
    "incidents",
    "hand_over_acts",
)


def _as_frozen_before_0019(app) -> None:  # type: ignore[no-untyped-def]
    """The demo's protocol and its approval as the code before revision 0019 made them (lbt-protocol/2,
    records named by this database's ids)."""
    with app.extensions["lbt"].database.transaction() as session:
        protocol = session.scalars(select(Protocol)).one()
        document = {
            "format": FORMAT_2,
            "kind": "protocol",
            "record": meeting_record(protocol.meeting, FORMAT_2),
        }
        content = canonical_bytes(document).decode()
        protocol.content, protocol.content_sha256 = content, sha256_hex(content.encode())
        for approval in protocol.approvals:
            approval.content_sha256 = protocol.content_sha256


def test_revision_0019_gives_the_pilots_records_their_shared_ids_and_keeps_their_approvals(tmp_path):
    with temporary_database(tmp_path, "lbt_m19") as url:
        settings = Settings(
            instance_path=tmp_path / "instance", database_url=url, secret_key="k" * 40, testing=True
        )
        app = create_app(settings)
        engine = app.extensions["lbt"].database.engine
        try:
            result = CliRunner().invoke(main, ["demo"], obj=ScriptInfo(create_app=lambda: app))
            assert result.exit_code == 0, result.output
            with pytest.raises(RuntimeError, match="lbt-protocol/3"):  # the demo's protocol names the UUIDs
                downgrade(engine, "0018")
            # 0019 stays whole (PostgreSQL undoes the whole downgrade; SQLite keeps the later revisions' steps)
            assert current_revision(engine) in ("0019", head_revision(engine))
            with engine.connect() as connection:
                assert connection.execute(text("SELECT count(uuid) FROM meetings")).scalar() == 2
            _as_frozen_before_0019(app)
            downgrade(engine, "0018")
            assert current_revision(engine) == "0018"
            upgrade(engine)
            assert current_revision(engine) == head_revision(engine)

            with engine.connect() as connection:
                for table in SHARED:
                    ids = connection.execute(text(f"SELECT uuid FROM {table}")).scalars().all()  # noqa: S608
                    assert all(UUID.fullmatch(value) for value in ids), table
                    assert len(set(ids)) == len(ids), table
                assert connection.execute(text("SELECT count(*) FROM meetings")).scalar() == 2
                assert connection.execute(text("SELECT count(*) FROM meeting_participants")).scalar() >= 3
            with Session(engine) as session:
                protocol = session.scalars(select(Protocol)).one()  # the held meeting's, frozen in format 2
                assert protocol.freeze_hashes == [protocol.content_sha256]
                assert protocol.content.startswith('{"format":"lbt-protocol/2"')
                assert [approval_is_valid(a) for a in protocol.approvals] == [True]
        finally:
            app.extensions["lbt"].database.dispose()
