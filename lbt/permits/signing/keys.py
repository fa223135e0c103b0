"""Signing keys: P-256 keys named by their RFC 7638 thumbprint, kept in the instance folder (mode
0600) or given by ``LBT_SIGNING_KEY``, rotated, and published while still needed."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from lbt.permits.signing.common import ALGORITHM, SIGNING_KEY_ENV, SigningKeyError, SigningKeyMissing

T = TypeVar("T")


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
        # what was read from the folder, kept while its files are unchanged (see ``remember``)
        self._memo: dict[Hashable, Any] = {}
        self._memo_stamp: tuple[tuple[str, int, int, int], ...] | None = None

    def _stamp(self) -> tuple[tuple[str, int, int, int], ...]:
        """The folder's files as they stand (name, modification time, size, mode): one directory
        listing, no file read, so a key rotated by another process (``lbt keys rotate``) or a key
        file made readable by others is seen at once."""
        try:
            with os.scandir(self.directory) as entries:
                files = [
                    (entry.name, entry.stat()) for entry in entries if entry.name.endswith((".json", ".pem"))
                ]
        except FileNotFoundError:
            return ()
        return tuple(sorted((name, stat.st_mtime_ns, stat.st_size, stat.st_mode) for name, stat in files))

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, kept in memory while the folder's key files are unchanged: the published
        keys are read once per rotation, not once per request."""
        stamp = self._stamp()
        if stamp != self._memo_stamp:
            self._memo, self._memo_stamp = {}, stamp
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

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
        return self.remember("active key", self._read_active_key)

    def _read_active_key(self) -> SigningKey:
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
        return list(self.remember("public keys", self._read_public_keys))

    def _read_public_keys(self) -> list[PublicKeyRecord]:
        if not self.directory.is_dir():
            return []
        records = [self._read_record(path) for path in self.directory.glob("*.json")]
        return sorted(records, key=lambda record: (record.created_at, record.kid), reverse=True)

    # - files -

    def _make_active_key(self, now: datetime) -> SigningKey:
        key = SigningKey.of(new_private_key())
        self._write_key(key, now)
        self._retire_all_but(key.kid, now)
        return key

    def _write_key(self, key: SigningKey, now: datetime) -> None:
        """The private half (mode 0600) and the public record of a new key, retiring nothing."""
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
