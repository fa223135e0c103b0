"""Whether this process can serve (``/readyz``): the database answers, its schema is at the code's
migration head, a permit signing key is there, and the instance folder takes new files. Each check
says what is wrong in words that hold no secret (no address, no driver message: those go to the log)."""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lbt.core.migrate import alembic_config
from lbt.permits.signing import KeyStore, SigningKeyError

log = logging.getLogger(__name__)

OK = "ok"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = OK


@functools.cache
def code_heads() -> frozenset[str]:
    """The migration heads this code ships (read once per process: the scripts do not change)."""
    config = alembic_config(None)  # type: ignore[arg-type] - reading the scripts needs no engine
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _database(session: Session) -> tuple[Check, Check]:
    """One connection: the database answers, and its schema's revision is the code's head."""
    try:
        connection = session.connection()
        connection.exec_driver_sql("SELECT 1")
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        log.error("readiness: database unavailable: %s", error)  # the address and cause: the log only
        session.rollback()
        cause = type(getattr(error, "orig", None) or error).__name__
        return (
            Check("database", False, f"unavailable ({cause})"),
            Check("migrations", False, "not checked: the database is unavailable"),
        )
    heads = code_heads()
    if current == heads:
        return Check("database", True), Check("migrations", True)
    at = ", ".join(sorted(current)) or "no revision"
    behind = f"the database is at {at}, the code at {', '.join(sorted(heads))}: run `lbt db upgrade`"
    return Check("database", True), Check("migrations", False, behind)


def _signing_key(keys: KeyStore) -> Check:
    try:
        keys.active_key()
    except SigningKeyError as error:
        log.error("readiness: no usable signing key: %s", error)
        return Check("signing_key", False, "no usable permit signing key: run `lbt keys rotate`")
    return Check("signing_key", True)


def _instance_folder(folder: Path) -> Check:
    """A file can be made (and removed) in the instance folder: uploads, keys and the SQLite
    database live there."""
    try:
        fd, name = tempfile.mkstemp(prefix=".ready-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as error:
        log.error("readiness: instance folder not writable: %s", type(error).__name__)
        return Check("instance_folder", False, "the instance folder does not take new files")
    return Check("instance_folder", True)


def readiness(session: Session, keys: KeyStore, instance_folder: Path) -> list[Check]:
    return [*_database(session), _signing_key(keys), _instance_folder(instance_folder)]
