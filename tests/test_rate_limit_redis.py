"""Rate limits counted in Redis, as production does with several workers
(``LBT_RATELIMIT_STORAGE_URL=redis://...``), against the real server on 127.0.0.1:6379. Only database
7 of that server is used, and it is emptied before and after each test.

Without a Redis server the test that needs one is skipped, unless CI or LBT_REQUIRE_BROWSER is set,
which makes it fail instead (CI starts the server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from limits.storage import RedisStorage

from lbt import create_app
from lbt.core.settings import Settings
from lbt.web.state import limiter
from tests.fixtures.redis_counts import limit_counts

if TYPE_CHECKING:
    import redis

REDIS_DB = 7
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
WRONG_LOGIN = {"reference": "LBT-2026-000001", "access_code": "WRONG"}


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    import redis  # here, so that without the client only the tests that need it fail

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        reason = f"no Redis server answers at {REDIS_URL} ({error}); start one with `redis-server`"
        required = [name for name in ("CI", "LBT_REQUIRE_BROWSER") if os.environ.get(name)]
        client.close()
        if required:
            pytest.fail(f"Redis is required here ({' and '.join(required)} set) but {reason}")
        pytest.skip(reason)
    client.flushdb()  # this database only, never the whole server
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app fixture (conftest.py) with its rate limits counted in Redis."""
    return settings.with_changes(ratelimit_storage_url=REDIS_URL)


def test_the_app_starts_with_a_redis_storage_url(settings):
    # without the Redis client installed this raised limits.errors.ConfigurationError:
    # 'redis' prerequisite not available
    app = create_app(settings)
    try:
        assert isinstance(limiter.storage, RedisStorage)
    finally:
        app.extensions["lbt"].database.dispose()


def test_the_status_login_is_limited_by_counters_kept_in_redis(redis_db, client, ref):
    for _attempt in range(10):
        assert client.submit("/apply/status", WRONG_LOGIN).status_code == 400
    refused = client.submit("/apply/status", WRONG_LOGIN)
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)

    counters = limit_counts(redis_db)
    # one counter per limit of the status login ("10 per minute; 50 per hour"), each past the 10
    # refused logins (whether the turned-away attempt counts too is the limits library's business)
    per_minute = [n for key, n in counters.items() if key.endswith("/apply.status_login/10/1/minute")]
    per_hour = [n for key, n in counters.items() if key.endswith("/apply.status_login/50/1/hour")]
    assert len(per_minute) == len(per_hour) == 1, counters
    assert per_minute[0] >= 10 and per_hour[0] >= 10, counters

    redis_db.flushdb()  # the counts live in Redis alone: without them the next attempt is let through
    assert client.submit("/apply/status", WRONG_LOGIN).status_code == 400
