"""The app hashes passwords with argon2id at the library's recommended cost; the tests run with a cheap
argon2id (tests/fixtures/passwords.py), and a hash of other parameters is re-hashed at the next login."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import argon2
import pytest
from argon2.profiles import get_default_parameters

from lbt.accounts import passwords
from lbt.accounts.logins import authenticate
from lbt.accounts.models import Role
from lbt.accounts.passwords import password_hasher, use_password_hasher
from tests.fixtures.passwords import PASSWORD, TEST_HASHER

# a process of its own, which the tests' hasher never reached: the app as production builds it
HASH_AS_THE_APP_DOES = """
import sys
from pathlib import Path
from lbt import create_app
from lbt.accounts.passwords import hash_password
from lbt.core.settings import Settings
create_app(Settings.from_env(Path(sys.argv[1]), environ={}))
print(hash_password("a password of at least ten letters"))
"""


def test_the_app_hashes_with_argon2id_and_the_librarys_default_parameters(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", HASH_AS_THE_APP_DOES, str(tmp_path / "instance")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    hashed = done.stdout.strip().splitlines()[-1]
    assert hashed.startswith("$argon2id$")
    assert argon2.extract_parameters(hashed) == get_default_parameters()
    assert passwords.DEFAULT_HASHER.check_needs_rehash(hashed) is False


def test_the_tests_hash_with_argon2id_at_minimal_cost():
    assert password_hasher() is TEST_HASHER
    parameters = argon2.extract_parameters(passwords.hash_password(PASSWORD))
    assert parameters.type is argon2.Type.ID
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (1, 8, 1)


@pytest.fixture
def production_hasher() -> Iterator[None]:
    previous = use_password_hasher(passwords.DEFAULT_HASHER)
    try:
        yield
    finally:
        use_password_hasher(previous)


def _login(db, clock, username: str) -> object:  # type: ignore[no-untyped-def]
    return authenticate(db, username, PASSWORD, now=clock.now, max_failures=5, lockout_minutes=15)


def test_a_login_under_the_same_parameters_keeps_the_hash(db, users, clock):
    before = users[Role.OFFICER].password_hash
    _login(db, clock, "officer")
    assert users[Role.OFFICER].password_hash == before


def test_a_hash_of_cheaper_parameters_is_re_hashed_at_the_first_login(db, users, clock, production_hasher):
    officer = users[Role.OFFICER]
    cheap = officer.password_hash
    assert _login(db, clock, "officer") is officer
    assert officer.password_hash != cheap
    assert argon2.extract_parameters(officer.password_hash) == get_default_parameters()
    assert passwords.DEFAULT_HASHER.verify(officer.password_hash, PASSWORD)
    strong = officer.password_hash
    _login(db, clock, "officer")
    assert officer.password_hash == strong  # re-hashed once, not at every login
