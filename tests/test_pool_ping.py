"""A pooled PostgreSQL connection is pinged before use only when it sat idle (``lbt.core.db``): one
that went stale while idle (its server process ended, as at a restart) is replaced before a request
sees it; one given back a moment ago goes straight to its statement, without the extra round trip."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from lbt.core.db import make_engine


@pytest.fixture
def pooled(database_url: str):  # type: ignore[no-untyped-def]
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite opens its file per connection: nothing to ping")
    engine = make_engine(database_url, ping_after=0.3)
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _end(engine: Engine, pid: int) -> None:
    """Ends a pooled connection's server process from outside the pool (as a restart would)."""
    outside = create_engine(engine.url, poolclass=NullPool)
    try:
        with outside.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        outside.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(pooled):
    first = _backend(pooled)
    _end(pooled, first)
    time.sleep(0.5)  # idle past ping_after
    pids = {_backend(pooled) for _ in range(3)}
    assert first not in pids  # the dead one was pinged, dropped and replaced: no use of it failed


def test_a_connection_given_back_a_moment_ago_is_not_pinged(pooled):
    """The other side of the saving: within ``ping_after`` the pool trusts the connection, so one that
    broke in that moment fails its statement (the app answers 503), and the pool starts afresh."""
    first = _backend(pooled)
    _end(pooled, first)
    with pytest.raises(OperationalError):
        _backend(pooled)
    assert _backend(pooled) != first  # the error invalidated the pool: the next use gets a new one
