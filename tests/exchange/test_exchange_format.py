"""The test vector of docs/exchange.md stays true: its JWS verifies with its key file, is signed by its
private key, carries exactly its header and payload, and reads as a message of the format."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from lbt.exchange.messages import (
    MESSAGE_TYP,
    Message,
    payload_text,
    read_key_file,
    read_message,
    sign_payload,
)
from lbt.permits.signing import SigningKey, load_private_key, verify

DOC = Path(__file__).resolve().parents[2] / "docs" / "exchange.md"
VECTOR_RE = re.compile(r"<!-- test-vector:([a-z-]+) -->\s*```[a-z]*\n(.*?)```", re.DOTALL)


def _vectors() -> dict[str, str]:
    return {name: text.strip() for name, text in VECTOR_RE.findall(DOC.read_text(encoding="utf-8"))}


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_the_documented_message_verifies_with_the_documented_key_file():
    vectors = _vectors()
    jwk = read_key_file(vectors["jwks"].encode())

    message = read_message(vectors["jws"], jwk)

    assert message.to_payload() == json.loads(vectors["payload"])
    assert message.envelope.kind == "revocations.delta" and message.envelope.sequence == 7


def test_the_documented_header_and_payload_are_those_signed():
    vectors = _vectors()
    header, payload, _signature = vectors["jws"].split(".")

    assert json.loads(_unb64(header)) == json.loads(vectors["header"])
    assert _unb64(header) == vectors["header"].encode()  # sorted, no whitespace
    # the signed payload is the canonical form of the shown one
    assert _unb64(payload).decode() == payload_text(Message.from_payload(json.loads(vectors["payload"])))


def test_the_documented_private_key_is_the_one_of_the_key_file():
    vectors = _vectors()
    key = SigningKey.of(load_private_key(vectors["private-key"], "docs/exchange.md"))
    jwk = read_key_file(vectors["jwks"].encode())
    assert key.public_jwk() == jwk
    # and signing the payload again gives another, equally valid JWS
    again = sign_payload(_unb64(vectors["jws"].split(".")[1]).decode(), key)
    assert again != vectors["jws"]
    assert verify(again, {"keys": [jwk]}, MESSAGE_TYP) == json.loads(vectors["payload"])
