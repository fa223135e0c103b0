"""schemathesis against the live API: real gunicorn on loopback, its own database (PostgreSQL when
LBT_TEST_DATABASE_URL is set), the document read from /api/v1/openapi.json, every operation called
with requests made from the document (its examples, its boundaries, then random ones, valid and
invalid), once with a border guard's bearer token and once with an officer's. Every default check
of schemathesis runs: no server error, every status, content type, header and body as documented,
valid requests accepted, invalid ones refused, no answer without valid credentials, 405 for other
methods. The server's log must hold no traceback at the end (tests/fixtures/gunicorn.py).

The document cannot say which crossing point is the caller's or which permit is on record, so
string values of those fields are swapped for real ones (chosen from the generated value, so the
run stays deterministic) before a request is sent: schema-valid strings stay valid, and the fuzzing
reaches the verdicts and the storing of crossings instead of stopping at "not on record"."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from sqlalchemy import select

from lbt import create_app
from lbt.accounts.models import Role, User
from lbt.accounts.services import Scope, UserData, create_user
from lbt.api.openapi import openapi_document
from lbt.api.services import create_token
from lbt.core.migrate import upgrade
from lbt.core.settings import Settings
from lbt.demo.reference import load_demo
from lbt.permits import services as permits
from lbt.permits.models import Permit
from lbt.web.state import AppState
from tests.browser.test_verify_page import Holder, issue_permit
from tests.dbutil import temporary_database
from tests.fixtures.gunicorn import gunicorn
from tests.fixtures.passwords import PASSWORD

SEED = 20261202
MAX_EXAMPLES = 40  # per operation and phase: about a minute for both tokens on this machine
POINT = "TJ-KG-01"  # the only crossing point of the fuzzing guard
# schemathesis's negative-data check takes 413 (Content Too Large) as a refusal too: it is how the API
# refuses a batch of more crossings than the document allows
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]


@dataclass(frozen=True)
class LiveApi:
    base_url: str
    tokens: dict[Role, str]
    numbers: tuple[str, ...]  # permits on record: active, active, revoked
    scanned: tuple[str, ...]  # their QR tokens


def _issue(state: AppState) -> tuple[tuple[str, ...], tuple[str, ...]]:
    holders = [
        Holder("Фаззиев", "Тимур", "FAZZIEV", "TIMUR", date(1980, 1, 2)),
        Holder("Схемова", "Малика", "SKHEMOVA", "MALIKA", date(1991, 5, 6)),
        Holder("Отозванов", "Бахром", "OTOZVANOV", "BAKHROM", date(1975, 9, 10)),
    ]
    issued = [
        issue_permit(state, holder, f"FZ{index:07d}", card=False) for index, holder in enumerate(holders)
    ]
    with state.database.transaction() as session:
        officer = session.scalar(select(User).where(User.username == "officer"))
        revoked = session.scalar(select(Permit).where(Permit.number == issued[-1][0]))
        assert officer is not None and revoked is not None
        permits.revoke(session, revoked, officer=officer, reason="Fuzzing.", now=datetime.now(UTC))
    return tuple(number for number, _token, _card in issued), tuple(token for _n, token, _card in issued)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    directory = tmp_path_factory.mktemp("openapi")
    with temporary_database(directory, "lbt_openapi_fuzz") as url:
        settings = Settings(
            instance_path=directory / "instance",
            database_url=url,
            secret_key="f" * 40,
            public_url="http://127.0.0.1",
        )
        state: AppState = create_app(settings).extensions["lbt"]
        upgrade(state.database.engine)
        now = datetime.now(UTC)
        with state.database.transaction() as session:
            load_demo(session, settings.instance_path, now=now)
            guard = create_user(
                session,
                UserData("fuzzguard", Role.BORDER_GUARD, scope=Scope.parse([f"crossing:{POINT}"])),
                PASSWORD,
                now=now,
            )
            officer = session.scalar(select(User).where(User.username == "officer"))
            assert officer is not None
            tokens = {
                Role.BORDER_GUARD: create_token(session, guard, name="fuzzing", now=now)[1],
                Role.OFFICER: create_token(session, officer, name="fuzzing", now=now)[1],
            }
        numbers, scanned = _issue(state)
        environment = {
            "LBT_DATABASE_URL": url,
            "LBT_INSTANCE_PATH": str(settings.instance_path),
            "LBT_SECRET_KEY": settings.secret_key,
        }
        try:
            with gunicorn(directory, environment, workers=1) as port:
                yield LiveApi(f"http://127.0.0.1:{port}", tokens, numbers, scanned)
        finally:
            state.database.dispose()


# Built from the code when the module is read (schemathesis's pytest loader needs the operations
# then); the same document the server serves (tests/api/test_openapi.py), sent to the live server.
SCHEMA = schemathesis.openapi.from_dict(
    openapi_document(),
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}},
        }
    ),
)


def _pick(values: Sequence[str], seed: str) -> str:
    return values[zlib.crc32(seed.encode("utf-8", "surrogatepass")) % len(values)]


def _chance(seed: str, out_of: int) -> bool:
    """True for all but one in ``out_of`` generated values (the rest are sent as they are)."""
    return zlib.crc32(seed.encode("utf-8", "surrogatepass")) % out_of != 0


def realistic(live: LiveApi, body: Any) -> None:
    """Swap generated strings for a real crossing point, permit number, scanned code and a time near
    now, in place; anything that is not a string (a negative case's wrong type) is left alone."""
    if isinstance(body, list):
        for item in body:
            realistic(live, item)
        return
    if not isinstance(body, dict):
        return
    if isinstance(body.get("crossing_point"), str):
        body["crossing_point"] = POINT
    if isinstance(body.get("permit_number"), str):
        body["permit_number"] = _pick(live.numbers, body["permit_number"])
    if isinstance(body.get("token"), str) and _chance(body["token"], 3):
        body["token"] = _pick(live.scanned, body["token"])
    if isinstance(body.get("at"), str) and _chance(body["at"], 3):
        minutes = zlib.crc32(body["at"].encode("utf-8", "surrogatepass")) % (6 * 24 * 60)
        body["at"] = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
    if isinstance(body.get("crossings"), list):
        realistic(live, body["crossings"])


def _call(case: Any, live: LiveApi, role: Role) -> None:
    realistic(live, case.body)
    case.call_and_validate(base_url=live.base_url, headers={"Authorization": f"Bearer {live.tokens[role]}"})


@SCHEMA.parametrize()
def test_the_api_keeps_its_document_for_a_border_guard(case: Any, live: LiveApi) -> None:
    _call(case, live, Role.BORDER_GUARD)


@SCHEMA.parametrize()
def test_the_api_keeps_its_document_for_an_officer(case: Any, live: LiveApi) -> None:
    _call(case, live, Role.OFFICER)
