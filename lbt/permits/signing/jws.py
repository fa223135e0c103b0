"""Compact JWS (RFC 7515) with ES256: signing, verifying against a published JWK Set, the QR URL."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from lbt.permits.signing.common import (
    _COMPACT_JWS,
    _JWS,
    ALGORITHM,
    MAX_QR_TEXT,
    QR_PATH,
    InvalidSignature,
    MalformedToken,
    UnknownKey,
)
from lbt.permits.signing.keys import SigningKey


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same claims always give the same, smallest payload."""
    return json.dumps(
        dict(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode()


def sign(claims: Mapping[str, Any], key: SigningKey, typ: str) -> str:
    """A compact JWS (RFC 7515 §7.1) with ES256, ``kid`` and an explicit ``typ`` (RFC 8725 §3.11)
    in the protected header."""
    if not typ:
        raise ValueError("typ must name what is signed, e.g. PERMIT_TYP")
    headers = {"kid": key.kid, "typ": typ}
    return _JWS.encode(canonical_json(claims), key.private_key, algorithm=ALGORITHM, headers=headers)


def _media_type(value: str) -> str:
    """RFC 7515 §4.1.9: ``typ`` compares case-insensitively, with an omitted ``application/``."""
    lowered = value.lower()
    return lowered if "/" in lowered else f"application/{lowered}"


def _check_header(header: Mapping[str, Any], expected_typ: str) -> str:
    if header.get("alg") != ALGORITHM:  # never "none", never an HMAC with the public key as secret
        raise MalformedToken(f"alg {header.get('alg')!r} is not allowed: only {ALGORITHM}")
    if "crit" in header or "b64" in header:
        raise MalformedToken("critical header extensions are not understood (RFC 7515 §4.1.11)")
    typ = header.get("typ")
    if not isinstance(typ, str) or _media_type(typ) != _media_type(expected_typ):
        raise MalformedToken(f"typ {typ!r} is not {expected_typ!r}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise MalformedToken("the header names no key (kid)")
    return kid


class JwkSet(dict[str, Any]):
    """A JWK Set (a plain dict when sent as JSON) that parses its keys once: a set kept in memory
    (``published_jwks``) checks each scanned code without building the keys again."""

    _parsed: jwt.PyJWKSet | None = None

    def parsed(self) -> jwt.PyJWKSet:
        if self._parsed is None:
            self._parsed = jwt.PyJWKSet.from_dict(dict(self))
        return self._parsed


def _published_key(jwks_dict: Mapping[str, Any], kid: str) -> jwt.PyJWK:
    try:
        parsed = (
            jwks_dict.parsed() if isinstance(jwks_dict, JwkSet) else jwt.PyJWKSet.from_dict(dict(jwks_dict))
        )
        key = parsed[kid]
    except (jwt.PyJWKSetError, KeyError):
        raise UnknownKey(f"no published key has kid {kid!r}") from None
    usable = key.algorithm_name == ALGORITHM and key.public_key_use in (None, "sig")
    if not usable or not isinstance(key.key, ec.EllipticCurvePublicKey) or key.key.curve.name != "secp256r1":
        raise UnknownKey(f"the published key {kid!r} is not an ES256 signing key")
    return key


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """RFC 7515 §5.2 allows rejecting duplicate member names; two values for one claim are a trick."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member names")
    return result


def _segment(part: str) -> bytes:
    """One base64url part of a compact JWS (its characters checked by ``_COMPACT_JWS`` already)."""
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (ValueError, binascii.Error) as error:
        raise MalformedToken(f"a part of the JWS is not base64url: {error}") from None


def _json_object(part: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_segment(part), object_pairs_hook=_reject_duplicates)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise MalformedToken(f"the {what} is not a JSON object: {error}") from None
    if not isinstance(value, dict):
        raise MalformedToken(f"the {what} is not a JSON object")
    return value


def verify(token: str, jwks_dict: Mapping[str, Any], expected_typ: str) -> dict[str, Any]:
    """Check a compact JWS against a JWK Set only and return its payload; nothing time-based.

    The header is read first and alone (``alg`` must be ES256, the key is the published one its
    ``kid`` names); the signature over the first two parts is then checked with PyJWT's ES256
    algorithm (the raw ``r || s`` of RFC 7518 §3.4); only a genuine payload is parsed. PyJWT's
    ``decode_complete`` did the same with each part decoded twice and checked character by
    character, a scan's largest cost after its SQL."""
    if not isinstance(token, str) or not _COMPACT_JWS.fullmatch(token):
        raise MalformedToken("not a compact JWS: three base64url parts separated by dots")
    header_part, payload_part, signature_part = token.split(".")
    key = _published_key(jwks_dict, _check_header(_json_object(header_part, "JWS header"), expected_typ))
    signing_input = f"{header_part}.{payload_part}".encode("ascii")
    if not key.Algorithm.verify(signing_input, key.key, _segment(signature_part)):
        raise InvalidSignature("the signature does not match: the token was changed or forged")
    return _json_object(payload_part, "payload")


# --- the QR code ------------------------------------------------------------------------------


def qr_url(public_url: str, token: str) -> str:
    """The JWS rides in the fragment, which a browser never sends to a server (RFC 3986 §3.5)."""
    return f"{public_url.rstrip('/')}{QR_PATH}#{token}"


def token_from_qr(text: str) -> str:
    """The JWS of a scanned ``<public URL>/v#<JWS>``, or of a bare JWS. Any host is accepted: the
    signature, not the address, makes a permit genuine."""
    candidate = text.strip()
    if len(candidate) > MAX_QR_TEXT:
        raise MalformedToken("longer than any QR code can hold")
    if "#" in candidate:
        location, _, candidate = candidate.partition("#")
        if not location.endswith(QR_PATH):
            raise MalformedToken("the QR code holds a link that is not an LBT permit link")
    if not _COMPACT_JWS.fullmatch(candidate):
        raise MalformedToken("the QR code holds no compact JWS")
    return candidate
