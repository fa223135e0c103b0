"""The append-only, hash-chained audit log and the marker for audited models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DDL, BigInteger, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from lbt.core.db import Base

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditActor:
    """Who made a change: a user (id and name) or a named system process."""

    user_id: int | None
    name: str
    source: str = ""


SYSTEM_ACTOR = AuditActor(None, "system", "system")

# ``mapped_column(..., info=AUDIT_PRIVATE)``: a column whose text is private to some of its readers
# (a side's internal notes) enters the log only as the SHA-256 of its value, never as the value: the
# auditors who read the log may see that it was written or changed, and later check a copy against it.
AUDIT_PRIVATE = {"audit": "private"}


class Audited:
    """Mix into a model so every insert, update and delete of it is written to the audit log."""

    # columns whose change alone is not worth an entry (counters, last-seen times)
    __audit_ignore__: frozenset[str] = frozenset()
    # columns whose values never enter the log, only the fact that they changed
    __audit_redact__: frozenset[str] = frozenset()

    def audit_label(self) -> str:
        """How a related record is named inside another record's change summary."""
        return str(getattr(self, "id", "?"))


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity", "entity_type", "entity_id"),
        Index("ix_audit_entries_actor_id", "actor_id"),
        Index("ix_audit_entries_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None]  # no foreign key: the log outlives and never blocks its actors
    actor_name: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(60))
    changes: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # a fork of the chain hits this
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# The database itself refuses to change or remove an entry; only someone who drops these triggers
# (a database owner) can, and `lbt audit verify` then finds it.
APPEND_ONLY_DDL = {
    "sqlite": [
        "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
        "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END $$",
        "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
    ],
}
DROP_APPEND_ONLY_DDL = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_entries_no_update",
        "DROP TRIGGER IF EXISTS audit_entries_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries",
        "DROP FUNCTION IF EXISTS audit_entries_append_only()",
    ],
}

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
