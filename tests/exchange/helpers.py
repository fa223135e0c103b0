"""Messages as a partner instance would send them: signed with a key the test holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lbt.exchange.messages import MESSAGE_TYP, exchange_jwks
from lbt.exchange.models import ExchangeLink
from lbt.permits.signing import SigningKey, new_private_key, sign
from lbt.reference.models import Agreement


@dataclass
class Partner:
    """The partner's side of a link: its state, its exchange key, its numbering."""

    state: str
    recipient: str
    agreement: str
    key: SigningKey = field(default_factory=lambda: SigningKey.of(new_private_key()))
    sequence: int = 0

    def key_file(self) -> bytes:
        import json

        return json.dumps(exchange_jwks(self.key)).encode()

    def message(
        self,
        kind: str,
        body: dict[str, Any],
        *,
        now: datetime,
        sequence: int | None = None,
        key: SigningKey | None = None,
        **changes: Any,
    ) -> str:
        if sequence is None:
            self.sequence += 1
            sequence = self.sequence
        payload = {
            "v": 1,
            "id": str(uuid.uuid4()),
            "from": self.state,
            "to": self.recipient,
            "agr": self.agreement,
            "seq": sequence,
            "iat": int(now.timestamp()),
            "kind": kind,
            "body": body,
            **changes,
        }
        return sign(payload, key or self.key, MESSAGE_TYP)


def link_to(db: Session, agreement: Agreement, partner: Partner, *, own_kid: str = "own") -> ExchangeLink:
    jwk = partner.key.public_jwk()
    link = ExchangeLink(
        agreement_id=agreement.id,
        partner_state=partner.state,
        partner_url="https://partner.example",
        partner_kid=jwk["kid"],
        partner_jwk=jwk,
        own_kid=own_kid,
        marks={},
    )
    db.add(link)
    db.flush()
    return link
