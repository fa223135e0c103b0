"""Withdrawn permits: the full list of this state's suspended, revoked, annulled and replaced permits
still inside their validity (queued at a link's first sync and once a day after), and a delta queued
in the very transaction of each change of a permit's status (``watch.py``). The partner keeps them
per permit number, with the status list's digest of the permit so its page at /v can say "withdrawn"
without the number being sent by the phone."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.core.errors import N_
from lbt.exchange.kinds import BodyRefused, Received, handles
from lbt.exchange.models import ExchangeLink, PartnerWithdrawal
from lbt.exchange.outbox import enqueue_on_link, locked
from lbt.permits.models import WITHDRAWN_STATUSES, Permit, PermitStatus
from lbt.permits.status_list import token_digest

LIST_KIND = "revocations.list"
DELTA_KIND = "revocations.delta"
MARK = "revocations_listed_at"
FULL_LIST_EVERY = timedelta(days=1)
LISTED = (*WITHDRAWN_STATUSES, PermitStatus.SUSPENDED)
_NUMBER = re.compile(r"[!-~]{1,20}")
_DIGEST = re.compile(r"[A-Za-z0-9_-]{0,22}")


def change_of(permit: Permit) -> dict[str, Any]:
    """What the partner is told of one permit's status (``active``: reinstated, no longer withdrawn)."""
    return {
        "number": permit.number,
        "status": permit.status.value,
        "changed_at": permit.status_changed_at.isoformat() if permit.status_changed_at else None,
        "valid_until": permit.valid_until.isoformat(),
        "digest": token_digest(permit.token) if permit.token else "",
    }


def queue_full_list(session: Session, link: ExchangeLink, *, now: datetime) -> bool:
    """Queue the whole list on ``link`` when none went out in the last day."""
    sent = (link.marks or {}).get(MARK)
    if sent and datetime.fromisoformat(sent) > now - FULL_LIST_EVERY:
        return False
    permits = session.scalars(
        select(Permit)
        .where(
            Permit.agreement_id == link.agreement_id,
            Permit.status.in_(LISTED),
            Permit.valid_until >= now.date(),
        )
        .order_by(Permit.number)
    )
    body = {"as_of": now.isoformat(), "withdrawn": [change_of(permit) for permit in permits]}
    link = locked(session, link)
    enqueue_on_link(session, link, LIST_KIND, body, now=now)
    link.marks = {**(link.marks or {}), MARK: now.isoformat()}
    return True


def _item(value: object) -> tuple[str, str, datetime | None, date | None, str]:
    if not isinstance(value, dict):
        raise BodyRefused(N_("A withdrawal must be a JSON object."))
    number, status, digest = value.get("number"), value.get("status"), value.get("digest") or ""
    if not isinstance(number, str) or not _NUMBER.fullmatch(number):
        raise BodyRefused(N_("A withdrawal names no usable permit number."))
    if status not in {*(status.value for status in LISTED), PermitStatus.ACTIVE.value}:
        raise BodyRefused(N_("A withdrawal has an unknown status."))
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise BodyRefused(N_("A withdrawal has a malformed digest."))
    try:
        changed = datetime.fromisoformat(value["changed_at"]) if value.get("changed_at") else None
        until = date.fromisoformat(value["valid_until"]) if value.get("valid_until") else None
    except (TypeError, ValueError):
        raise BodyRefused(N_("A withdrawal has a malformed date.")) from None
    if changed is not None and changed.tzinfo is None:
        raise BodyRefused(N_("A withdrawal has a malformed date."))
    return number, str(status), changed, until, digest


def _store(session: Session, received: Received, items: list[object]) -> set[str]:
    state = received.link.partner_state
    numbers = set()
    for value in items:
        number, status, changed, until, digest = _item(value)
        numbers.add(number)
        row = session.scalar(
            select(PartnerWithdrawal).where(
                PartnerWithdrawal.state == state, PartnerWithdrawal.permit_number == number
            )
        )
        if status == PermitStatus.ACTIVE.value:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = PartnerWithdrawal(link_id=received.link.id, state=state, permit_number=number)
            session.add(row)
        row.status, row.changed_at, row.valid_until, row.digest = status, changed, until, digest
    session.flush()
    return numbers


@handles(DELTA_KIND)
def apply_delta(session: Session, received: Received, body: dict[str, Any]) -> None:
    """Changes of status since the last message: withdrawals stored, reinstatements removed."""
    changes = body.get("changes")
    if not isinstance(changes, list) or not changes:
        raise BodyRefused(N_("The delta holds no changes."))
    _store(session, received, changes)


@handles(LIST_KIND)
def apply_list(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The partner's whole list: what it holds is stored, what it no longer holds is removed."""
    withdrawn = body.get("withdrawn")
    if not isinstance(withdrawn, list):
        raise BodyRefused(N_("The list of withdrawn permits is missing."))
    kept = _store(session, received, withdrawn)
    gone = session.scalars(
        select(PartnerWithdrawal).where(
            PartnerWithdrawal.link_id == received.link.id, PartnerWithdrawal.permit_number.not_in(kept)
        )
    )
    for row in gone:
        session.delete(row)  # one by one: each removal is audited


def withdrawal_of(session: Session, state: str, number: str) -> PartnerWithdrawal | None:
    return session.scalar(
        select(PartnerWithdrawal).where(
            PartnerWithdrawal.state == state, PartnerWithdrawal.permit_number == number
        )
    )


def withdrawn_digests(session: Session, today: date) -> dict[str, dict[str, str]]:
    """Per partner state, the status-list digests of its withdrawn permits still valid (for /v)."""
    result: dict[str, dict[str, str]] = {}
    for row in session.scalars(
        select(PartnerWithdrawal).where(
            PartnerWithdrawal.digest != "",
            (PartnerWithdrawal.valid_until.is_(None)) | (PartnerWithdrawal.valid_until >= today),
        )
    ):
        result.setdefault(row.state, {})[row.digest] = row.status
    return result
