"""Signed checkpoints of the audit chain, kept outside the database.

The chain shows any change or removal inside it, but not the removal of its newest entries: a shorter
chain is still a valid chain. A checkpoint fixes how long the chain was at one moment (its head entry's
id and hash, and how many entries led up to it) in a compact JWS signed with the state's permit signing
key (ES256), so whoever holds a copy can later show that entries it counted are gone, or were replaced
by others, and nobody without the private key can make a checkpoint that agrees with a shortened log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from lbt.audit.models import GENESIS_HASH
from lbt.audit.services import VerifyResult, verify_chain
from lbt.permits.signing import KeyStore, SigningKey, TokenRejected, sign, verify

CHECKPOINT_TYP = "lbt-audit-checkpoint+jwt"
MAX_CHECKPOINT_BYTES = 4096  # a checkpoint is a few hundred bytes; anything larger is not one


class CheckpointRejected(Exception):
    """A file is not a genuine checkpoint of this state's audit log; the message says why."""


class ChainNotIntact(Exception):
    """The chain is broken already: a checkpoint would vouch for a tampered log."""

    def __init__(self, result: VerifyResult) -> None:
        self.result = result
        super().__init__(
            f"the audit log is broken at entry #{result.first_break.entry_id if result.first_break else '?'}"
        )


@dataclass(frozen=True)
class Checkpoint:
    """How long the chain was: ``entry_count`` entries, the last one ``head_entry_id`` with ``head_hash``."""

    head_hash: str
    entry_count: int
    head_entry_id: int | None
    made_at: datetime
    state: str

    def claims(self) -> dict[str, Any]:
        return {
            "head_hash": self.head_hash,
            "entry_count": self.entry_count,
            "head_entry_id": self.head_entry_id,
            "made_at": self.made_at.astimezone(UTC).isoformat(),
            "state": self.state,
        }


def make_checkpoint(
    session: Session, key: SigningKey, *, state: str, now: datetime, against: Sequence[Checkpoint] = ()
) -> tuple[Checkpoint, str]:
    """Verify the whole chain (and, ``against`` earlier checkpoints, that none of the entries they counted
    is gone), then sign where it ends; refuses (``ChainNotIntact``) a broken chain."""
    result = verify_chain(session, checkpoints=against)
    if not result.ok:
        raise ChainNotIntact(result)
    checkpoint = Checkpoint(
        head_hash=result.head_hash,
        entry_count=result.checked,
        head_entry_id=result.head_entry_id,
        made_at=now.astimezone(UTC),
        state=state,
    )
    return checkpoint, sign(checkpoint.claims(), key, CHECKPOINT_TYP)


def published_keys(store: KeyStore) -> dict[str, list[dict[str, str]]]:
    """Every key the store has recorded, retired ones too: an old checkpoint stays verifiable after a
    key rotation."""
    return {"keys": [dict(record.jwk) for record in store.public_keys()]}


def read_checkpoint(content: bytes, jwks: Mapping[str, Any], *, state: str) -> Checkpoint:
    """The checkpoint in a file, once its signature is checked against ``jwks`` and it is found to be
    of ``state``'s log."""
    if len(content) > MAX_CHECKPOINT_BYTES:
        raise CheckpointRejected("the file is too large to be a checkpoint")
    try:
        token = content.decode("ascii").strip()
    except UnicodeDecodeError:
        raise CheckpointRejected("not a checkpoint: a checkpoint file holds one line of ASCII") from None
    try:
        claims = verify(token, jwks, CHECKPOINT_TYP)
    except TokenRejected as error:
        raise CheckpointRejected(f"not a genuine checkpoint: {error}") from None
    return checkpoint_from_claims(claims, state=state)


def checkpoint_from_claims(claims: Mapping[str, Any], *, state: str) -> Checkpoint:
    """The checkpoint that verified claims describe (a checkpoint's own, or the audit anchor a signed
    report carries), once they are found to describe an audit chain of ``state``'s log."""
    try:
        head_hash = claims["head_hash"]
        entry_count = claims["entry_count"]
        head_entry_id = claims["head_entry_id"]
        made_at = datetime.fromisoformat(claims["made_at"])
        claims_state = claims["state"]
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointRejected(f"the checkpoint's claims are incomplete: {error!r}") from None
    valid = (
        isinstance(head_hash, str)
        and len(head_hash) == 64
        and isinstance(entry_count, int)
        and not isinstance(entry_count, bool)
        and entry_count >= 0
        and (
            head_entry_id is None or (isinstance(head_entry_id, int) and not isinstance(head_entry_id, bool))
        )
        and (entry_count == 0) == (head_entry_id is None)
        and (entry_count > 0 or head_hash == GENESIS_HASH)
        and made_at.tzinfo is not None
        and isinstance(claims_state, str)
    )
    if not valid:
        raise CheckpointRejected("the checkpoint's claims do not describe an audit chain")
    if claims_state != state:
        raise CheckpointRejected(f"the checkpoint is of the log of {claims_state!r}, not of {state!r}")
    return Checkpoint(head_hash, entry_count, head_entry_id, made_at.astimezone(UTC), claims_state)
