"""Index helpers shared by the representatives' tables."""

from __future__ import annotations

from sqlalchemy import Index, text


def partial_unique(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows matching ``where`` (both PostgreSQL and SQLite support it)."""
    return Index(name, *columns, unique=True, postgresql_where=text(where), sqlite_where=text(where))
