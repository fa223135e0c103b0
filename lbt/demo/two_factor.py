"""The demo's accounts log in with two factors like everyone else's, yet the demo must work for
someone without a phone: each account is enrolled with a secret written, with its ``otpauth://``
address and recovery codes, next to its password in ``instance/demo-accounts.txt``. A code is then
``python3 -c "import pyotp; print(pyotp.TOTP('SECRET').now())"``, or any authenticator app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.accounts.two_factor import services, totp

DEMO_ISSUER = "LBT demo"
# still argon2id, at the lowest cost: the demo's recovery codes are written in clear beside their
# hashes (demo-accounts.txt), so the production cost (about 0.2 s a code, 90 codes) would only slow
# `lbt serve --demo` down; they verify like any other (the hash carries its parameters)
DEMO_CODE_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@dataclass(frozen=True)
class DemoSecondFactor:
    secret: str
    uri: str
    recovery_codes: tuple[str, ...]


def enrol_demo_account(session: Session, user: User, *, now: datetime, home_state: str) -> DemoSecondFactor:
    secret = totp.new_secret()
    codes = services.enrol_known_secret(session, user, secret, now=now, hash_code=DEMO_CODE_HASHER.hash)
    uri = totp.provisioning_uri(secret, user.username, f"{DEMO_ISSUER} {home_state}")
    return DemoSecondFactor(secret, uri, tuple(codes))


def code_command(secret: str) -> str:
    """The one line that prints the code of now, for someone without an authenticator app."""
    return f"python3 -c \"import pyotp; print(pyotp.TOTP('{secret}').now())\""
