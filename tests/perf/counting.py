"""Counting the SQL statements a request costs (issue 11): deterministic, unlike a time. The test's
own transaction adds a SAVEPOINT and its RELEASE to every request (its commits are savepoints, see
tests/fixtures/database.py); those are left out, as a request in production makes neither."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event

HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@contextmanager
def statements(connection: Connection) -> Iterator[list[tuple[str, Any]]]:
    """The statements run on ``connection`` inside the block, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def count(_conn: object, _cursor: object, statement: str, parameters: Any, *_rest: object) -> None:
        if not statement.lstrip().upper().startswith(HARNESS):
            seen.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", count)


def queries_of(connection: Connection, call: Callable[[], Any]) -> int:
    with statements(connection) as seen:
        call()
    return len(seen)
