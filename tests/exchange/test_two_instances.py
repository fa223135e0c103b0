"""Two real instances, a Tajik and a Kyrgyz one, linked through their commands and talking over real
HTTP on loopback: the trust list lets a Kyrgyz guard see a Tajik permit as genuine, a Tajik revocation
reaches the Kyrgyz side, a cut link loses nothing and applies nothing twice, and what is forged,
replayed, re-ordered or wrongly keyed is refused, kept as a refusal and changes nothing.

The tests run in order on one pair (setting it up takes the two demos' time)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update

from lbt.accounts.models import User
from lbt.exchange.messages import FETCH_TYP, MESSAGE_TYP
from lbt.exchange.models import (
    ExchangeLink,
    ExchangeRefusal,
    IncomingMessage,
    IncomingStatus,
    OutgoingMessage,
    PartnerCrossing,
    PartnerReport,
    PartnerSigningKey,
    PartnerWithdrawal,
    ReportAcknowledgement,
)
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.services import reinstate, revoke, suspend
from lbt.permits.signing import SigningKey, load_private_key, new_private_key, sign
from lbt.reference.models import Agreement
from tests.exchange.pair import AGREEMENT, Instance, Pair, linked_pair


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):
    with linked_pair(tmp_path_factory.mktemp("pair")) as linked:
        yield linked


def _valid_permits(instance: Instance, count: int, *, today_only: bool = True) -> list[Permit]:
    """Active permits (valid today, unless ``today_only`` is false: a revocation needs no more)."""
    today = instance.today()
    dates = (Permit.valid_from <= today, Permit.valid_until >= today) if today_only else ()
    with instance.session() as session:
        permits = session.scalars(
            select(Permit).where(Permit.status == PermitStatus.ACTIVE, *dates).order_by(Permit.id)
        ).all()
    assert len(permits) >= count, f"the demo of {instance.state} has {len(permits)} valid permits"
    return list(permits)


def _revoke(instance: Instance, number: str) -> None:
    """What an officer does on the permit's page, through the same service."""
    with instance.session() as session, session.begin():
        permit = session.scalars(select(Permit).where(Permit.number == number)).one()
        officer = session.scalars(select(User).where(User.username == "officer")).one()
        revoke(session, permit, officer=officer, reason="Left the border area", now=datetime.now(UTC))


def _verify(pair: Pair, token: str) -> dict:
    status, body = pair.kg.post_json(
        "/api/v1/verify",
        {"token": token, "crossing_point": "KG-TJ-01", "direction": "exit"},
        pair.guard_token,
    )
    assert status == 200, body
    return body


def _count(instance: Instance, model, *where) -> int:
    with instance.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _sync(instance: Instance, *, ok: bool = True) -> str:
    result = instance.lbt("exchange", "sync", check=False)
    assert (result.returncode == 0) is ok, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_a_kyrgyz_guard_sees_a_tajik_permit_as_genuine_once_the_trust_list_came(pair):
    permit = _valid_permits(pair.tj, 1)[0]
    before = _verify(pair, permit.token)
    assert before["verdict"] == "refuse"
    assert before["reasons"][0]["code"] == "unknown_key"

    _sync(pair.tj)  # TJ pushes its trust list and its list of withdrawn permits

    after = _verify(pair, permit.token)
    assert after["verdict"] == "pass", after
    assert after["reasons"][0] == {"code": "partner_permit", "message": "Genuine permit of Tajikistan."}
    assert after["partner"] == {"state": "TJ", "records": False}
    assert after["permit"]["number"] == permit.number
    assert after["permit"]["valid_until"] == permit.valid_until.isoformat()
    assert after["permit"]["status"] == "active"
    with pair.kg.session() as session:
        kids = set(session.scalars(select(PartnerSigningKey.kid).where(PartnerSigningKey.state == "TJ")))
    assert permit.signing_kid in kids


def test_a_tajik_revocation_reaches_the_kyrgyz_side(pair):
    permit = _valid_permits(pair.tj, 1)[0]
    _revoke(pair.tj, permit.number)
    assert (
        _count(
            pair.tj,
            OutgoingMessage,
            OutgoingMessage.delivered_at.is_(None),
            OutgoingMessage.kind == "revocations.delta",
        )
        == 1
    )

    _sync(pair.tj)

    with pair.kg.session() as session:
        withdrawal = session.scalars(
            select(PartnerWithdrawal).where(PartnerWithdrawal.permit_number == permit.number)
        ).one()
    assert (withdrawal.state, withdrawal.status) == ("TJ", "revoked")
    verdict = _verify(pair, permit.token)
    assert verdict["verdict"] == "refuse"
    assert [reason["code"] for reason in verdict["reasons"]] == ["partner_permit", "revoked"]
    assert verdict["permit"]["status"] == "revoked"
    assert _count(pair.tj, OutgoingMessage, OutgoingMessage.delivered_at.is_(None)) == 0


def test_the_exit_is_recorded_when_the_agreement_asks_both_sides_to_record(pair):
    permit = _valid_permits(pair.tj, 1)[0]
    crossing = {
        "id": str(uuid.uuid4()),
        "token": permit.token,
        "crossing_point": "KG-TJ-01",
        "direction": "exit",
        "at": datetime.now(UTC).isoformat(),
    }
    status, body = pair.kg.post_json("/api/v1/partner-crossings", [crossing], pair.guard_token)
    assert (status, body["results"][0]["status"]) == (200, "refused")  # not asked to record yet

    with pair.kg.session() as session, session.begin():
        session.execute(update(Agreement).where(Agreement.code == AGREEMENT).values(both_sides_record=True))
    assert _verify(pair, permit.token)["partner"]["records"] is True
    status, body = pair.kg.post_json("/api/v1/partner-crossings", [crossing], pair.guard_token)
    assert body["results"][0]["status"] == "stored", body
    status, body = pair.kg.post_json("/api/v1/partner-crossings", [crossing], pair.guard_token)
    assert body["results"][0]["status"] == "duplicate"  # a retry after a lost answer is stored once

    with pair.kg.session() as session:
        rows = session.scalars(
            select(PartnerCrossing).where(PartnerCrossing.permit_number == permit.number)
        ).all()
    assert [(row.issuing_state, row.direction) for row in rows] == [("TJ", "exit")]


def _sequences(instance: Instance) -> list[tuple[int, str]]:
    with instance.session() as session:
        return [
            (row.sequence, row.status.value)
            for row in session.scalars(
                select(IncomingMessage).order_by(IncomingMessage.applied_at, IncomingMessage.id)
            )
        ]


def _suspended(instance: Instance) -> str:
    with instance.session() as session:
        return session.scalars(select(Permit.number).where(Permit.status == PermitStatus.SUSPENDED)).first()


def _change(instance: Instance, number: str, action) -> None:
    with instance.session() as session, session.begin():
        permit = session.scalars(select(Permit).where(Permit.number == number)).one()
        officer = session.scalars(select(User).where(User.username == "officer")).one()
        action(session, permit, officer=officer, reason="Checked again", now=datetime.now(UTC))


def test_a_cut_link_loses_nothing_and_applies_nothing_twice(pair):
    tj_permit, kg_permit = _suspended(pair.tj), _suspended(pair.kg)
    assert tj_permit and kg_permit, "each demo has a suspended permit"
    pair.kg.stop()  # the link is cut
    try:
        # two changes of one permit: only their order tells the partner how it ends (suspended)
        _change(pair.tj, tj_permit, reinstate)
        _change(pair.tj, tj_permit, suspend)
        output = _sync(pair.tj, ok=False)
        assert "cannot be reached" in output
        status = pair.tj.lbt("exchange", "status").stdout
        assert "queued: 2" in status and "cannot be reached" in status
        # the Kyrgyz side works on without its server: a reinstatement, a new permit key, the report
        _change(pair.kg, kg_permit, reinstate)
        pair.kg.lbt("keys", "rotate")
        half = f"{date.today().year}-{1 if date.today().month <= 6 else 2}"
        pair.kg.lbt(
            "reports",
            "six-monthly",
            "--agreement",
            AGREEMENT,
            "--half",
            half,
            "--out",
            str(pair.kg.directory / "report"),
        )
    finally:
        pair.kg.start()  # the link is back (the same address)

    _sync(pair.tj)  # TJ's backlog goes, in order; KG's comes
    _sync(pair.kg)
    _sync(pair.tj)  # the acknowledgement of KG's report, and confirmations
    _sync(pair.kg)

    for instance in (pair.tj, pair.kg):
        assert _count(instance, OutgoingMessage, OutgoingMessage.delivered_at.is_(None)) == 0, instance.state
        received = _sequences(instance)
        assert [sequence for sequence, _status in received] == list(range(1, len(received) + 1)), (
            instance.state
        )
        assert {status for _sequence, status in received} == {IncomingStatus.APPLIED.value}
    with pair.kg.session() as session:
        withdrawal = session.scalars(
            select(PartnerWithdrawal).where(PartnerWithdrawal.permit_number == tj_permit)
        ).one()
        ack = session.scalars(select(ReportAcknowledgement)).one()
    assert withdrawal.status == "suspended"  # reinstated, then suspended again: applied in that order
    with pair.tj.session() as session:
        report = session.scalars(select(PartnerReport)).one()
        kg_withdrawn = session.scalars(
            select(PartnerWithdrawal.permit_number).where(PartnerWithdrawal.state == "KG")
        ).all()
        assert kg_permit not in kg_withdrawn  # the Kyrgyz reinstatement came
        kg_kids = set(
            session.scalars(
                select(PartnerSigningKey.kid).where(
                    PartnerSigningKey.state == "KG", PartnerSigningKey.withdrawn_at.is_(None)
                )
            )
        )
    assert ack.content_sha256 == report.content_sha256
    assert pair.kg.get_json("/.well-known/jwks.json")["keys"][0]["kid"] in kg_kids  # the rotated key


# --- what must be refused ---------------------------------------------------------------------------


def _link(instance: Instance) -> ExchangeLink:
    with instance.session() as session:
        return session.scalars(select(ExchangeLink)).one()


def _state_of(instance: Instance) -> tuple:
    """Everything the partner's messages may change on ``instance``."""
    link = _link(instance)
    return (
        link.in_sequence,
        link.partner_kid,
        _count(instance, IncomingMessage),
        _count(instance, PartnerWithdrawal),
        _count(instance, PartnerSigningKey),
    )


def _tj_key(pair: Pair) -> SigningKey:
    """The Tajik instance's exchange key, as an insider (or a buggy sender) would hold it."""
    kid = _link(pair.tj).own_kid
    pem = (pair.tj.directory / "instance" / "exchange-keys" / f"{kid}.pem").read_bytes()
    return SigningKey.of(load_private_key(pem, "test"))


def _message(sequence: int, key: SigningKey, body: dict | None = None, **changes) -> str:
    payload = {
        "v": 1,
        "id": str(uuid.uuid4()),
        "from": "TJ",
        "to": "KG",
        "agr": AGREEMENT,
        "seq": sequence,
        "iat": int(datetime.now(UTC).timestamp()),
        "kind": "revocations.delta",
        "body": body
        or {"changes": [{"number": "TJ-FORGED-1", "status": "revoked", "valid_until": "2030-01-01"}]},
        **changes,
    }
    return sign(payload, key, MESSAGE_TYP)


def _push(pair: Pair, token: str) -> dict:
    status, body = pair.kg.post_json("/exchange/v1/inbox", {"messages": [token]})
    assert status == 200, body
    return body["results"][0]


def _last_refusal(instance: Instance) -> ExchangeRefusal:
    with instance.session() as session:
        return session.scalars(select(ExchangeRefusal).order_by(ExchangeRefusal.id.desc()).limit(1)).one()


def _applied_token(pair: Pair) -> str:
    with pair.tj.session() as session:
        return session.scalars(
            select(OutgoingMessage.token)
            .where(OutgoingMessage.delivered_at.is_not(None))
            .order_by(OutgoingMessage.sequence)
        ).first()


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_a_forged_message_is_refused_logged_and_changes_nothing(pair):
    before = _state_of(pair.kg)
    header, payload, signature = _applied_token(pair).split(".")
    claims = json.loads(_unb64(payload))
    claims.update(seq=before[0] + 1, body={"changes": [{"number": "TJ-FORGED-1", "status": "revoked"}]})
    forged = ".".join(
        (header, base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode(), signature)
    )

    result = _push(pair, forged)

    assert (result["status"], result["reason"]) == ("refused", "bad_signature")
    assert _state_of(pair.kg) == before
    assert _last_refusal(pair.kg).reason == "bad_signature"


def test_a_replayed_message_is_refused_as_a_duplicate_and_changes_nothing(pair):
    before = _state_of(pair.kg)

    result = _push(pair, _applied_token(pair))

    assert result["status"] == "duplicate"
    assert _state_of(pair.kg) == before
    assert _last_refusal(pair.kg).reason == "duplicate"


def test_a_reordered_message_with_a_used_number_is_refused(pair):
    before = _state_of(pair.kg)

    result = _push(pair, _message(1, _tj_key(pair)))  # genuinely signed, but number 1 is long applied

    assert (result["status"], result["reason"]) == ("refused", "replayed")
    assert _state_of(pair.kg) == before


def test_a_wrongly_keyed_message_is_refused(pair):
    before = _state_of(pair.kg)
    stranger = SigningKey.of(new_private_key())

    result = _push(pair, _message(before[0] + 1, stranger))
    rotation = _push(
        pair, _message(before[0] + 1, stranger, kind="exchange.key", body={"jwk": stranger.public_jwk()})
    )

    assert (result["reason"], rotation["reason"]) == ("wrong_key", "wrong_key")
    assert _state_of(pair.kg) == before
    assert _count(pair.kg, PartnerWithdrawal, PartnerWithdrawal.permit_number == "TJ-FORGED-1") == 0


def test_a_replayed_fetch_request_is_refused(pair):
    key = _tj_key(pair)
    request = sign(
        {
            "v": 1,
            "from": "TJ",
            "to": "KG",
            "agr": AGREEMENT,
            "iat": int(datetime.now(UTC).timestamp()),
            "req": time.time_ns() // 1000,
            "after": _link(pair.tj).in_sequence,
        },
        key,
        FETCH_TYP,
    )
    first = pair.kg.post("/exchange/v1/fetch", request.encode(), "application/jose")
    again = pair.kg.post("/exchange/v1/fetch", request.encode(), "application/jose")

    assert first[0] == 200 and again[0] == 403
    assert "replayed" in again[1]["error"]
    assert _last_refusal(pair.kg).reason == "replayed"
