"""Signing what a permit's QR code holds (and, later, the revocation list): a compact JWS (RFC 7515)
signed with ES256 (ECDSA P-256 and SHA-256, RFC 7518 §3.4) over a JSON payload.

Keys are named by their RFC 7638 thumbprint (the ``kid``) and published as a JWK Set (RFC 7517), so
a verifier needs nothing but the published set. Private keys live in the instance folder's ``keys/``
(mode 0600) or come from ``LBT_SIGNING_KEY``. Nothing here checks dates: an expired permit must
still verify as genuine; whether it lets its holder pass is the verdict's business.
See docs/permit-format.md for the format and a test vector.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

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


# --- permit claims ----------------------------------------------------------------------------

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STATE_CODE = re.compile(r"[A-Z]{2}")
_NAME_PUNCTUATION = frozenset(" -'.ʻʼ’")  # the apostrophes of Uzbek and other Turkic Latin spellings
_MAX_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z


def _field_error(claim: str, problem: str) -> InvalidClaims:
    return InvalidClaims(f"permit claim {claim!r} {problem}")


def _check_code(claim: str, value: object, max_length: int) -> None:
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise _field_error(claim, f"must be a non-empty string of at most {max_length} characters")
    if not value.isascii() or not value.isprintable() or " " in value:
        raise _field_error(claim, f"must be printable ASCII without spaces, got {value!r}")


def _check_latin_name(claim: str, value: object, *, required: bool) -> None:
    """ICAO Doc 9303 Part 3: the Latin-script form of the name as printed on the permit."""
    if not isinstance(value, str) or len(value) > 100 or (required and not value):
        raise _field_error(
            claim, "must be a string of at most 100 characters" + (", not empty" if required else "")
        )
    if value != value.strip() or "  " in value:
        raise _field_error(claim, f"must not have leading, trailing or double spaces, got {value!r}")
    for char in value:
        if char not in _NAME_PUNCTUATION and not unicodedata.name(char, "").startswith("LATIN "):
            raise _field_error(claim, f"must be in Latin script, got {char!r} in {value!r}")


def _check_integer(claim: str, value: object, low: int, high: int) -> None:
    # bool is a subclass of int: True is not a number of days
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _field_error(claim, f"must be a whole number from {low} to {high}, got {value!r}")


def _payload_date(payload: Mapping[str, Any], claim: str) -> date:
    """Dates travel as ISO 8601 calendar dates ``YYYY-MM-DD``, nothing else (no week dates, no times)."""
    value = payload[claim]
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _field_error(claim, f"must be a date written YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _field_error(claim, f"is not a calendar date: {value!r}") from None


@dataclass(frozen=True)
class PermitClaims:
    """What a permit's QR code asserts; see docs/permit-format.md for each claim.

    ``issued_at`` is kept to the second, in UTC, as the token carries it.
    """

    permit_number: str  # pn
    surname: str  # fn: family name, Latin script
    given_names: str  # gn: Latin script, empty for a person with none
    birth_date: date  # dob
    document_number: str  # doc: travel document number
    issuing_state: str  # iss: ISO 3166-1 alpha-2 of the state that issued the permit
    agreement_code: str  # agr
    valid_from: date  # vf: first day of validity
    valid_until: date  # vu: last day of validity
    max_stay_days: int  # msd
    issued_at: datetime  # iat

    CLAIMS = ("pn", "fn", "gn", "dob", "doc", "iss", "agr", "vf", "vu", "msd", "iat")

    def __post_init__(self) -> None:
        """Refuse a claim set that no permit could have (the database's own CHECKs, repeated)."""
        _check_code("pn", self.permit_number, 20)
        _check_latin_name("fn", self.surname, required=True)
        _check_latin_name("gn", self.given_names, required=False)
        _check_code("doc", self.document_number, 30)
        _check_code("agr", self.agreement_code, 40)
        if not isinstance(self.issuing_state, str) or not _STATE_CODE.fullmatch(self.issuing_state):
            raise _field_error("iss", f"must be an ISO 3166-1 alpha-2 code, got {self.issuing_state!r}")
        for claim, value in (("dob", self.birth_date), ("vf", self.valid_from), ("vu", self.valid_until)):
            if not isinstance(value, date) or isinstance(value, datetime):
                raise _field_error(claim, f"must be a date, got {type(value).__name__}")
        if self.valid_until <= self.valid_from:
            raise _field_error("vu", f"({self.valid_until}) must come after vf ({self.valid_from})")
        if self.birth_date > self.valid_from:
            raise _field_error("dob", f"({self.birth_date}) must not come after vf ({self.valid_from})")
        _check_integer("msd", self.max_stay_days, 1, 90)  # Reg. (EC) No 1931/2006 Art. 5: at most 3 months
        if not isinstance(self.issued_at, datetime) or self.issued_at.tzinfo is None:
            raise _field_error("iat", "must be a timezone-aware datetime")
        object.__setattr__(self, "issued_at", self.issued_at.astimezone(UTC).replace(microsecond=0))

    def to_payload(self) -> dict[str, Any]:
        """The JSON object to sign: short claim names keep the QR code small."""
        return {
            "pn": self.permit_number,
            "fn": self.surname,
            "gn": self.given_names,
            "dob": self.birth_date.isoformat(),
            "doc": self.document_number,
            "iss": self.issuing_state,
            "agr": self.agreement_code,
            "vf": self.valid_from.isoformat(),
            "vu": self.valid_until.isoformat(),
            "msd": self.max_stay_days,
            "iat": int(self.issued_at.timestamp()),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> PermitClaims:
        """Read a verified payload. Claims this version does not know are ignored (RFC 7519 §4)."""
        missing = [claim for claim in cls.CLAIMS if claim not in payload]
        if missing:
            raise InvalidClaims(f"the permit claims lack {', '.join(missing)}")
        iat = payload["iat"]
        _check_integer("iat", iat, 0, _MAX_NUMERIC_DATE)  # RFC 7519 §2 NumericDate, whole seconds here
        return cls(
            permit_number=payload["pn"],
            surname=payload["fn"],
            given_names=payload["gn"],
            birth_date=_payload_date(payload, "dob"),
            document_number=payload["doc"],
            issuing_state=payload["iss"],
            agreement_code=payload["agr"],
            valid_from=_payload_date(payload, "vf"),
            valid_until=_payload_date(payload, "vu"),
            max_stay_days=payload["msd"],
            issued_at=datetime.fromtimestamp(iat, UTC),
        )


# --- keys -------------------------------------------------------------------------------------


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """PKCS #8 PEM (RFC 5958, RFC 7468), unencrypted: file permissions protect it."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def load_private_key(pem: str | bytes, source: str) -> ec.EllipticCurvePrivateKey:
    data = pem.encode("utf-8") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:  # TypeError: the PEM is encrypted
        raise SigningKeyError(f"{source} holds no usable unencrypted PEM private key: {error}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SigningKeyError(f"{source} must hold an ECDSA P-256 private key (ES256)")
    return key


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 §3: SHA-256 of the required members (for EC: crv, kty, x, y) as JSON with sorted keys
    and no whitespace, base64url-encoded without padding."""
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def public_jwk(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public half as a JWK (RFC 7517 §4, RFC 7518 §6.2.1): never the private ``d``."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    members = ECAlgorithm.to_jwk(public, as_dict=True)
    jwk = {name: str(members[name]) for name in ("kty", "crv", "x", "y")}
    return {**jwk, "kid": thumbprint(jwk), "use": "sig", "alg": ALGORITHM}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey = field(repr=False, compare=False)  # the kid names it

    @classmethod
    def of(cls, private_key: ec.EllipticCurvePrivateKey) -> SigningKey:
        return cls(public_jwk(private_key)["kid"], private_key)

    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.private_key)


@dataclass(frozen=True)
class PublicKeyRecord:
    """A key's public half and history, as kept in ``<kid>.json``."""

    kid: str
    jwk: Mapping[str, str]
    created_at: datetime
    retired_at: datetime | None


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


class KeyStore:
    """The signing keys in one folder: ``<kid>.pem`` (private, mode 0600, only while the key may
    sign) and ``<kid>.json`` (the public JWK with ``created_at`` and ``retired_at``).

    The active key is the newest unretired key with a private half, or the key given by
    ``LBT_SIGNING_KEY``. A retired key never signs again, so its private half is deleted; its public
    half stays, to be published while permits signed with it are still valid.
    """

    def __init__(self, directory: Path, environment_key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self.directory = Path(directory)
        self._environment_key = SigningKey.of(environment_key) if environment_key is not None else None

    @classmethod
    def from_env(cls, directory: Path, environ: Mapping[str, str]) -> KeyStore:
        """``LBT_SIGNING_KEY``, when set, is a PEM private key (literal ``\\n`` allowed, as one-line
        environment files need) that replaces the keys stored in ``directory`` for signing."""
        pem = (environ.get(SIGNING_KEY_ENV) or "").strip().replace("\\n", "\n")
        if not pem:
            return cls(directory)
        return cls(directory, load_private_key(pem, SIGNING_KEY_ENV))

    def active_key(self) -> SigningKey:
        if self._environment_key is not None:
            return self._environment_key
        for _attempt in range(2):  # a rotation may delete a listed key before it is read: list again
            for record in self.public_keys():
                if record.retired_at is None and (key := self._load_pem(record.kid)) is not None:
                    return key
        raise SigningKeyMissing(
            f"no signing key in {self.directory}: run `lbt keys rotate` (or set {SIGNING_KEY_ENV})"
        )

    def ensure_key(self, now: datetime) -> SigningKey:
        """Make the first key if there is none; record an environment key's public half, so it stays
        published after the variable changes, and retire the stored keys it replaces."""
        with self._locked():
            if self._environment_key is not None:
                key = self._environment_key
                if not (self.directory / f"{key.kid}.json").exists():
                    self._write_record(PublicKeyRecord(key.kid, key.public_jwk(), _utc(now), None))
                self._retire_all_but(key.kid, now)
                return key
            try:
                return self.active_key()
            except SigningKeyMissing:
                return self._make_active_key(now)

    def rotate(self, now: datetime) -> SigningKey:
        """Make a new signing key and retire the active one (and any other unretired key)."""
        if self._environment_key is not None:
            raise SigningKeyError(f"{SIGNING_KEY_ENV} sets the signing key: put a new key there instead")
        with self._locked():
            return self._make_active_key(now)

    def public_keys(self) -> list[PublicKeyRecord]:
        """Every key recorded in the folder, newest first (an environment key once ``ensure_key`` ran)."""
        if not self.directory.is_dir():
            return []
        records = [self._read_record(path) for path in self.directory.glob("*.json")]
        return sorted(records, key=lambda record: (record.created_at, record.kid), reverse=True)

    # - files -

    def _make_active_key(self, now: datetime) -> SigningKey:
        key = SigningKey.of(new_private_key())
        pem_path = self.directory / f"{key.kid}.pem"
        # created 0600 in one step, never briefly readable by others; O_EXCL never overwrites a key
        fd = os.open(pem_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # the umask may only remove bits; this makes it exactly 0600
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(private_key_pem(key.private_key))
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            pem_path.unlink(missing_ok=True)
            raise
        self._write_record(PublicKeyRecord(key.kid, key.public_jwk(), _utc(now), None))
        self._retire_all_but(key.kid, now)
        return key

    def _retire_all_but(self, kid: str, now: datetime) -> None:
        for record in self.public_keys():
            if record.kid != kid and record.retired_at is None:
                self._write_record(PublicKeyRecord(record.kid, record.jwk, record.created_at, _utc(now)))
            if record.kid != kid:
                (self.directory / f"{record.kid}.pem").unlink(missing_ok=True)

    def _write_record(self, record: PublicKeyRecord) -> None:
        content = {
            "jwk": dict(record.jwk),
            "created_at": record.created_at.isoformat(),
            "retired_at": record.retired_at.isoformat() if record.retired_at else None,
        }
        path = self.directory / f"{record.kid}.json"
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)  # readers see the old record or the new one, never half of one

    def _read_record(self, path: Path) -> PublicKeyRecord:
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
            jwk = {name: str(content["jwk"][name]) for name in ("kty", "crv", "x", "y")}
            created_at = datetime.fromisoformat(content["created_at"])
            retired_at = datetime.fromisoformat(content["retired_at"]) if content["retired_at"] else None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SigningKeyError(f"{path} is not a readable key record: {error!r}") from None
        if jwk["kty"] != "EC" or jwk["crv"] != "P-256" or thumbprint(jwk) != path.stem:
            raise SigningKeyError(f"{path} does not hold the P-256 public key its name promises")
        return PublicKeyRecord(
            path.stem, {**jwk, "kid": path.stem, "use": "sig", "alg": ALGORITHM}, created_at, retired_at
        )

    def _load_pem(self, kid: str) -> SigningKey | None:
        path = self.directory / f"{kid}.pem"
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            return None
        if mode & 0o077:
            raise SigningKeyError(f"{path} may be read by others (mode {mode:o}): run `chmod 600 {path}`")
        key = SigningKey.of(load_private_key(path.read_bytes(), str(path)))
        if key.kid != kid:
            raise SigningKeyError(f"{path} holds the key {key.kid}, not {kid}")
        return key

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time (several workers may start at once and each call ``ensure_key``)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def jwks(store: KeyStore, kids_still_needed: set[str]) -> dict[str, list[dict[str, str]]]:
    """The JWK Set to publish (RFC 7517 §5): the active key first, then every other key whose kid
    the caller still needs (a permit signed with it is still valid). Public members only."""
    active = store.active_key()
    others = [
        dict(record.jwk)
        for record in store.public_keys()
        if record.kid in kids_still_needed and record.kid != active.kid
    ]
    return {"keys": [active.public_jwk(), *others]}


# --- signing and verifying --------------------------------------------------------------------


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


def _published_key(jwks_dict: Mapping[str, Any], kid: str) -> jwt.PyJWK:
    try:
        key = jwt.PyJWKSet.from_dict(dict(jwks_dict))[kid]
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


def verify(token: str, jwks_dict: Mapping[str, Any], expected_typ: str) -> dict[str, Any]:
    """Check a compact JWS against a JWK Set only and return its payload; nothing time-based."""
    if not isinstance(token, str) or not _COMPACT_JWS.fullmatch(token):
        raise MalformedToken("not a compact JWS: three base64url parts separated by dots")
    try:
        header = _JWS.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise MalformedToken(f"the JWS header cannot be read: {error}") from None
    key = _published_key(jwks_dict, _check_header(header, expected_typ))
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
