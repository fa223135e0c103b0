"""A link's administration between two real instances (TJ and KG, each its own database and gunicorn,
driven through their `lbt` commands over loopback HTTP): KG deactivates its link, TJ's pushes and
fetches are answered 409 "link inactive" and TJ keeps its queue while both sides go on queuing; KG
reactivates it and moves to a new address, TJ re-points its link (the pinned key unchanged); KG's
rate limit answers a flood 429 and TJ's sync waits as asked; then every message arrives once, in
order. The commands are audited."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from lbt.accounts.models import User
from lbt.audit.models import AuditEntry
from lbt.exchange.models import (
    ExchangeLink,
    ExchangeRefusal,
    IncomingMessage,
    IncomingStatus,
    OutgoingMessage,
    PartnerWithdrawal,
)
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.services import reinstate, revoke
from lbt.permits.signing import SigningKey, new_private_key
from tests.exchange.helpers import Partner
from tests.exchange.pair import AGREEMENT, Instance, linked_pair
from tests.fixtures.gunicorn import free_port


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):
    with linked_pair(tmp_path_factory.mktemp("pair")) as linked:
        yield linked


def _sync(instance: Instance, *, ok: bool = True) -> str:
    result = instance.lbt("exchange", "sync", check=False)
    assert (result.returncode == 0) is ok, result.stdout + result.stderr
    return result.stdout + result.stderr


def _count(instance: Instance, model, *where) -> int:  # type: ignore[no-untyped-def]
    with instance.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _waiting(instance: Instance) -> list[OutgoingMessage]:
    with instance.session() as session:
        return list(
            session.scalars(
                select(OutgoingMessage)
                .where(OutgoingMessage.delivered_at.is_(None))
                .order_by(OutgoingMessage.sequence)
            )
        )


def _link(instance: Instance) -> ExchangeLink:
    with instance.session() as session:
        return session.scalars(select(ExchangeLink)).one()


def _change(instance: Instance, status: PermitStatus, action) -> str:  # type: ignore[no-untyped-def]
    with instance.session() as session, session.begin():
        permit = session.scalars(select(Permit).where(Permit.status == status).order_by(Permit.id)).first()
        officer = session.scalars(select(User).where(User.username == "officer")).one()
        action(session, permit, officer=officer, reason="Checked again", now=datetime.now(UTC))
        return permit.number


def _drained(instance: Instance) -> tuple[list[bytes], threading.Thread]:
    """Read the server's output while it runs: a flood logs more than a pipe holds, and a worker
    writing to a full pipe hangs."""
    assert instance.server is not None and instance.server.stdout is not None
    lines: list[bytes] = []
    thread = threading.Thread(target=lambda: lines.extend(instance.server.stdout), daemon=True)  # type: ignore[union-attr]
    thread.start()
    return lines, thread


def _stop_drained(instance: Instance, lines: list[bytes], thread: threading.Thread) -> None:
    """``Instance.stop`` for a server whose output ``_drained`` reads: it must hold no traceback."""
    assert instance.server is not None
    instance.server.terminate()
    instance.server.wait(timeout=60)
    thread.join(timeout=60)
    assert instance.server.stdout is not None
    instance.server.stdout.close()
    instance.server = None
    output = b"".join(lines).decode(errors="replace")
    instance.log.append(output)
    assert "Traceback" not in output, output


def _flood(instance: Instance) -> int:
    """Forged pushes naming TJ's link, from TJ's address (loopback), until the server says 429 ten
    times running; returns how many were sent."""
    forger = Partner("TJ", "KG", AGREEMENT)
    key = SigningKey.of(new_private_key())
    running, sent = 0, 0
    while running < 10:
        assert sent < 1000, "the inbox never said 429"
        token = forger.message("exchange.key", {}, now=datetime.now(UTC), key=key)
        status, _body = instance.post_json("/exchange/v1/inbox", {"messages": [token]})
        running = running + 1 if status == 429 else 0
        sent += 1
    return sent


def test_a_link_deactivated_re_pointed_and_rate_limited_loses_nothing(pair):
    tj, kg = pair.tj, pair.kg
    _sync(tj)
    _sync(kg)
    _sync(tj)
    assert not _waiting(tj) and not _waiting(kg)
    tj_key = _link(tj).partner_kid

    said = kg.lbt("exchange", "deactivate", "--agreement", AGREEMENT).stdout
    assert "inactive" in said
    assert "inactive since" in kg.lbt("exchange", "status").stdout
    kg_received, kg_refusals = _count(kg, IncomingMessage), _count(kg, ExchangeRefusal)

    revoked = _change(tj, PermitStatus.ACTIVE, revoke)
    output = _sync(tj, ok=False)

    assert "409" in output and "Link inactive" in output
    assert "revocations.delta" in {message.kind for message in _waiting(tj)}  # kept, offered again
    assert (_count(kg, IncomingMessage), _count(kg, ExchangeRefusal)) == (kg_received, kg_refusals)
    # the Kyrgyz side goes on: its change queues on the inactive link, its sync sends nothing
    _change(kg, PermitStatus.SUSPENDED, reinstate)
    assert "every link is inactive" in _sync(kg)
    assert [message.sequence for message in _waiting(kg)] == [_link(kg).out_sequence]
    refused = kg.lbt("exchange", "deactivate", "--agreement", AGREEMENT, check=False)
    assert refused.returncode != 0 and "inactive already" in refused.stdout + refused.stderr

    assert "active again" in kg.lbt("exchange", "reactivate", "--agreement", AGREEMENT).stdout
    # KG moves to another address (its rate-limit counts start afresh), with a push limit whose window
    # outlasts the test however slow the machine (the default's minute can pass between the flood and
    # TJ's sync) and one gunicorn worker: counted in memory, each worker keeps its own counts, and the
    # flood's 429s may all come from one worker while TJ's push reaches the other; TJ re-points its link
    kg.stop()
    kg.port = free_port()
    kg.settings, kg.workers = {"LBT_EXCHANGE_PUSH_LIMIT": "20 per hour"}, 1
    kg.start()
    bad = tj.lbt("exchange", "repoint", "--agreement", AGREEMENT, "--partner-url", "ftp://x", check=False)
    assert bad.returncode != 0 and "starts with https://" in bad.stdout + bad.stderr
    moved = tj.lbt("exchange", "repoint", "--agreement", AGREEMENT, "--partner-url", kg.url).stdout
    assert kg.url in moved and "key is unchanged" in moved
    assert (_link(tj).partner_url, _link(tj).partner_kid) == (kg.url, tj_key)

    drained = _drained(kg)
    _flood(kg)
    before = _waiting(tj)[0]
    output = _sync(tj, ok=False)

    assert "asks to wait" in output, output
    after = _waiting(tj)[0]
    assert after.attempts == before.attempts  # a 429 is not a failed attempt
    assert after.next_attempt_at is not None
    assert after.next_attempt_at <= datetime.now(UTC) + timedelta(hours=1, seconds=1)

    _stop_drained(kg, *drained)  # a restart forgets the counts, and TJ's wait is cleared
    kg.settings, kg.workers = {}, 2
    kg.start()
    with tj.session() as session, session.begin():
        session.execute(update(OutgoingMessage).values(next_attempt_at=None))
    _sync(tj)
    _sync(kg)
    _sync(tj)

    for instance in (tj, kg):
        assert not _waiting(instance), instance.state
        with instance.session() as session:
            applied = [
                (row.sequence, row.status)
                for row in session.scalars(select(IncomingMessage).order_by(IncomingMessage.sequence))
            ]
        assert [sequence for sequence, _status in applied] == list(range(1, len(applied) + 1))
        assert {status for _sequence, status in applied} == {IncomingStatus.APPLIED}
    with kg.session() as session:
        assert (
            session.scalars(
                select(PartnerWithdrawal.status).where(PartnerWithdrawal.permit_number == revoked)
            ).one()
            == "revoked"
        )
        changes = session.scalars(
            select(AuditEntry.changes).where(
                AuditEntry.entity_type == "exchange_links", AuditEntry.action == "update"
            )
        ).all()
    assert sum("deactivated_at" in change for change in changes) == 2  # deactivated, reactivated
    pruned = tj.lbt("exchange", "prune").stdout
    assert "Deleted 0 message(s) sent" in pruned
    assert tj.lbt("exchange", "prune", "--days", "5", check=False).returncode == 2
