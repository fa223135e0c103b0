"""A Core ``SELECT`` compiled once and run straight on the PostgreSQL driver's connection (issue 11).

SQLAlchemy's execution path (a pooled ``Connection``, the execution context, its events, the result
object) costs several times what psycopg needs to send a prepared statement and read one row: on
the device's scan, the system's hottest request, it was most of the time spent in the database
layer. The statement is still written with SQLAlchemy, so its columns and joins stay those of the
models, and each value read goes through the column type's own result processing (an enum's member,
a timestamp made aware in UTC, an array's items): a row reads exactly as SQLAlchemy would give it.

The parameters named at compile time are taken at execution, as text only (a digest, a code, a
number: they need no bind processing); the values fixed in the statement (a count it compares with)
are processed by their types once, when it is compiled. (An expanding ``IN`` is not supported:
write its members as ``OR``-ed comparisons.)"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect


class DriverSelect:
    """``statement`` for ``dialect``: its SQL text, the values fixed in it, the names of the text
    parameters it takes, and a result processor per selected column."""

    def __init__(self, statement: Select[Any], dialect: Dialect, parameters: Sequence[str]) -> None:
        self.parameters = frozenset(parameters)
        compiled = statement.params(dict.fromkeys(self.parameters, "")).compile(dialect=dialect)
        if compiled.has_out_parameters or "POSTCOMPILE" in compiled.string:
            raise ValueError("an expanding IN is not supported: write its members as OR-ed comparisons")
        missing = self.parameters - compiled.params.keys()
        if missing:
            raise ValueError(f"the statement has no parameter {sorted(missing)}")
        self.sql = compiled.string
        self._fixed: dict[str, Any] = {}
        for name, value in compiled.params.items():
            if name not in self.parameters:
                process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                self._fixed[name] = value if process is None or value is None else process(value)
        self._processors: tuple[Callable[[Any], Any] | None, ...] = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )

    def first(self, driver_connection: Any, **parameters: str | None) -> tuple[Any, ...] | None:
        """The statement's first row, processed, or None when it has none."""
        if parameters.keys() != self.parameters:
            raise TypeError(f"the statement takes {sorted(self.parameters)}, not {sorted(parameters)}")
        for name, value in parameters.items():
            if value is not None and type(value) is not str:
                raise TypeError(f"{name}: a text parameter, not {type(value).__name__}")
        cursor = _cursor(driver_connection)
        cursor.execute(self.sql, {**self._fixed, **parameters})
        row: Sequence[Any] | None = cursor.fetchone()
        if row is None:
            return None
        return tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(self._processors, row, strict=True)
        )


# a cursor per driver's connection, kept on the connection itself, so that it goes with it (a cursor
# holds its connection: kept anywhere else, it would keep every connection the pool has dropped):
# making a cursor costs about a quarter of a one-row statement's client side (a connection serves
# one thread at a time, so its cursor does too)
KEPT_CURSOR = "_lbt_kept_cursor"


def _cursor(driver_connection: Any) -> Any:
    """The connection's kept cursor, or a new one when it has none open of its current
    ``cursor_factory`` (one that counts statements, say: tests/perf/counting.py)."""
    cursor = getattr(driver_connection, KEPT_CURSOR, None)
    if cursor is None or cursor.closed or type(cursor) is not driver_connection.cursor_factory:
        cursor = driver_connection.cursor()
        setattr(driver_connection, KEPT_CURSOR, cursor)
    return cursor
