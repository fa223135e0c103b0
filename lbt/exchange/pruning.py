"""Pruning the exchange's transport rows (the daily job ``exchange_prune`` and ``lbt exchange prune``):
our messages the partner confirmed, the partner's messages applied here, and the refusal log, once
they are older than ``LBT_EXCHANGE_KEEP_DAYS`` (90 days by default, never less than 31).

What is never pruned: a message not yet confirmed (the outbox) or held for an earlier one (the inbox),
whatever its age; and a message of the partner that a record names as the one that carried it (a head
of delegation's approval given on the partner's instance, a register entry it sent, a change refused
on a shared meeting): its signed text is the proof of what the partner said. The replay window
(``inbox.MAX_AGE``, 30 days) is shorter than any age kept, so a message pruned here can no longer be
offered again: a copy is refused as ``too_old`` before its id is looked up. The change a message told
about is in the audit log, not in these rows (they are transport, not audited row by row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, union
from sqlalchemy.orm import Session

from lbt.exchange.inbox import CLOCK_SKEW, MAX_AGE
from lbt.exchange.models import ExchangeRefusal, IncomingMessage, IncomingStatus, OutgoingMessage

SHORTEST_KEEP = MAX_AGE + CLOCK_SKEW


@dataclass(frozen=True)
class Pruned:
    sent: int  # our messages the partner confirmed
    received: int  # the partner's messages applied here
    refusals: int  # refused messages and fetch requests

    @property
    def total(self) -> int:
        return self.sent + self.received + self.refusals


def _named_by_records():  # type: ignore[no-untyped-def]
    """The ids of the partner's messages that records name as the ones that carried them."""
    from lbt.representatives.models import ProtocolApproval, RefusedChange, Representative

    return union(
        select(ProtocolApproval.message_id).where(ProtocolApproval.message_id != ""),
        select(Representative.received_in).where(Representative.received_in != ""),
        select(RefusedChange.message_id),
    )


def prune(session: Session, *, now: datetime, keep: timedelta) -> Pruned:
    """Delete what is older than ``keep`` (at least the replay window) and no longer needed."""
    before = now - max(keep, SHORTEST_KEEP)
    sent = session.execute(
        delete(OutgoingMessage)
        .where(OutgoingMessage.delivered_at.is_not(None), OutgoingMessage.delivered_at < before)
        .execution_options(synchronize_session=False)
    )
    received = session.execute(
        delete(IncomingMessage)
        .where(
            IncomingMessage.status == IncomingStatus.APPLIED,
            IncomingMessage.applied_at < before,
            IncomingMessage.sent_at < before,
            IncomingMessage.message_id.not_in(_named_by_records()),
        )
        .execution_options(synchronize_session=False)
    )
    refusals = session.execute(
        delete(ExchangeRefusal)
        .where(ExchangeRefusal.received_at < before)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return Pruned(
        int(getattr(sent, "rowcount", 0) or 0),
        int(getattr(received, "rowcount", 0) or 0),
        int(getattr(refusals, "rowcount", 0) or 0),
    )
