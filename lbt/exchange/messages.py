"""The exchange's wire format (docs/exchange.md): every message, receipt and fetch request is a JSON
object in a compact JWS (RFC 7515), ES256, signed with the sending instance's exchange key, each with
its own ``typ`` so none can pass for another (or for a permit, which uses other keys anyway)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm

from lbt.permits.signing import (
    ALGORITHM,
    MalformedToken,
    SigningKey,
    TokenRejected,
    canonical_json,
    sign,
    thumbprint,
    verify,
)

MESSAGE_TYP = "lbt-exchange+jws"
RECEIPT_TYP = "lbt-exchange-receipt+jws"
FETCH_TYP = "lbt-exchange-fetch+jws"
VERSION = 1
MAX_TOKEN_CHARS = 8 * 1024 * 1024  # a six-monthly report with its signature fits
KIND_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")  # "revocations.delta"
_STATE_RE = re.compile(r"[A-Z]{2}")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_MAX_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z


class MessageMalformed(MalformedToken):
    """The signed object is not a message of this format (a claim missing or of the wrong type)."""


def _integer(payload: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise MessageMalformed(f"{name!r} must be a whole number from {low} to {high}")
    return value


def _text(payload: Mapping[str, Any], name: str, pattern: re.Pattern[str] | None, max_length: int) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise MessageMalformed(f"{name!r} must be a non-empty string of at most {max_length} characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise MessageMalformed(f"{name!r} is not in the expected form")
    if not value.isascii() or not value.isprintable():
        raise MessageMalformed(f"{name!r} must be printable ASCII")
    return value


def _moment(payload: Mapping[str, Any], name: str) -> datetime:
    return datetime.fromtimestamp(_integer(payload, name, 0, _MAX_NUMERIC_DATE), UTC)


@dataclass(frozen=True)
class Envelope:
    """Who sends what to whom: the members every message has besides its body."""

    message_id: str
    sender: str
    recipient: str
    agreement: str
    sequence: int
    sent_at: datetime
    kind: str

    @classmethod
    def new(
        cls, *, sender: str, recipient: str, agreement: str, sequence: int, now: datetime, kind: str
    ) -> Envelope:
        return cls(
            str(uuid.uuid4()), sender, recipient, agreement, sequence, now.replace(microsecond=0), kind
        )


@dataclass(frozen=True)
class Message:
    envelope: Envelope
    body: dict[str, Any]

    def to_payload(self) -> dict[str, Any]:
        e = self.envelope
        return {
            "v": VERSION,
            "id": e.message_id,
            "from": e.sender,
            "to": e.recipient,
            "agr": e.agreement,
            "seq": e.sequence,
            "iat": int(e.sent_at.timestamp()),
            "kind": e.kind,
            "body": self.body,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Message:
        if payload.get("v") != VERSION:
            raise MessageMalformed(f"'v' must be {VERSION}")
        body = payload.get("body")
        if not isinstance(body, dict):
            raise MessageMalformed("'body' must be a JSON object")
        envelope = Envelope(
            message_id=_text(payload, "id", _UUID_RE, 36),
            sender=_text(payload, "from", _STATE_RE, 2),
            recipient=_text(payload, "to", _STATE_RE, 2),
            agreement=_text(payload, "agr", None, 40),
            sequence=_integer(payload, "seq", 1, 2**53),
            sent_at=_moment(payload, "iat"),
            kind=_text(payload, "kind", KIND_RE, 60),
        )
        return cls(envelope, body)


def payload_text(message: Message) -> str:
    """The canonical JSON of a message: what is stored in the outbox and what the JWS signs."""
    return canonical_json(message.to_payload()).decode("utf-8")


def sign_payload(payload: str, key: SigningKey, typ: str = MESSAGE_TYP) -> str:
    return sign(json.loads(payload), key, typ)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _b64_json(part: str) -> Any:
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(raw.decode("utf-8"))


def peek(token: str) -> dict[str, Any]:
    """The payload as it claims to be, NOT verified: only to find the link whose key verifies it."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise MalformedToken("not a compact JWS")
    try:
        payload = _b64_json(token.split(".")[1])
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedToken("the payload is not base64url JSON") from None
    if not isinstance(payload, dict):
        raise MalformedToken("the payload is not a JSON object")
    return payload


def key_set(jwk: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"keys": [dict(jwk)]}


def verify_with(token: str, jwk: Mapping[str, Any], typ: str) -> dict[str, Any]:
    """The payload of a token signed with the one key ``jwk`` (raises ``TokenRejected`` otherwise)."""
    return verify(token, key_set(jwk), typ)


def read_message(token: str, jwk: Mapping[str, Any]) -> Message:
    return Message.from_payload(verify_with(token, jwk, MESSAGE_TYP))


# --- the public key a partner pins ------------------------------------------------------------------


class KeyFileRejected(ValueError):
    """A partner's key file does not hold exactly one ES256 public key."""


def exchange_jwks(key: SigningKey) -> dict[str, list[dict[str, str]]]:
    """What ``lbt exchange key`` writes: a JWK Set with this instance's exchange public key."""
    return {"keys": [key.public_jwk()]}


def check_public_jwk(value: object) -> dict[str, str]:
    """A public P-256 JWK as pinned (RFC 7517/7518), its ``kid`` the RFC 7638 thumbprint."""
    if not isinstance(value, dict):
        raise KeyFileRejected("a key must be a JSON object (a JWK)")
    if "d" in value:
        raise KeyFileRejected("this is a private key: hand over the public key only (lbt exchange key)")
    if value.get("kty") != "EC" or value.get("crv") != "P-256":
        raise KeyFileRejected("the key must be an EC P-256 key (ES256)")
    if value.get("alg", ALGORITHM) != ALGORITHM or value.get("use", "sig") != "sig":
        raise KeyFileRejected("the key must be an ES256 signing key")
    coordinates = {name: value.get(name) for name in ("x", "y")}
    if not all(
        isinstance(part, str) and re.fullmatch(r"[A-Za-z0-9_-]{43}", part) for part in coordinates.values()
    ):
        raise KeyFileRejected("the key's x and y must be 32-byte base64url coordinates")
    jwk = {"kty": "EC", "crv": "P-256", "x": str(coordinates["x"]), "y": str(coordinates["y"])}
    kid = thumbprint(jwk)
    if value.get("kid", kid) != kid:
        raise KeyFileRejected("the key's kid is not its RFC 7638 thumbprint")
    try:  # the point must be on the curve: PyJWT refuses it otherwise
        verify_probe(jwk)
    except (ValueError, jwt.PyJWTError) as error:
        raise KeyFileRejected(f"the key is not a usable P-256 public key: {error}") from None
    return {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}


def verify_probe(jwk: Mapping[str, str]) -> None:
    ECAlgorithm.from_jwk(json.dumps(dict(jwk)))


def read_key_file(content: bytes) -> dict[str, str]:
    """The one public key in a partner's key file: a JWK Set of one key (as ``lbt exchange key``
    writes it) or a bare JWK."""
    if len(content) > 64 * 1024:
        raise KeyFileRejected("the file is too large to be a key")
    try:
        document = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise KeyFileRejected("the file is not JSON (a JWK Set)") from None
    if isinstance(document, dict) and "keys" in document:
        keys = document["keys"]
        if not isinstance(keys, list) or len(keys) != 1:
            raise KeyFileRejected("the JWK Set must hold exactly one key")
        return check_public_jwk(keys[0])
    return check_public_jwk(document)


__all__ = [
    "FETCH_TYP",
    "MESSAGE_TYP",
    "RECEIPT_TYP",
    "Envelope",
    "KeyFileRejected",
    "Message",
    "MessageMalformed",
    "TokenRejected",
    "check_public_jwk",
    "exchange_jwks",
    "payload_text",
    "peek",
    "read_key_file",
    "read_message",
    "sign_payload",
    "token_digest",
    "verify_with",
]
