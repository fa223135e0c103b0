"""`upgrade head` on an empty database gives exactly the models' schema; `downgrade base` empties it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from lbt.core.db import make_engine
from lbt.core.migrate import current_revision, downgrade, head_revision, upgrade
from lbt.models import Base
from tests.dbutil import temporary_database


def _differences(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_head_gives_exactly_the_models_schema_and_downgrade_base_removes_it(tmp_path):
    with temporary_database(tmp_path, "lbt_migrations") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            assert current_revision(engine) == head_revision(engine)
            assert _differences(engine) == []
            assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)

            downgrade(engine, "base")
            assert current_revision(engine) is None
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

            upgrade(engine)  # and back up again: downgrade left nothing behind that blocks it
            assert _differences(engine) == []
        finally:
            engine.dispose()


def test_the_migrated_audit_log_is_append_only(tmp_path):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with temporary_database(tmp_path, "lbt_migrations") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO audit_entries (occurred_at, actor_name, source, action, entity_type, entity_id,"
                        " changes, prev_hash, hash) VALUES (CURRENT_TIMESTAMP, 'x', '', 'create', 't', '1', '{}',"
                        " :p, :h)"
                    ),
                    {"p": "0" * 64, "h": "1" * 64},
                )
            for statement in ("UPDATE audit_entries SET actor_name = 'y'", "DELETE FROM audit_entries"):
                with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                    connection.execute(text(statement))
        finally:
            engine.dispose()
