"""Receiving a partner's messages: applied once and in order (a gap holds what follows), and a forged,
wrongly keyed, replayed, re-ordered, stale or unknown message is refused, stored as a refusal and
changes nothing else."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from lbt.exchange.inbox import receive
from lbt.exchange.kinds import BodyRefused, Received, register
from lbt.exchange.models import ExchangeRefusal, IncomingMessage, IncomingStatus
from lbt.exchange.rotation import KEY_KIND
from lbt.permits.signing import SigningKey, new_private_key
from tests.exchange.helpers import Partner, link_to

APPLIED: list[dict[str, Any]] = []  # what the test kind's handler was given, in order


def _apply_note(session, received: Received, body: dict[str, Any]) -> None:
    if body.get("refuse"):
        raise BodyRefused("this note cannot be applied")
    APPLIED.append({"seq": received.envelope.sequence, **body})


register("test.note", _apply_note)


@pytest.fixture
def partner(db, ref):
    APPLIED.clear()
    return Partner("KG", "TJ", ref.agreement.code)


@pytest.fixture
def link(db, ref, partner):
    return link_to(db, ref.agreement, partner)


def _receive(db, clock, token):
    return receive(db, token, home_state="TJ", now=clock(), source="test")


def _refusals(db) -> list[str]:
    return list(db.scalars(select(ExchangeRefusal.reason).order_by(ExchangeRefusal.id)))


def _inbox(db) -> int:
    return db.scalar(select(func.count()).select_from(IncomingMessage))


def test_messages_in_order_are_applied_once_each(db, clock, link, partner):
    first = partner.message("test.note", {"n": 1}, now=clock())
    second = partner.message("test.note", {"n": 2}, now=clock())

    assert _receive(db, clock, first).status == "applied"
    assert _receive(db, clock, second).status == "applied"
    assert _receive(db, clock, first).status == "duplicate"  # a retry after a lost answer

    assert [note["n"] for note in APPLIED] == [1, 2]
    assert link.in_sequence == 2
    assert _refusals(db) == ["duplicate"]


def test_a_gap_holds_later_messages_until_the_missing_one_arrives(db, clock, link, partner):
    tokens = [partner.message("test.note", {"n": n}, now=clock()) for n in (1, 2, 3)]

    assert _receive(db, clock, tokens[2]).status == "held"
    assert _receive(db, clock, tokens[1]).status == "held"
    assert APPLIED == [] and link.in_sequence == 0

    assert _receive(db, clock, tokens[0]).status == "applied"
    assert [note["n"] for note in APPLIED] == [1, 2, 3]
    assert link.in_sequence == 3
    statuses = db.scalars(select(IncomingMessage.status).order_by(IncomingMessage.sequence)).all()
    assert statuses == [IncomingStatus.APPLIED] * 3


def _forge(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_forged_message_is_refused_and_changes_nothing(db, clock, link, partner):
    token = partner.message("test.note", {"n": 1}, now=clock())

    outcome = _receive(db, clock, _forge(token, body={"n": 666}))

    assert (outcome.status, outcome.reason) == ("refused", "bad_signature")
    assert APPLIED == [] and _inbox(db) == 0 and link.in_sequence == 0
    assert _refusals(db) == ["bad_signature"]
    refusal = db.scalars(select(ExchangeRefusal)).one()
    assert refusal.link_id == link.id and refusal.sequence == 1 and refusal.kind == "test.note"
    assert "666" not in refusal.detail  # the body is never kept


def test_a_message_signed_with_another_key_is_refused(db, clock, link, partner):
    stranger = SigningKey.of(new_private_key())

    outcome = _receive(db, clock, partner.message("test.note", {"n": 1}, now=clock(), key=stranger))

    assert (outcome.status, outcome.reason) == ("refused", "wrong_key")
    assert APPLIED == [] and _inbox(db) == 0


def test_a_replayed_or_reordered_number_is_refused(db, clock, link, partner):
    assert _receive(db, clock, partner.message("test.note", {"n": 1}, now=clock())).status == "applied"
    assert _receive(db, clock, partner.message("test.note", {"n": 2}, now=clock())).status == "applied"

    # a genuine signature over a number already used: an old message made again, or re-ordered
    outcome = _receive(db, clock, partner.message("test.note", {"n": 9}, now=clock(), sequence=1))

    assert (outcome.status, outcome.reason) == ("refused", "replayed")
    assert [note["n"] for note in APPLIED] == [1, 2]
    # and a second message for a number that is held already
    assert (
        _receive(db, clock, partner.message("test.note", {"n": 4}, now=clock(), sequence=4)).status == "held"
    )
    assert _receive(db, clock, partner.message("test.note", {"n": 5}, now=clock(), sequence=4)).reason == (
        "sequence_taken"
    )


def test_messages_outside_the_replay_window_or_for_someone_else_are_refused(db, clock, link, partner):
    old = partner.message("test.note", {"n": 1}, now=clock() - timedelta(days=31))
    ahead = partner.message("test.note", {"n": 1}, now=clock() + timedelta(hours=1), sequence=1)
    elsewhere = partner.message("test.note", {"n": 1}, now=clock(), sequence=1, to="UZ")
    unknown = partner.message("test.unknown", {}, now=clock(), sequence=1)

    reasons = [_receive(db, clock, token).reason for token in (old, ahead, elsewhere, unknown, "junk")]

    assert reasons == ["too_old", "from_the_future", "wrong_recipient", "unknown_kind", "malformed"]
    assert APPLIED == [] and _inbox(db) == 0 and link.in_sequence == 0


def test_a_body_the_handler_refuses_is_not_applied_and_blocks_what_follows(db, clock, link, partner):
    refused = partner.message("test.note", {"refuse": True}, now=clock())
    after = partner.message("test.note", {"n": 2}, now=clock())

    assert _receive(db, clock, refused).reason == "not_applicable"
    assert _receive(db, clock, after).status == "held"  # number 1 must come (again) first

    assert APPLIED == [] and link.in_sequence == 0


def test_a_key_rotation_signed_with_the_old_key_pins_the_new_one(db, clock, link, partner):
    new = SigningKey.of(new_private_key())
    rotation = partner.message(KEY_KIND, {"jwk": new.public_jwk()}, now=clock())
    old_key = partner.key

    assert _receive(db, clock, rotation).status == "applied"
    assert link.partner_kid == new.kid

    partner.key = new
    assert _receive(db, clock, partner.message("test.note", {"n": 2}, now=clock())).status == "applied"
    stale = partner.message("test.note", {"n": 3}, now=clock(), key=old_key)
    assert _receive(db, clock, stale).reason == "wrong_key"


def test_a_rotation_signed_with_another_key_changes_nothing(db, clock, link, partner):
    stranger = SigningKey.of(new_private_key())
    pinned = link.partner_kid

    outcome = _receive(
        db, clock, partner.message(KEY_KIND, {"jwk": stranger.public_jwk()}, now=clock(), key=stranger)
    )

    assert outcome.reason == "wrong_key"
    assert link.partner_kid == pinned
