"""One sync of every link: queue what the producers find changed, push what is queued (the partner
answers with a signed receipt), then fetch what the partner queued for us. No transaction is open
while a request is under way; each step commits on its own, so a link that drops mid-way loses
nothing (what was not confirmed is offered again, what was received is applied once).

``sync_all`` is what ``lbt exchange sync`` and the background worker (every minute) call; it needs no
Flask app, only the database, the settings and the exchange keys."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from lbt.audit.models import AuditActor
from lbt.core.db import Database
from lbt.core.settings import Settings
from lbt.exchange.inbox import receive
from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.kinds import producers
from lbt.exchange.messages import RECEIPT_TYP, verify_with
from lbt.exchange.models import ExchangeLink
from lbt.exchange.outbox import delivered, delivered_up_to, due, failed, postponed, queued, signed
from lbt.exchange.rotation import retire_unused_keys
from lbt.exchange.server import fetch_request
from lbt.exchange.trust import queue_trust_list
from lbt.exchange.withdrawals import queue_full_list
from lbt.permits.signing import KEYS_FOLDER, SIGNING_KEY_ENV, KeyStore, SigningKeyError, TokenRejected

log = logging.getLogger(__name__)

INBOX_PATH = "/exchange/v1/inbox"
FETCH_PATH = "/exchange/v1/fetch"
TIMEOUT_SECONDS = 30
MAX_FETCH_ROUNDS = 20
SYNC_ACTOR = AuditActor(None, "exchange", "sync")


@dataclass
class LinkSync:
    """What one sync did on one link."""

    agreement: str
    partner: str
    confirmed: int = 0  # our messages the partner confirmed it applied
    applied: int = 0  # the partner's messages applied here
    held: int = 0  # the partner's messages held for an earlier one
    refused: int = 0  # messages refused (ours by the partner, or theirs here)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def new_client() -> httpx.Client:
    return httpx.Client(
        timeout=TIMEOUT_SECONDS, follow_redirects=False, headers={"User-Agent": "lbt-exchange/1"}
    )


def sync_all(
    database: Database,
    settings: Settings,
    *,
    keys: ExchangeKeyStore | None = None,
    permit_keys: KeyStore | None = None,
    clock: Callable[[], datetime] | None = None,
    client: httpx.Client | None = None,
) -> list[LinkSync]:
    """Sync every link not deactivated once (see the module's docstring); a failing link does not stop
    the others."""
    keys = keys or ExchangeKeyStore.of_instance(settings.instance_path)
    permit_keys = permit_keys or KeyStore.from_env(
        settings.instance_path / KEYS_FOLDER, {SIGNING_KEY_ENV: settings.signing_key_pem}
    )
    clock = clock or database.clock
    with database.transaction(SYNC_ACTOR) as session:
        link_ids = list(
            session.scalars(
                select(ExchangeLink.id)
                .where(ExchangeLink.is_active, ExchangeLink.deactivated_at.is_(None))
                .order_by(ExchangeLink.id)
            )
        )
    own_client = client is None
    http = client or new_client()
    try:
        results = [
            _sync_link(database, settings, keys, permit_keys, clock, http, link_id) for link_id in link_ids
        ]
    finally:
        if own_client:
            http.close()
    with database.transaction(SYNC_ACTOR) as session:
        retire_unused_keys(session, keys, now=clock())
    return results


def _sync_link(
    database: Database,
    settings: Settings,
    keys: ExchangeKeyStore,
    permit_keys: KeyStore,
    clock: Callable[[], datetime],
    http: httpx.Client,
    link_id: int,
) -> LinkSync:
    with database.transaction(SYNC_ACTOR) as session:
        link = session.get_one(ExchangeLink, link_id)
        result = LinkSync(link.agreement.code, link.partner_state)
        # the trust list first: a rotated permit key goes out before anything queued after it
        queue_trust_list(session, link, permit_keys, now=clock())
        queue_full_list(session, link, now=clock())
        for producer in producers():
            producer(session, link, clock())
    for step in (_push, _fetch):
        try:
            step(database, settings, keys, clock, http, link_id, result)
        except (httpx.HTTPError, ValueError, TokenRejected, SigningKeyError) as error:
            result.errors.append(f"{step.__name__.strip('_')}: {_describe(error)}")
    with database.transaction(SYNC_ACTOR) as session:
        link = session.get_one(ExchangeLink, link_id)
        if result.errors:
            link.last_error = "; ".join(result.errors)[:1000]
            link.last_error_at = clock()
            log.warning("exchange: sync of %s with %s: %s", result.agreement, result.partner, link.last_error)
        else:
            link.last_error = ""
    return result


def _describe(error: Exception) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "the partner did not answer in time"
    if isinstance(error, httpx.TransportError):
        return f"the partner cannot be reached ({type(error).__name__})"
    if isinstance(error, httpx.HTTPStatusError) and error.response.status_code == 429:
        seconds = int(retry_after(error.response).total_seconds())
        return f"the partner asks to wait {seconds} s (too many requests); tried again then"
    if isinstance(error, httpx.HTTPStatusError):
        return f"the partner answered {error.response.status_code}: {_reason(error.response)}"
    return str(error) or type(error).__name__


def retry_after(response: httpx.Response) -> timedelta:
    """The wait a 429 asks for (its Retry-After in seconds; a minute when it names none we read)."""
    value = response.headers.get("Retry-After", "").strip()
    return timedelta(seconds=int(value)) if value.isdigit() and len(value) < 7 else timedelta(minutes=1)


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    return (
        str(body.get("error") or response.reason_phrase)[:300]
        if isinstance(body, dict)
        else response.reason_phrase
    )


def _push(
    database: Database,
    settings: Settings,
    keys: ExchangeKeyStore,
    clock: Callable[[], datetime],
    http: httpx.Client,
    link_id: int,
    result: LinkSync,
) -> None:
    """Offer the oldest queued messages (in order, in one request) when their wait is over."""
    with database.transaction(SYNC_ACTOR) as session:
        link = session.get_one(ExchangeLink, link_id)
        waiting = queued(session, link)
        if not due(waiting, clock()):
            return
        batch = signed(waiting, keys)
        tokens = [message.token for message in batch]
        url, partner_jwk, code = link.partner_url + INBOX_PATH, dict(link.partner_jwk), link.agreement.code
    try:
        response = http.post(url, json={"messages": tokens})
        response.raise_for_status()
        receipt = _receipt(response, partner_jwk, settings.home_state, code)
    except httpx.HTTPStatusError as error:
        with database.transaction(SYNC_ACTOR) as session:
            waiting = queued(session, session.get_one(ExchangeLink, link_id))
            if error.response.status_code == 429:  # the partner's rate limit: try later, as it says
                postponed(waiting, retry_after(error.response), _describe(error), clock())
            else:
                failed(waiting, _describe(error), clock())
        raise
    except (httpx.HTTPError, ValueError, TokenRejected) as error:
        with database.transaction(SYNC_ACTOR) as session:
            failed(queued(session, session.get_one(ExchangeLink, link_id)), _describe(error), clock())
        raise
    outcomes = {item.get("id"): item for item in receipt.get("results", []) if isinstance(item, dict)}
    with database.transaction(SYNC_ACTOR) as session:
        link = session.get_one(ExchangeLink, link_id)
        now = clock()
        confirmed = [
            message_id
            for message_id, item in outcomes.items()
            if item.get("status") in ("applied", "duplicate")
        ]
        result.confirmed += delivered(session, link, [str(message_id) for message_id in confirmed], now)
        in_sequence = receipt.get("in_seq")
        if isinstance(in_sequence, int) and not isinstance(in_sequence, bool):
            result.confirmed += delivered_up_to(session, link, in_sequence, now)
        refusals = [item for item in outcomes.values() if item.get("status") == "refused"]
        if refusals:
            result.refused += len(refusals)
            reasons = sorted({str(item.get("reason", "?")) for item in refusals})
            error = f"the partner refused {len(refusals)} message(s): {', '.join(reasons)}"
            failed(queued(session, link), error, now)
            result.errors.append(f"push: {error}")


def _receipt(
    response: httpx.Response, partner_jwk: dict[str, Any], home_state: str, code: str
) -> dict[str, Any]:
    """The receipt of our link in the answer, once its signature is checked with the partner's key."""
    body = response.json()
    receipts = body.get("receipts") if isinstance(body, dict) else None
    if not isinstance(receipts, list):
        raise ValueError("the partner's answer holds no receipts")
    for token in receipts:
        if not isinstance(token, str):
            continue
        claims = verify_with(token, partner_jwk, RECEIPT_TYP)
        if claims.get("to") == home_state and claims.get("agr") == code:
            return claims
    raise ValueError("the partner's answer holds no receipt for this link")


def _fetch(
    database: Database,
    settings: Settings,
    keys: ExchangeKeyStore,
    clock: Callable[[], datetime],
    http: httpx.Client,
    link_id: int,
    result: LinkSync,
) -> None:
    """Ask for what the partner queued after what we applied, until it says there is no more."""
    for _round in range(MAX_FETCH_ROUNDS):
        with database.transaction(SYNC_ACTOR) as session:
            link = session.get_one(ExchangeLink, link_id)
            request = fetch_request(session, link, keys=keys, now=clock())
            url = link.partner_url + FETCH_PATH
        response = http.post(url, content=request, headers={"Content-Type": "application/jose"})
        response.raise_for_status()
        body = response.json()
        tokens = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(tokens, list):
            raise ValueError("the partner's answer holds no list of messages")
        progressed = False
        for token in tokens:
            with database.transaction(SYNC_ACTOR) as session:
                outcome = receive(
                    session, str(token), home_state=settings.home_state, now=clock(), source="fetch"
                )
            if outcome.status == "applied":
                result.applied += 1
                progressed = True
            elif outcome.status == "held":
                result.held += 1
            elif outcome.status == "refused":
                result.refused += 1
                result.errors.append(
                    f"fetch: refused the partner's message {outcome.sequence} ({outcome.reason})"
                )
        if not body.get("more") or not progressed:
            return
