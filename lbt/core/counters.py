"""Serial numbers handed out safely under concurrency (application references, permit numbers)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from lbt.core.db import Base


class Counter(Base):
    """One row per prefix (e.g. ``LBT-2026``, ``TJ-2026``)."""

    __tablename__ = "counters"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)

    __table_args__ = (CheckConstraint("value >= 0", name="value"),)


def next_value(session: Session, prefix: str) -> int:
    """``UPDATE counters SET value = value + 1 ... RETURNING value``: the row lock it takes makes a
    concurrent caller wait until this transaction ends, so no two callers ever get the same value."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Counter).values(prefix=prefix, value=0).on_conflict_do_nothing())
    statement = (
        update(Counter)
        .where(Counter.prefix == prefix)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    return int(session.execute(statement).scalar_one())
