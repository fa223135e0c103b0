"""Guessing passwords at /login: throttled per address and per account name (429 with Retry-After),
locks on the (name, client) pair so an attacker elsewhere cannot lock the real user out, and a locked
account answers exactly like a wrong password or an unknown name. The throttles are counted in
memory here and in a real Redis (database 9 of 127.0.0.1:6379, emptied before and after) below."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher

from lbt.accounts.logins import KnownBrowser
from lbt.accounts.services import use_password_hasher
from lbt.accounts.views import KNOWN_BROWSER_COOKIE
from tests.fixtures.clients import Client
from tests.fixtures.passwords import PASSWORD, TEST_HASHER
from tests.fixtures.redis_counts import limit_counts

ATTACKER = "203.0.113.66"
REAL_USER = "192.0.2.10"
REDIS_URL = "redis://127.0.0.1:6379/9"


def _login(client: Client, username: str, password: str, address: str, **kwargs: Any) -> Any:
    """The password and, when it is right, the second step (a code of the account's app)."""
    return client.login(username, password, environ_base={"REMOTE_ADDR": address}, **kwargs)


def _lock(client: Client, username: str, address: str = ATTACKER) -> None:
    for _attempt in range(5):
        assert _login(client, username, "wrong password", address).status_code == 401


# --- per address and per account name ---------------------------------------------------------------


def test_wrong_logins_from_one_address_get_429_with_retry_after_and_a_translated_page(client, users):
    for attempt in range(10):  # ten names, so that no name's lock gets in the way
        assert _login(client, f"name{attempt}", "wrong password", ATTACKER).status_code == 401
    refused = _login(client, "officer", PASSWORD, ATTACKER, headers={"Accept-Language": "ru"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Слишком много запросов" in refused.get_data(as_text=True)
    assert _login(client, "officer", PASSWORD, REAL_USER).status_code == 302  # another address


def test_successful_logins_from_a_shared_address_are_not_counted(app, users):
    for _login_number in range(15):  # a shift logging in behind one crossing point's address
        fresh: Client = app.test_client()  # type: ignore[assignment]
        assert _login(fresh, "guard", PASSWORD, ATTACKER).status_code == 302


def test_wrong_logins_for_one_name_are_throttled_whatever_the_address(app, client, users):
    real: Client = app.test_client()  # type: ignore[assignment]
    assert _login(real, "officer", PASSWORD, REAL_USER).status_code == 302  # this browser is known now
    real.submit("/logout")
    for attempt in range(30):  # a botnet: one guess from each address
        assert _login(client, "officer", "wrong password", f"198.51.100.{attempt}").status_code == 401
    assert _login(client, "officer", PASSWORD, "198.51.100.200").status_code == 429
    assert _login(client, "guard", "wrong password", "198.51.100.200").status_code == 401  # another name
    # the real user's browser logged in as officer before: the throttle on the name spares it
    assert _login(real, "officer", PASSWORD, "198.51.100.201").status_code == 302


# --- locks on the (name, client) pair -----------------------------------------------------------


def test_the_real_user_logs_in_while_the_attackers_client_is_locked(app, client, users):
    own_tablet: Client = app.test_client()  # type: ignore[assignment]
    assert _login(own_tablet, "guard", PASSWORD, ATTACKER).status_code == 302
    own_tablet.submit("/logout")

    _lock(client, "guard")
    assert _login(client, "guard", PASSWORD, ATTACKER).status_code == 401  # the attacker's pair is locked
    elsewhere: Client = app.test_client()  # type: ignore[assignment]
    assert _login(elsewhere, "guard", PASSWORD, REAL_USER).status_code == 302  # from another address
    # behind the attacker's own address (one crossing point, one address): the guard's own tablet
    assert _login(own_tablet, "guard", PASSWORD, ATTACKER).status_code == 302


def test_a_forged_or_foreign_known_browser_cookie_counts_for_nothing(app, client, users, settings, clock):
    _lock(client, "guard")
    forged: Client = app.test_client()  # type: ignore[assignment]
    forged.set_cookie(KNOWN_BROWSER_COOKIE, "eyJiIjoieCJ9.forged", path="/login")
    assert _login(forged, "guard", PASSWORD, ATTACKER).status_code == 401
    # a real record, signed with the app's key, but of another account
    theirs = KnownBrowser.new().remember("officer", clock.now).dumps(settings.secret_key)
    other: Client = app.test_client()  # type: ignore[assignment]
    other.set_cookie(KNOWN_BROWSER_COOKIE, theirs, path="/login")
    assert _login(other, "guard", PASSWORD, ATTACKER).status_code == 401
    mine = KnownBrowser.new().remember("guard", clock.now).dumps("another app's secret key" * 2)
    other.set_cookie(KNOWN_BROWSER_COOKIE, mine, path="/login")
    assert _login(other, "guard", PASSWORD, ATTACKER).status_code == 401


def test_the_known_browser_cookie_is_kept_to_the_login_page_and_hidden_from_scripts(client, users):
    response = _login(client, "officer", PASSWORD, REAL_USER)
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(KNOWN_BROWSER_COOKIE)]
    assert "Path=/login" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "officer" not in cookie  # the accounts are named by digest


# --- a locked account says nothing -----------------------------------------------------------------


class CountingHasher(PasswordHasher):
    """The tests' argon2id, counting its verifications: each answer must cost one."""

    def __init__(self) -> None:
        super().__init__(
            time_cost=TEST_HASHER.time_cost,
            memory_cost=TEST_HASHER.memory_cost,
            parallelism=TEST_HASHER.parallelism,
        )
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def counting_hasher() -> Iterator[CountingHasher]:
    hasher = CountingHasher()
    previous = use_password_hasher(hasher)
    yield hasher
    use_password_hasher(previous)


def _comparable(response: Any) -> tuple[int, str, list[tuple[str, str]]]:
    """Status, page and headers, less what differs by design: the values in the form (the name typed
    in, the CSRF token), and the values of the cookies, of the rate-limit counters and times and of
    the request's id."""
    page = re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True))
    varying = {"set-cookie", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "content-length"}
    varying.add("x-request-id")  # a new random id per request (lbt/web/request_log.py)
    headers = sorted(
        (name, "" if name.lower() in varying else value) for name, value in response.headers.items()
    )
    return response.status_code, page, headers


def test_a_locked_account_answers_exactly_like_a_wrong_password_and_an_unknown_name(
    app, client, users, counting_hasher
):
    _lock(client, "guard")
    counting_hasher.verified = 0
    answers = {
        "locked, right password": _comparable(_login(client, "guard", PASSWORD, ATTACKER)),
        "unknown name": _comparable(_login(client, "nobody", PASSWORD, ATTACKER)),
        "wrong password": _comparable(_login(client, "officer", "wrong password", ATTACKER)),
    }
    assert counting_hasher.verified == 3  # one argon2 verification each, the locked one too
    first = answers["locked, right password"]
    assert first[0] == 401 and "Wrong username or password." in first[1] and "locked" not in first[1].lower()
    for name, answer in answers.items():
        assert answer == first, name


# --- counted in Redis, as production does with several workers ----------------------------------------


@pytest.fixture
def redis_db() -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        client.close()
        if os.environ.get("CI") or os.environ.get("LBT_REQUIRE_BROWSER"):
            pytest.fail(f"Redis is required here but does not answer at {REDIS_URL}: {error}")
        pytest.skip(f"no Redis server answers at {REDIS_URL} ({error}); start one with `redis-server`")
    client.flushdb()  # this database only, never the whole server
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def redis_client(redis_db, make_app, settings, users) -> Client:  # type: ignore[no-untyped-def]
    app = make_app(settings.with_changes(ratelimit_storage_url=REDIS_URL))
    return app.test_client()  # type: ignore[no-any-return]


def test_the_login_throttles_are_counted_in_redis(redis_db, redis_client):
    for attempt in range(10):
        assert _login(redis_client, f"name{attempt}", "wrong password", ATTACKER).status_code == 401
    assert _login(redis_client, "officer", PASSWORD, ATTACKER).status_code == 429

    counters = limit_counts(redis_db)
    per_address = [n for key, n in counters.items() if ATTACKER in key and key.endswith("/10/1/minute")]
    per_name = [key for key in counters if "login-name:" in key and key.endswith("/30/1/hour")]
    assert per_address and per_address[0] >= 10, counters
    assert len(per_name) == 10, counters  # one counter for each name tried

    redis_db.flushdb()  # the counts live in Redis alone: without them the next attempt is let through
    assert _login(redis_client, "officer", PASSWORD, ATTACKER).status_code == 302
