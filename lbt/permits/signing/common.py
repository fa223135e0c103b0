"""Constants and errors of permit signing."""

from __future__ import annotations

import re

import jwt

ALGORITHM = "ES256"
PERMIT_TYP = "lbt-permit+jwt"
REVOCATION_LIST_TYP = "lbt-revocations+jwt"
SIGNING_KEY_ENV = "LBT_SIGNING_KEY"
KEYS_FOLDER = "keys"  # inside the instance folder
QR_PATH = "/v"
# the most a QR code can hold (version 40, alphanumeric mode); anything longer was not scanned
MAX_QR_TEXT = 4296

_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_JWS = jwt.PyJWS(algorithms=[ALGORITHM])


# --- errors -----------------------------------------------------------------------------------


class TokenRejected(Exception):
    """A token is not a genuine LBT token; the subclass says why (messages are for logs, not users)."""


class MalformedToken(TokenRejected):
    """Not a compact ES256 JWS with a JSON object payload, or a header this format does not allow."""


class UnknownKey(TokenRejected):
    """The token's ``kid`` names no ES256 key in the published JWK Set."""


class InvalidSignature(TokenRejected):
    """The signature does not match: the token was changed or forged."""


class InvalidClaims(MalformedToken):
    """The claims do not describe a permit (a missing claim, a wrong type, an impossible date)."""


class SigningKeyError(Exception):
    """The signing keys cannot be used as configured (unreadable, wrong type, readable by others)."""


class SigningKeyMissing(SigningKeyError):
    """There is no active signing key yet."""
