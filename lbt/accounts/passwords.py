"""Passwords: hashing with argon2id, and the rules a new password must meet (NIST SP 800-63B: long
enough, not the username, not a common or easily guessed password; no composition rules)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from lbt.core.errors import N_, ValidationFailed

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
# zxcvbn's score: 3 means about 10^8 guesses or more ("safely unguessable" online, and it takes an
# offline attacker a while against argon2id); 0-2 are the common passwords, words, names, dates,
# keyboard walks, repeats and sequences that guessing lists try first
MIN_PASSWORD_SCORE = 3
# zxcvbn refuses to look at more than 72 characters (its matching grows fast with length); a password
# whose first 72 characters are hard to guess is hard to guess
ESTIMATED_LENGTH = 72
# words anyone guessing a password of this system tries first, beside the user's own names
SYSTEM_WORDS = (
    "lbt",
    "border",
    "permit",
    "crossing",
    "guard",
    "officer",
    "admin",
    "tajikistan",
    "kyrgyzstan",
    "uzbekistan",
    "dushanbe",
    "bishkek",
    "tashkent",
    "khujand",
    "osh",
    "parol",
)

DEFAULT_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_hasher = DEFAULT_HASHER


def password_hasher() -> PasswordHasher:
    return _hasher


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash and verify with ``hasher`` from now on and return the one used until now. Only the tests
    call this (with an argon2id of minimal cost); the app always runs with ``DEFAULT_HASHER``. A hash
    made with other parameters than the hasher's still verifies, and is re-hashed at the next login."""
    global _hasher
    previous, _hasher = _hasher, hasher
    return previous


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the username is unknown, so the answer takes as long as for a real user
    (made by the hasher in use, so that it costs what a real user's hash costs)."""
    return hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password`` against a stored hash, or against a dummy hash when there is none (an
    unknown username), so that both cost the same argon2 work."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(_hasher), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _personal_words(username: str, others: Iterable[str]) -> list[str]:
    """The user's own words (username, names, e-mail) and their parts: passwords made of them are
    the first an attacker who knows the person tries."""
    words = {username.strip().lower()}
    for text in (username, *others):
        words.update(part for part in re.split(r"[\W_]+", text.lower()) if len(part) >= 3)
    return sorted(words)


def check_password_rules(password: str, username: str, personal: Iterable[str] = ()) -> None:
    """NIST SP 800-63B 5.1.1.2: at least 10 characters, not the username, and not a password found in
    lists of common and breached passwords or made of a word, name, date, sequence or keyboard
    pattern (zxcvbn's estimate, which knows those lists, with the user's own names as extra words)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            N_("The password must be at least %(count)d characters long."),
            "password",
            count=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(N_("The password is too long."), "password")
    if password.strip().lower() == username.strip().lower():
        raise ValidationFailed(N_("The password must differ from the username."), "password")
    words = [*_personal_words(username, personal), *SYSTEM_WORDS]
    estimate = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=words)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        raise ValidationFailed(
            N_(
                "This password is too easy to guess: it is a common password, or made of a word, a name, "
                "a date, a repeat or a keyboard pattern. A few unrelated words make a good password."
            ),
            "password",
        )
