"""``DriverSelect`` (lbt/core/driver_select.py): a Core SELECT run straight on psycopg reads the same
row SQLAlchemy gives (enum members, aware timestamps, arrays of them), takes only the text
parameters it names, and refuses what it cannot run as written."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import bindparam, func, literal, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from lbt.core.driver_select import KEPT_CURSOR, DriverSelect
from lbt.crossings.models import COUNTED_STATUSES, Crossing, Direction
from lbt.permits.models import Permit
from tests.crossings.test_views import cross


@pytest.fixture
def postgresql(connection):  # type: ignore[no-untyped-def]
    if connection.dialect.name != "postgresql":
        pytest.skip("driver selects are PostgreSQL's")
    return connection


def _history(permit_number: str) -> object:
    counted = or_(*(Crossing.status == status for status in COUNTED_STATUSES))
    directions = (
        select(func.array_agg(aggregate_order_by(Crossing.direction, Crossing.at, Crossing.id)))
        .where(Crossing.permit_id == Permit.id, counted)
        .correlate(Permit)
        .scalar_subquery()
    )
    return select(Permit.id, Permit.status, Permit.issued_at, directions, literal(3)).where(
        Permit.number == bindparam(permit_number)
    )


def test_a_row_reads_as_sqlalchemy_reads_it(postgresql, db, permit, ref, users):  # type: ignore[no-untyped-def]
    morning = datetime.combine(permit.valid_from, time(8), UTC) + timedelta(days=1)
    cross(db, permit, ref, users, Direction.ENTRY, morning)
    cross(db, permit, ref, users, Direction.EXIT, morning + timedelta(hours=1))
    db.flush()
    statement = _history("number")
    expected = tuple(postgresql.execute(statement, {"number": permit.number}).one())
    selected = DriverSelect(statement, postgresql.dialect, ("number",))  # type: ignore[arg-type]
    row = selected.first(postgresql.connection.driver_connection, number=permit.number)
    assert row == expected
    assert row is not None and row[3] == [Direction.ENTRY, Direction.EXIT]
    assert isinstance(row[3][0], Direction) and row[2].tzinfo is not None
    assert selected.first(postgresql.connection.driver_connection, number="no such number") is None


def test_only_the_named_text_parameters_are_taken(postgresql):  # type: ignore[no-untyped-def]
    selected = DriverSelect(_history("number"), postgresql.dialect, ("number",))  # type: ignore[arg-type]
    driver = postgresql.connection.driver_connection
    with pytest.raises(TypeError, match="takes"):
        selected.first(driver, number="x", other="y")
    with pytest.raises(TypeError, match="text parameter"):
        selected.first(driver, number=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no parameter"):
        DriverSelect(_history("number"), postgresql.dialect, ("numbr",))  # type: ignore[arg-type]


def test_an_expanding_in_is_refused(postgresql):  # type: ignore[no-untyped-def]
    statement = select(Crossing.id).where(Crossing.status.in_(COUNTED_STATUSES))
    with pytest.raises(ValueError, match="expanding IN"):
        DriverSelect(statement, postgresql.dialect, ())


def test_a_connection_keeps_one_cursor_until_its_factory_changes(postgresql, permit):  # type: ignore[no-untyped-def]
    selected = DriverSelect(_history("number"), postgresql.dialect, ("number",))  # type: ignore[arg-type]
    driver = postgresql.connection.driver_connection
    made: list[object] = []
    factory = driver.cursor_factory

    class Noting(factory):  # type: ignore[misc,valid-type]
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            made.append(self)

    driver.cursor_factory = Noting
    try:
        rows = [selected.first(driver, number=permit.number) for _ in range(3)]
        assert len(made) == 1 and rows[0] == rows[1] == rows[2] is not None
        made[0].close()  # type: ignore[attr-defined]
        assert selected.first(driver, number=permit.number) == rows[0] and len(made) == 2
    finally:
        driver.cursor_factory = factory
    assert selected.first(driver, number=permit.number) == rows[0] and len(made) == 2  # the plain one


def test_a_kept_cursor_goes_with_its_connection(postgresql):  # type: ignore[no-untyped-def]
    """The cursor is kept on the connection, not beside it: a connection the pool dropped is freed."""
    selected = DriverSelect(_history("number"), postgresql.dialect, ("number",))  # type: ignore[arg-type]
    engine = postgresql.engine
    raw = engine.raw_connection()
    driver = raw.driver_connection
    assert selected.first(driver, number="no such number") is None
    assert getattr(driver, KEPT_CURSOR) is not None
    dropped = weakref.ref(driver)
    raw.invalidate()
    raw.close()
    del raw, driver
    gc.collect()
    assert dropped() is None
