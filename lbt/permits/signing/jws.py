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


def _header_of(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, read alone (PyJWT's ``get_unverified_header`` decodes the
    whole token, and ``decode_complete`` then does it again: a scan's largest cost after the SQL)."""
    segment = token.partition(".")[0]
    try:
        header = json.loads(
            base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)),
            object_pairs_hook=_reject_duplicates,
        )
    except (ValueError, binascii.Error, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise MalformedToken(f"the JWS header cannot be read: {error}") from None
    if not isinstance(header, dict):
        raise MalformedToken("the JWS header is not a JSON object")
    return header


def verify(token: str, jwks_dict: Mapping[str, Any], expected_typ: str) -> dict[str, Any]:
    """Check a compact JWS against a JWK Set only and return its payload; nothing time-based."""
    if not isinstance(token, str) or not _COMPACT_JWS.fullmatch(token):
        raise MalformedToken("not a compact JWS: three base64url parts separated by dots")
    key = _published_key(jwks_dict, _check_header(_header_of(token), expected_typ))
    try:
        decoded = _JWS.decode_complete(token, key=key, algorithms=[ALGORITHM])
    except jwt.InvalidSignatureError:
        raise InvalidSignature("the signature does not match: the token was changed or forged") from None
    except jwt.PyJWTError as error:
        raise MalformedToken(f"the JWS cannot be read: {error}") from None
    try:
        payload = json.loads(decoded["payload"].decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise MalformedToken(f"the payload is not a JSON object: {error}") from None
    if not isinstance(payload, dict):
        raise MalformedToken("the payload is not a JSON object")
    return payload


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
