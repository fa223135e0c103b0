"""Pruning the exchange's transport rows (the daily job, ``lbt exchange prune``): confirmed messages,
applied ones and refusals older than LBT_EXCHANGE_KEEP_DAYS go; what waits, what is held, and a
partner's message a record names as the one that carried it stay, and nothing is ever pruned inside
the replay window."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lbt.core.settings import Settings, SettingsError
from lbt.exchange.inbox import MAX_AGE
from lbt.exchange.models import ExchangeRefusal, IncomingMessage, IncomingStatus, OutgoingMessage
from lbt.exchange.pruning import prune
from lbt.jobs.periodic import prune_exchange
from lbt.jobs.schedule import default_schedule
from lbt.representatives.models import Post, Representative
from tests.exchange.helpers import Partner, link_to

DAY = timedelta(days=1)


def _out(db, link, sequence: int, made, delivered) -> OutgoingMessage:  # type: ignore[no-untyped-def]
    row = OutgoingMessage(
        link_id=link.id,
        message_id=str(uuid.uuid4()),
        sequence=sequence,
        kind="exchange.key",
        kid="own",
        payload="{}",
        created_at=made,
        delivered_at=delivered,
    )
    db.add(row)
    return row


def _in(db, link, sequence: int, at, status=IncomingStatus.APPLIED) -> IncomingMessage:  # type: ignore[no-untyped-def]
    row = IncomingMessage(
        link_id=link.id,
        message_id=str(uuid.uuid4()),
        sequence=sequence,
        kind="exchange.key",
        sent_at=at,
        received_at=at,
        token="a.b.c",
        token_sha256="0" * 64,
        status=status,
        applied_at=at if status is IncomingStatus.APPLIED else None,
    )
    db.add(row)
    return row


def _left(db, model) -> set[int]:  # type: ignore[no-untyped-def]
    return set(db.scalars(select(model.id)))


def test_old_confirmed_and_applied_messages_and_refusals_go_and_the_rest_stays(db, clock, ref):
    link = link_to(db, ref.agreement, Partner("KG", "TJ", "TJ-KG"))
    now, old, recent = clock(), clock() - 100 * DAY, clock() - 10 * DAY
    sent_old = _out(db, link, 1, old, old + DAY)
    sent_recent = _out(db, link, 2, old, recent)  # delivered lately: kept
    waiting = _out(db, link, 3, old, None)  # never confirmed: kept whatever its age
    applied_old = _in(db, link, 1, old)
    named = _in(db, link, 2, old)  # the message a register entry was received in: the proof
    applied_recent = _in(db, link, 3, recent)
    held = _in(db, link, 5, old, IncomingStatus.HELD)
    db.add(
        Representative(
            section_id=ref.section.id,
            state_id=ref.kg.id,
            post=Post.BORDER_REPRESENTATIVE,
            full_name="Partner Chief",
            credentials_number="KG-1",
            appointed_from=date(2020, 1, 1),
            received_in=named.message_id,
        )
    )
    refused_old = ExchangeRefusal(link_id=link.id, reason="bad_signature", received_at=old)
    refused_recent = ExchangeRefusal(link_id=None, reason="malformed", received_at=recent)
    db.add_all([refused_old, refused_recent])
    db.flush()
    gone = (sent_old.id, applied_old.id)

    pruned = prune(db, now=now, keep=90 * DAY)

    assert (pruned.sent, pruned.received, pruned.refusals) == (1, 1, 1)
    db.expire_all()
    assert _left(db, OutgoingMessage) == {sent_recent.id, waiting.id}
    assert _left(db, IncomingMessage) == {named.id, applied_recent.id, held.id}
    assert _left(db, ExchangeRefusal) == {refused_recent.id}
    assert gone[0] not in _left(db, OutgoingMessage) and gone[1] not in _left(db, IncomingMessage)


def test_nothing_inside_the_replay_window_is_pruned_whatever_the_age_asked(db, clock, ref):
    link = link_to(db, ref.agreement, Partner("KG", "TJ", "TJ-KG"))
    inside = clock() - MAX_AGE + DAY  # a copy of it could still be offered and must be a duplicate
    kept = [_in(db, link, 1, inside), _out(db, link, 1, inside, inside)]
    db.flush()

    pruned = prune(db, now=clock(), keep=DAY)

    assert pruned.total == 0
    assert {row.id for row in kept} <= _left(db, IncomingMessage) | _left(db, OutgoingMessage)


def test_the_age_kept_is_a_setting_of_at_least_31_days(tmp_path):
    assert Settings.from_env(tmp_path, {"LBT_SECRET_KEY": "k" * 40}).exchange_keep_days == 90
    assert (
        Settings.from_env(
            tmp_path, {"LBT_SECRET_KEY": "k" * 40, "LBT_EXCHANGE_KEEP_DAYS": "400"}
        ).exchange_keep_days
        == 400
    )
    with pytest.raises(SettingsError, match="at least 31"):
        Settings.from_env(tmp_path, {"LBT_SECRET_KEY": "k" * 40, "LBT_EXCHANGE_KEEP_DAYS": "7"})


def test_the_daily_job_prunes_with_the_setting(app, db, clock, ref):
    link = link_to(db, ref.agreement, Partner("KG", "TJ", "TJ-KG"))
    _out(db, link, 1, clock() - 200 * DAY, clock() - 120 * DAY)
    _in(db, link, 1, clock() - 60 * DAY)  # younger than the 90 days kept by default
    db.commit()
    runtime = app.extensions["lbt"]
    (entry,) = [entry for entry in default_schedule(runtime.settings) if entry.name == "exchange_prune"]

    summary = entry.run(runtime, clock())

    assert summary is not None and dict(summary.params) == {"sent": 1, "received": 0, "refusals": 0}
    assert prune_exchange(runtime, clock()) is None  # nothing left to do: no job record
    assert len(_left(db, IncomingMessage)) == 1
