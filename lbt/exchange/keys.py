"""This instance's exchange signing keys (ES256), kept like the permit signing keys (``<kid>.pem``
mode 0600 and ``<kid>.json`` in the instance folder) but in a folder of their own, ``exchange-keys/``:
the exchange key signs messages to partner instances, never permits, and is rotated on its own.

Unlike the permit keys, a new exchange key does not retire the old one at once: each link keeps
signing with its key until a rotation message signed with that key has told the partner of the new
one, and a key stays while a link or a message not yet handed out still signs with it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lbt.permits.signing import KeyStore, PublicKeyRecord, SigningKey, SigningKeyMissing, new_private_key

EXCHANGE_KEYS_FOLDER = "exchange-keys"  # inside the instance folder


class ExchangeKeyStore(KeyStore):
    """The exchange keys in ``<instance>/exchange-keys``; the active key is the newest one."""

    @classmethod
    def of_instance(cls, instance_path: Path) -> ExchangeKeyStore:
        return cls(Path(instance_path) / EXCHANGE_KEYS_FOLDER)

    def key(self, kid: str) -> SigningKey:
        """The private key ``kid``, which a link or a waiting message still signs with."""
        key = self._load_pem(kid)
        if key is None:
            raise SigningKeyMissing(f"the exchange key {kid} is not in {self.directory} (was it removed?)")
        return key

    def add_key(self, now: datetime) -> SigningKey:
        """A new key, newest of all, while the others stay usable until ``retire_unused``."""
        with self._locked():
            key = SigningKey.of(new_private_key())
            self._write_key(key, now)
            return key

    def retire_unused(self, in_use: set[str], now: datetime) -> list[str]:
        """Retire (and delete the private half of) every key nothing signs with any more; the newest
        key always stays. Returns the kids retired."""
        retired = []
        with self._locked():
            records = self.public_keys()
            keep = set(in_use) | {records[0].kid} if records else set(in_use)
            for record in records:
                if record.kid in keep:
                    continue
                if record.retired_at is None:
                    self._write_record(PublicKeyRecord(record.kid, record.jwk, record.created_at, now))
                    retired.append(record.kid)
                (self.directory / f"{record.kid}.pem").unlink(missing_ok=True)
        return retired
