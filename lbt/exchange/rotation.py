"""The exchange's own message kind: a key rotation. The new public key travels in a message signed
with the old key, in the link's order, so the partner takes it exactly after every message signed
with the old key and before every message signed with the new one; nothing else replaces a pinned
key (a new key given by hand means a new link)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.core.errors import N_
from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.kinds import BodyRefused, Received, handles
from lbt.exchange.messages import KeyFileRejected, check_public_jwk
from lbt.exchange.models import ExchangeLink
from lbt.exchange.outbox import enqueue_on_link, kids_in_use, locked
from lbt.permits.signing import SigningKey

KEY_KIND = "exchange.key"


@handles(KEY_KIND)
def apply_key_rotation(session: Session, received: Received, body: dict[str, Any]) -> None:
    """Pin the partner's new exchange key: this message was verified with the old one."""
    try:
        jwk = check_public_jwk(body.get("jwk"))
    except KeyFileRejected as error:
        raise BodyRefused(N_("The announced key is not usable: %(problem)s"), problem=str(error)) from None
    received.link.partner_jwk = jwk
    received.link.partner_kid = jwk["kid"]


def rotate(session: Session, keys: ExchangeKeyStore, *, now: datetime) -> tuple[SigningKey, int]:
    """Make a new exchange key and, on every active link, announce it in a message signed with the
    link's current key; the link signs with the new key from the next message on. Returns the new
    key and how many links were told. The old key stays until the partner applied what it signed."""
    new = keys.add_key(now)
    links = session.scalars(
        select(ExchangeLink).where(ExchangeLink.is_active).order_by(ExchangeLink.id)
    ).all()
    for link in links:
        link = locked(session, link)
        enqueue_on_link(session, link, KEY_KIND, {"jwk": new.public_jwk()}, now=now)
        link.own_kid = new.kid
    session.flush()
    return new, len(links)


def retire_unused_keys(session: Session, keys: ExchangeKeyStore, *, now: datetime) -> list[str]:
    """Retire the exchange keys nothing needs any more (run after a sync)."""
    return keys.retire_unused(kids_in_use(session), now)
