"""Concurrent crossings of one permit, sent over real HTTP to two gunicorn worker processes on one
database (PostgreSQL when LBT_TEST_DATABASE_URL is set): the permit's row lock (SQLite's one writer on
SQLite) lets exactly one of ten simultaneous entries pass green, and copies of one crossing racing each
other are stored once, the others answered as duplicates or conflicts, never a 500."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from lbt import create_app
from lbt.accounts.models import User
from lbt.api.services import create_token
from lbt.core.migrate import upgrade
from lbt.core.settings import Settings
from lbt.crossings.models import Crossing
from lbt.demo.reference import load_demo
from lbt.permits.models import Permit
from lbt.web.state import AppState
from tests.browser.test_verify_page import Holder, issue_permit
from tests.dbutil import temporary_database
from tests.fixtures.gunicorn import gunicorn

THREADS = 10
POINT = "TJ-KG-01"  # one of the demo guard's two crossing points


@dataclass(frozen=True)
class Server:
    port: int
    token: str  # the demo guard's API token
    state: AppState  # the same database, seen from this process

    def post(self, items: list[dict[str, Any]]) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(
                "POST",
                "/api/v1/crossings",
                body=json.dumps(items),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
            )
            response = connection.getresponse()
            body = response.read().decode(errors="replace")
        finally:
            connection.close()
        return response.status, json.loads(body) if response.status == 200 else body

    def crossings_of(self, number: str) -> int:
        with self.state.database.transaction() as session:
            return session.scalar(  # type: ignore[no-any-return]
                select(func.count())
                .select_from(Crossing)
                .join(Permit, Permit.id == Crossing.permit_id)
                .where(Permit.number == number)
            )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("race")
    with temporary_database(directory, "lbt_crossing_race") as url:
        settings = Settings(
            instance_path=directory / "instance",
            database_url=url,
            secret_key="r" * 40,
            public_url="http://127.0.0.1",
        )
        state: AppState = create_app(settings).extensions["lbt"]
        upgrade(state.database.engine)
        with state.database.transaction() as session:
            load_demo(session, settings.instance_path, now=datetime.now(UTC))
            guard = session.scalar(select(User).where(User.username == "guard"))
            assert guard is not None
            token = create_token(session, guard, name="race", now=datetime.now(UTC))[1]
        environment = {
            "LBT_DATABASE_URL": url,
            "LBT_INSTANCE_PATH": str(settings.instance_path),
            "LBT_SECRET_KEY": settings.secret_key,
        }
        try:
            with gunicorn(directory, environment) as port:
                yield Server(port, token, state)
        finally:
            state.database.dispose()


def all_at_once(server: Server, batches: list[list[dict[str, Any]]]) -> list[tuple[int, Any]]:
    """Send each batch from its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(batches))
    answers: list[tuple[int, Any] | None] = [None] * len(batches)

    def send(index: int) -> None:
        barrier.wait(timeout=30)
        answers[index] = server.post(batches[index])

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(answer is not None for answer in answers)
    return answers  # type: ignore[return-value]


def new_permit(server: Server, document_number: str) -> str:
    holder = Holder("Гонкаев", "Тимур", "GONKAEV", "TIMUR", date(1979, 3, 4))
    return issue_permit(server.state, holder, document_number, card=False)[0]


def entry(number: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "permit_number": number,
        "crossing_point": POINT,
        "direction": "entry",
        "at": datetime.now(UTC).isoformat(),
        "offline": False,
        **fields,
    }


def test_ten_concurrent_online_entries_store_exactly_one_green(server: Server) -> None:
    number = new_permit(server, "AC7770001")
    answers = all_at_once(server, [[entry(number)] for _ in range(THREADS)])
    assert [status for status, _ in answers] == [200] * THREADS, answers
    results = [body["results"][0] for _, body in answers]
    green = [r for r in results if r["status"] == "stored"]
    assert len(green) == 1 and green[0]["verdict"] == "pass", results
    for other in results:
        if other is not green[0]:  # the holder is inside already (or a later entry came first)
            assert (other["status"], other["code"]) in {
                ("invalid", "reason_needed"),
                ("refused", "out_of_order"),
            }
    assert server.crossings_of(number) == 1


def test_copies_of_one_crossing_racing_each_other_are_stored_once(server: Server) -> None:
    first, second = new_permit(server, "AC7770002"), new_permit(server, "AC7770003")
    same_id = str(uuid.uuid4())
    # half the copies name another permit: they lock another row and meet only at the unique id
    batches = [[entry(first if index % 2 else second, id=same_id)] for index in range(THREADS)]
    answers = all_at_once(server, batches)
    assert [status for status, _ in answers] == [200] * THREADS, answers
    statuses = sorted(body["results"][0]["status"] for _, body in answers)
    assert statuses.count("stored") == 1, statuses
    assert set(statuses) <= {"stored", "duplicate", "conflict"}, statuses
    assert server.crossings_of(first) + server.crossings_of(second) == 1


def test_a_good_item_beside_a_bad_one_is_stored_over_http(server: Server) -> None:
    number = new_permit(server, "AC7770004")
    good = entry(number)
    status, body = server.post([good, entry(number, reason="ok\u0000", offline=True)])
    assert status == 200, body
    assert [r["status"] for r in body["results"]] == ["stored", "invalid"]
    assert server.crossings_of(number) == 1


def test_the_summaries_equal_a_recount_after_concurrent_batches(server: Server) -> None:
    """Batches of the same holders racing each other (each permit's lock serialises them): who is
    inside and the day counts still equal what the crossings say (issue 11)."""
    from datetime import timedelta

    from lbt.crossings.summaries import Differences, rebuild

    numbers = [new_permit(server, f"AC77701{index:02d}") for index in range(3)]
    start = datetime.now(UTC) - timedelta(hours=2)

    def trip(thread: int) -> list[dict[str, Any]]:
        moment = start + timedelta(minutes=thread * 5)
        return [
            entry(number, at=(moment + timedelta(minutes=k)).isoformat(), offline=True, direction=direction)
            for k, (number, direction) in enumerate(
                (number, direction) for number in numbers for direction in ("entry", "exit")
            )
            if thread % 3 or direction == "entry"  # a third of the trips leave the holders inside
        ]

    answers = all_at_once(server, [trip(thread) for thread in range(THREADS)])
    assert [status for status, _ in answers] == [200] * THREADS, answers
    with server.state.database.transaction() as session:
        assert rebuild(session) == Differences(presence=0, day_counts=0)
