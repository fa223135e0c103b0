"""The trust list: this state's permit-signing keys (its published JWK Set), sent over the link when it
changes, and stored on the partner's side as the keys of this state's genuine permits.

A sync checks, before it sends anything, whether the published set differs from the one last sent on
the link and queues it if so; a rotation (``lbt keys rotate``) therefore reaches the partner at the
next sync, in the link's order, which docs/exchange.md asks operators to let happen before a card
signed with the new key is handed out."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.core.errors import N_
from lbt.exchange.kinds import BodyRefused, Received, handles
from lbt.exchange.messages import KeyFileRejected, check_public_jwk
from lbt.exchange.models import ExchangeLink, PartnerSigningKey
from lbt.exchange.outbox import enqueue_on_link, locked
from lbt.permits.services import published_jwks
from lbt.permits.signing import KeyStore, canonical_json

TRUST_KIND = "trust.jwks"
MARK = "trust_list"
MAX_KEYS = 50


def queue_trust_list(session: Session, link: ExchangeLink, keys: KeyStore, *, now: datetime) -> bool:
    """Queue the published permit-signing keys on ``link`` when they differ from those last sent."""
    jwks = {"keys": [dict(key) for key in published_jwks(session, keys, now.date())["keys"]]}
    digest = hashlib.sha256(canonical_json(jwks)).hexdigest()
    if (link.marks or {}).get(MARK) == digest:
        return False
    link = locked(session, link)
    enqueue_on_link(session, link, TRUST_KIND, {"jwks": jwks}, now=now)
    link.marks = {**(link.marks or {}), MARK: digest}
    return True


@handles(TRUST_KIND)
def apply_trust_list(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The partner's current permit-signing keys: new ones are added, those no longer listed are
    marked withdrawn (a permit signed with one no longer verifies as genuine), listed ones restored."""
    keys = (body.get("jwks") or {}).get("keys") if isinstance(body.get("jwks"), dict) else None
    if not isinstance(keys, list) or not keys or len(keys) > MAX_KEYS:
        raise BodyRefused(N_("The trust list holds no keys."))
    try:
        listed = {jwk["kid"]: jwk for jwk in (check_public_jwk(key) for key in keys)}
    except KeyFileRejected as error:
        raise BodyRefused(
            N_("The trust list holds a key that is not usable: %(problem)s"), problem=str(error)
        ) from None
    state = received.link.partner_state
    stored = {
        key.kid: key
        for key in session.scalars(select(PartnerSigningKey).where(PartnerSigningKey.state == state))
    }
    for kid, jwk in listed.items():
        if kid in stored:
            stored[kid].withdrawn_at = None
        else:
            session.add(PartnerSigningKey(link_id=received.link.id, state=state, kid=kid, jwk=jwk))
    for kid, key in stored.items():
        if kid not in listed and key.withdrawn_at is None:
            key.withdrawn_at = received.now
    session.flush()
    from lbt.exchange.reporting import check_waiting_reports  # reporting needs this module's keys

    check_waiting_reports(session, received)


def partner_key(session: Session, kid: str) -> PartnerSigningKey | None:
    """The partner's permit-signing key ``kid`` when its latest trust list holds it."""
    return session.scalar(
        select(PartnerSigningKey).where(
            PartnerSigningKey.kid == kid, PartnerSigningKey.withdrawn_at.is_(None)
        )
    )


def partner_key_sets(session: Session) -> dict[str, dict[str, list[dict[str, str]]]]:
    """Per partner state, its current permit-signing keys as a JWK Set (for the page at /v)."""
    sets: dict[str, dict[str, list[dict[str, str]]]] = {}
    for key in session.scalars(
        select(PartnerSigningKey)
        .where(PartnerSigningKey.withdrawn_at.is_(None))
        .order_by(PartnerSigningKey.id)
    ):
        sets.setdefault(key.state, {"keys": []})["keys"].append(dict(key.jwk))
    return sets
