"""Alembic environment. The engine comes from ``lbt.core.migrate`` (config.attributes["engine"]) or, for
``alembic`` on the command line, from LBT_DATABASE_URL / the instance folder like the app itself."""

from __future__ import annotations

import os
from typing import Any

from alembic import context

from lbt.core.db import UTCDateTime, make_engine
from lbt.models import Base

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our UTC timestamp type as a plain timezone-aware DateTime, so revisions never import lbt."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _engine():  # type: ignore[no-untyped-def]
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from flask import Flask

    from lbt.core.settings import Settings

    instance = os.environ.get("LBT_INSTANCE_PATH") or Flask("lbt").instance_path
    return make_engine(Settings.from_env(instance).database_url)


def _sqlite_foreign_keys(connection: Any, on: bool) -> None:
    """SQLite's batch mode copies a table and drops the old one; with foreign keys enforced, dropping a
    table deletes the rows that refer to it ON DELETE CASCADE (a meeting's participants, agenda,
    protocols...). The PRAGMA takes effect only outside a transaction: on the driver's connection,
    before SQLAlchemy begins one. Alembic's docs ask for the same ("batch mode", foreign keys)."""
    driver = connection.connection.driver_connection
    if on:
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        driver.execute("PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"the migrations left rows that refer to missing ones: {broken[:5]}")
    else:
        driver.execute("PRAGMA foreign_keys=OFF")


def run_migrations() -> None:
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_item=render_item,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


if context.is_offline_mode():
    raise SystemExit("lbt migrations run online only: give them a database")
run_migrations()
