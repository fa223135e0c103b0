"""Counting the SQL statements a request costs (issue 11): deterministic, unlike a time. The test's
own transaction adds a SAVEPOINT and its RELEASE to every request (its commits are savepoints, see
tests/fixtures/database.py); those are left out, as a request in production makes neither. The
statements run straight on PostgreSQL's driver (``lbt.core.driver_select``: the verify lane) pass no
SQLAlchemy event: they are counted at the driver's cursor."""

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

    def count(_conn: object, cursor: Any, statement: str, parameters: Any, *_rest: object) -> None:
        if not statement.lstrip().upper().startswith(HARNESS):
            seen.append((statement, parameters))
        if isinstance(cursor, CountingCursor):
            cursor.sqlalchemys = True  # counted here: not again at the cursor

    driver: Any = connection.connection.driver_connection
    cursor_factory = getattr(driver, "cursor_factory", object)

    class CountingCursor(cursor_factory):  # type: ignore[misc,valid-type]
        sqlalchemys = False

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            if not self.sqlalchemys and not str(query).lstrip().upper().startswith(HARNESS):
                seen.append((str(query), params))
            self.sqlalchemys = False
            return super().execute(query, params, **kwargs)

    if connection.dialect.name == "postgresql":
        driver.cursor_factory = CountingCursor
    event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", count)
        if connection.dialect.name == "postgresql":
            driver.cursor_factory = cursor_factory


def queries_of(connection: Connection, call: Callable[[], Any]) -> int:
    with statements(connection) as seen:
        call()
    return len(seen)
