"""The partner-facing side of the exchange (``/exchange/v1/...``, no login, no CSRF: every request is
authenticated by its signature alone): taking pushed messages and answering with a signed receipt,
and handing out what is queued for a partner that asks in a signed fetch request."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lbt.exchange.inbox import Outcome, find_link, receive, refuse
from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.messages import FETCH_TYP, RECEIPT_TYP, VERSION, peek, verify_with
from lbt.exchange.models import ExchangeLink
from lbt.exchange.outbox import (
    BATCH_MESSAGES,
    delivered_up_to,
    home_state_of,
    locked,
    queued,
    signed,
    trusted_kid,
)
from lbt.permits.signing import MalformedToken, TokenRejected, sign

MAX_PUSH = 100
REQUEST_WINDOW = timedelta(minutes=5)  # a fetch request is good this long either side of our clock


class LinkInactive(Exception):
    """The link a request names is deactivated here: nothing of the request is taken or stored, and
    the sender keeps its messages queued (answered 409, "link inactive")."""

    def __init__(self, link: ExchangeLink) -> None:
        super().__init__(link.agreement.code)
        self.agreement = link.agreement.code


def check_active(session: Session, tokens: Sequence[str]) -> None:
    """Raise ``LinkInactive`` when a request names (unverified, as it claims) a deactivated link."""
    for token in tokens:
        try:
            claimed = peek(token)
        except MalformedToken:
            continue
        link = find_link(session, claimed.get("agr"), claimed.get("from"))
        if link is not None and link.deactivated_at is not None:
            raise LinkInactive(link)


@dataclass(frozen=True)
class PushAnswer:
    results: list[dict[str, Any]]
    receipts: list[str]  # one signed receipt per link the messages came on


def accept_push(
    session: Session,
    tokens: Sequence[str],
    *,
    home_state: str,
    keys: ExchangeKeyStore,
    now: datetime,
    source: str,
) -> PushAnswer:
    """Receive each message in turn, then sign a receipt per link saying what became of its messages
    (``LinkInactive`` before anything is taken when one names a deactivated link)."""
    check_active(session, tokens)
    outcomes: list[tuple[ExchangeLink | None, Outcome]] = []
    for token in tokens:
        outcome = receive(session, token, home_state=home_state, now=now, source=source)
        link = None
        try:
            claimed = peek(token)
            link = find_link(session, claimed.get("agr"), claimed.get("from"))
        except MalformedToken:
            pass
        outcomes.append((link, outcome))
    session.flush()
    receipts = []
    for link in {link.id: link for link, _outcome in outcomes if link is not None}.values():
        results = [
            outcome.as_json() for other, outcome in outcomes if other is not None and other.id == link.id
        ]
        receipts.append(_signed_receipt(session, link, results, keys=keys, home_state=home_state, now=now))
    return PushAnswer([outcome.as_json() for _link, outcome in outcomes], receipts)


def _signed_receipt(
    session: Session,
    link: ExchangeLink,
    results: list[dict[str, Any]],
    *,
    keys: ExchangeKeyStore,
    home_state: str,
    now: datetime,
) -> str:
    claims = {
        "v": VERSION,
        "from": home_state,
        "to": link.partner_state,
        "agr": link.agreement.code,
        "iat": int(now.timestamp()),
        "in_seq": link.in_sequence,
        "results": results,
    }
    return sign(claims, keys.key(trusted_kid(session, link)), RECEIPT_TYP)


class FetchRefused(Exception):
    """A fetch request that is not genuine, not for us, or a replay (the reason is stored and logged)."""


@dataclass(frozen=True)
class FetchAnswer:
    messages: list[str]
    more: bool


def serve_fetch(
    session: Session, token: str, *, home_state: str, keys: ExchangeKeyStore, now: datetime, source: str
) -> FetchAnswer:
    """The messages queued for the partner after the number it says it applied (which confirms those);
    ``LinkInactive`` when the link it names is deactivated here (nothing handed out or recorded)."""
    check_active(session, [token])

    def refused(link: ExchangeLink | None, reason: str, detail: str) -> FetchRefused:
        refuse(
            session,
            link=link,
            reason=reason,
            detail=detail,
            token=token,
            source=source,
            payload={"kind": "fetch"},
        )
        return FetchRefused(f"{reason}: {detail}")

    try:
        claimed = peek(token)
    except MalformedToken as error:
        raise refused(None, "malformed", str(error)) from None
    link = find_link(session, claimed.get("agr"), claimed.get("from"))
    if link is None:
        raise refused(None, "unknown_link", "no active link for the agreement and sender it names")
    try:
        request = verify_with(token, link.partner_jwk, FETCH_TYP)
    except TokenRejected as error:
        raise refused(link, "wrong_key" if "kid" in str(error) else "bad_signature", str(error)) from None
    after, number, issued = request.get("after"), request.get("req"), request.get("iat")
    if not all(
        isinstance(value, int) and not isinstance(value, bool) and value >= 0
        for value in (after, number, issued)
    ):
        raise refused(link, "malformed", "after, req and iat must be whole numbers")
    if request.get("to") != home_state or request.get("from") != link.partner_state:
        raise refused(link, "wrong_recipient", "the request is not addressed to this instance")
    if abs(issued - now.timestamp()) > REQUEST_WINDOW.total_seconds():
        raise refused(link, "too_old", "the request's time is outside the replay window")
    link = locked(session, link)
    if number <= link.last_fetch_request:
        raise refused(link, "replayed", "a request with this number or a later one came before")
    link.last_fetch_request = number
    link.last_received_at = now
    delivered_up_to(session, link, after, now)
    waiting = queued(session, link, after=after)
    batch = signed(waiting, keys)
    session.flush()
    return FetchAnswer(
        [message.token or "" for message in batch],
        more=len(batch) < len(waiting) or len(waiting) >= BATCH_MESSAGES,
    )


def fetch_request(session: Session, link: ExchangeLink, *, keys: ExchangeKeyStore, now: datetime) -> str:
    """Our signed request for what the partner queued for us after what we applied."""
    claims = {
        "v": VERSION,
        "from": home_state_of(link),
        "to": link.partner_state,
        "agr": link.agreement.code,
        "iat": int(now.timestamp()),
        # strictly increasing: the partner refuses a number it has seen (a replayed request)
        "req": time.time_ns() // 1000,  # microseconds of this machine's clock
        "after": link.in_sequence,
    }
    return sign(claims, keys.key(trusted_kid(session, link)), FETCH_TYP)
