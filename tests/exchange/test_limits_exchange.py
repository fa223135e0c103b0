"""Rate limits on the partner-facing endpoints (Flask-Limiter, per caller address and the link a
request names, and per address over all links): what is over the limit is answered 429 with
Retry-After and nothing of it is stored; the sender's outbox waits as long as asked, without the
doubling of a failure."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.kinds import enqueue
from lbt.exchange.limits import FETCH_LIMIT, PUSH_LIMIT
from lbt.exchange.models import ExchangeRefusal, OutgoingMessage
from lbt.exchange.outbox import FIRST_RETRY, LONGEST_RETRY, failed, postponed
from lbt.exchange.sync import retry_after
from lbt.permits.signing import SigningKey, new_private_key
from tests.exchange.helpers import Partner, link_to

PUSHES = int(PUSH_LIMIT.split()[0])
FETCHES = int(FETCH_LIMIT.split()[0])


def _refusals(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(ExchangeRefusal)) or 0


def test_pushes_over_the_limit_are_answered_429_and_stored_nowhere(app, client, db, clock, ref):
    partner = Partner("KG", "TJ", "TJ-KG")
    own = app.extensions["lbt"].find(ExchangeKeyStore).ensure_key(clock())
    link_to(db, ref.agreement, partner, own_kid=own.kid)
    db.commit()
    stranger = SigningKey.of(new_private_key())  # forged messages naming the link: each is a refusal

    def push(address: str = "192.0.2.7", agreement: str = "TJ-KG"):  # type: ignore[no-untyped-def]
        token = Partner("KG", "TJ", agreement).message("exchange.key", {}, now=clock(), key=stranger)
        return client.post(
            "/exchange/v1/inbox", json={"messages": [token]}, environ_base={"REMOTE_ADDR": address}
        )

    answers = [push() for _ in range(PUSHES)]
    assert {answer.status_code for answer in answers} == {200}
    assert _refusals(db) == PUSHES

    over = push()

    assert over.status_code == 429
    assert 0 < int(over.headers["Retry-After"]) <= 60
    assert _refusals(db) == PUSHES  # the one over the limit never reached the inbox
    # another address, and another link named from the same address, have limits of their own
    assert push(address="192.0.2.8").status_code == 200
    assert push(agreement="TJ-UZ").status_code == 200


def test_fetches_are_limited_apart_from_pushes(app, client, db, clock, ref):
    headers = {"Content-Type": "application/jose"}
    environ = {"REMOTE_ADDR": "192.0.2.9"}
    answers = [
        client.post("/exchange/v1/fetch", data="a.b.c", headers=headers, environ_base=environ)
        for _ in range(FETCHES + 1)
    ]
    assert [answer.status_code for answer in answers[:FETCHES]] == [403] * FETCHES  # refused, counted
    assert answers[-1].status_code == 429 and "Retry-After" in answers[-1].headers
    assert _refusals(db) == FETCHES
    pushed = client.post("/exchange/v1/inbox", json={"messages": ["a.b.c"]}, environ_base=environ)
    assert pushed.status_code == 200


def test_a_429_makes_the_outbox_wait_as_asked_without_doubling(db, clock, ref):
    link_to(db, ref.agreement, Partner("KG", "TJ", "TJ-KG"))
    enqueue(db, ref.agreement, "exchange.key", {"jwk": {}}, now=clock())
    message = db.scalars(select(OutgoingMessage)).one()
    failed([message], "the partner cannot be reached", clock())
    failed([message], "the partner cannot be reached", clock())
    assert (message.attempts, message.next_attempt_at) == (2, clock() + 2 * FIRST_RETRY)

    asked = httpx.Response(429, headers={"Retry-After": "42"})
    postponed([message], retry_after(asked), "the partner asks to wait 42 s", clock())

    assert message.attempts == 2  # not a failed attempt
    assert message.next_attempt_at == clock() + timedelta(seconds=42)
    assert retry_after(httpx.Response(429)) == timedelta(minutes=1)  # none said: a minute
    assert retry_after(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015"})) == timedelta(
        minutes=1
    )
    postponed([message], timedelta(days=2), "", clock())
    assert message.next_attempt_at == clock() + LONGEST_RETRY  # at most an hour
    postponed([message], timedelta(seconds=1), "", clock())
    assert message.next_attempt_at == clock() + FIRST_RETRY
