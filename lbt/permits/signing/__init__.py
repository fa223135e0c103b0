"""Signing what a permit's QR code holds (and, later, the revocation list): a compact JWS (RFC 7515)
signed with ES256 (ECDSA P-256 and SHA-256, RFC 7518 §3.4) over a JSON payload.

Keys are named by their RFC 7638 thumbprint (the ``kid``) and published as a JWK Set (RFC 7517), so
a verifier needs nothing but the published set. Private keys live in the instance folder's ``keys/``
(mode 0600) or come from ``LBT_SIGNING_KEY``. Nothing here checks dates: an expired permit must
still verify as genuine; whether it lets its holder pass is the verdict's business.
See docs/permit-format.md for the format and a test vector.
"""

from __future__ import annotations

from lbt.permits.signing.claims import (
    PermitClaims,
)
from lbt.permits.signing.common import (
    ALGORITHM,
    KEYS_FOLDER,
    MAX_QR_TEXT,
    PERMIT_TYP,
    QR_PATH,
    REVOCATION_LIST_TYP,
    SIGNING_KEY_ENV,
    InvalidClaims,
    InvalidSignature,
    MalformedToken,
    SigningKeyError,
    SigningKeyMissing,
    TokenRejected,
    UnknownKey,
)
from lbt.permits.signing.jws import (
    JwkSet,
    canonical_json,
    qr_url,
    sign,
    token_from_qr,
    verify,
)
from lbt.permits.signing.keys import (
    KeyStore,
    PublicKeyRecord,
    SigningKey,
    jwks,
    load_private_key,
    new_private_key,
    private_key_pem,
    public_jwk,
    thumbprint,
)

__all__ = [
    "ALGORITHM",
    "KEYS_FOLDER",
    "MAX_QR_TEXT",
    "PERMIT_TYP",
    "QR_PATH",
    "REVOCATION_LIST_TYP",
    "SIGNING_KEY_ENV",
    "InvalidClaims",
    "InvalidSignature",
    "JwkSet",
    "KeyStore",
    "MalformedToken",
    "PermitClaims",
    "PublicKeyRecord",
    "SigningKey",
    "SigningKeyError",
    "SigningKeyMissing",
    "TokenRejected",
    "UnknownKey",
    "canonical_json",
    "jwks",
    "load_private_key",
    "new_private_key",
    "private_key_pem",
    "public_jwk",
    "qr_url",
    "sign",
    "thumbprint",
    "token_from_qr",
    "verify",
]
