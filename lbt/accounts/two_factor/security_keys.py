"""Security keys (WebAuthn, through py_webauthn), the second kind of two-factor login: adding a key
(registration, attestation "none"), logging in with one (authentication), naming, listing and
removing them. The relying party is the site's public address (``LBT_PUBLIC_URL``): its host is the
RP ID and its origin the one the browser must name. Each challenge is kept in
``security_key_challenges`` for five minutes and is good once; a key's signature counter must grow
when the key keeps one, so a copied key or a replayed answer is refused."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.parse_authentication_credential_json import parse_authentication_credential_json
from webauthn.helpers.parse_registration_credential_json import parse_registration_credential_json
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from lbt.accounts.models import User
from lbt.accounts.two_factor import services
from lbt.accounts.two_factor.models import SecurityKey, SecurityKeyChallenge
from lbt.core.errors import N_, DomainError, NotFound, ValidationFailed

REGISTER, AUTHENTICATE = "register", "authenticate"
CHALLENGE_FOR = timedelta(minutes=5)
TIMEOUT_MS = int(CHALLENGE_FOR.total_seconds() * 1000)
CHALLENGE_BYTES = 32
MAX_ANSWER_LENGTH = 16_000  # a browser's answer is a few kB; attestation "none" carries no certificates
MAX_NAME_LENGTH = 60
MAX_KEYS = 10
NAME_FIELD, ANSWER_FIELD = "name", "credential"
# what py_webauthn and the decoders under it raise on an answer it cannot read or accept
_UNREADABLE = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, OverflowError)


class BadAnswer(ValidationFailed):
    """Not an answer of a security key at all (no JSON, missing parts): refused, not counted."""

    def __init__(self) -> None:
        super().__init__(N_("The browser's answer from the security key could not be read. Try again."))


class KeyRefused(ValidationFailed):
    """A well-formed answer that does not prove the key: counted like a wrong code."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "The security key's answer was refused (another key, another site, or used already). Try again."
            )
        )


@dataclass(frozen=True)
class RelyingParty:
    id: str  # the public address's host, as browsers scope keys
    name: str
    origin: str  # scheme://host[:port] as the browser reports it


def relying_party(public_url: str, name: str) -> RelyingParty | None:
    """The relying party of a site at ``public_url``; None where browsers offer no WebAuthn: an IP
    address (keys belong to domain names) or plain http other than localhost (not a secure context)."""
    parts = urlsplit(public_url)
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("http", "https"):
        return None
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    local = host == "localhost" or host.endswith(".localhost")
    if parts.scheme != "https" and not local:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    port = parts.port
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")
    return RelyingParty(id=host, name=name, origin=origin)


def keys_of(session: Session, user: User) -> list[SecurityKey]:
    query = select(SecurityKey).where(SecurityKey.user_id == user.id).order_by(SecurityKey.id)
    return list(session.scalars(query))


def _user_handle(user: User) -> bytes:
    return f"lbt-user-{user.id}".encode()


def _transports(key: SecurityKey) -> list[AuthenticatorTransport]:
    known = {transport.value for transport in AuthenticatorTransport}
    return [AuthenticatorTransport(name) for name in key.transports.split(",") if name in known]


def _descriptor(key: SecurityKey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(key.credential_id), transports=_transports(key)
    )


def _keep_challenge(session: Session, user: User, purpose: str, challenge: bytes, now: datetime) -> None:
    """The new challenge replaces the user's earlier one of this purpose (and any stale ones)."""
    session.execute(
        delete(SecurityKeyChallenge).where(
            SecurityKeyChallenge.user_id == user.id,
            (SecurityKeyChallenge.purpose == purpose)
            | (SecurityKeyChallenge.created_at < now - CHALLENGE_FOR),
        )
    )
    session.add(
        SecurityKeyChallenge(
            user_id=user.id, purpose=purpose, challenge=bytes_to_base64url(challenge), created_at=now
        )
    )
    session.flush()


def _take_challenge(session: Session, user: User, purpose: str, client_data: bytes, now: datetime) -> bytes:
    """The challenge the answer signed, if it is the user's open one for ``purpose``: deleted here, so
    it is good once (two answers at once: one deletes the row, the other finds none)."""
    try:
        challenge = parse_client_data_json(client_data).challenge
    except _UNREADABLE:
        raise BadAnswer() from None
    taken = session.execute(
        delete(SecurityKeyChallenge).where(
            SecurityKeyChallenge.user_id == user.id,
            SecurityKeyChallenge.purpose == purpose,
            SecurityKeyChallenge.challenge == bytes_to_base64url(challenge),
            SecurityKeyChallenge.created_at >= now - CHALLENGE_FOR,
        )
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise KeyRefused()
    return challenge


def _parse(parser: Any, answer: str) -> Any:
    if not answer or len(answer) > MAX_ANSWER_LENGTH:
        raise BadAnswer()
    try:
        return parser(json.loads(answer))
    except _UNREADABLE:
        raise BadAnswer() from None


def registration_options(session: Session, user: User, rp: RelyingParty, *, now: datetime) -> str:
    """The options (JSON) for ``navigator.credentials.create``: the user's keys excluded (a key is
    added once), attestation "none", user verification preferred."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=_user_handle(user),
        user_name=user.username,
        user_display_name=user.username,
        challenge=None,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(key) for key in keys_of(session, user)],
    )
    _keep_challenge(session, user, REGISTER, options.challenge, now)
    return options_to_json(options)


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationFailed(N_("Give the key a name, such as where you keep it."), NAME_FIELD)
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            N_("A key's name is at most %(max)d characters."), NAME_FIELD, max=MAX_NAME_LENGTH
        )
    return cleaned


def register(
    session: Session, user: User, rp: RelyingParty, answer: str, name: str, *, now: datetime
) -> list[str]:
    """Keep the key the browser's ``answer`` (JSON of ``navigator.credentials.create``) proves, under
    ``name``; returns recovery codes when it is the user's first second factor (shown once), else []."""
    cleaned = clean_name(name)
    if len(keys_of(session, user)) >= MAX_KEYS:
        raise DomainError(N_("You have %(max)d security keys already: remove one first."), max=MAX_KEYS)
    credential = _parse(parse_registration_credential_json, answer)
    challenge = _take_challenge(session, user, REGISTER, credential.response.client_data_json, now)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except _UNREADABLE:
        raise KeyRefused() from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(select(SecurityKey.id).where(SecurityKey.credential_id == credential_id)) is not None:
        raise DomainError(N_("This security key was added already."))
    first = not services.has_factor(session, user)
    session.add(
        SecurityKey(
            user_id=user.id,
            credential_id=credential_id,
            public_key=bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            transports=",".join(transport.value for transport in credential.response.transports or ())[:200],
            name=cleaned,
            created_at=now,
        )
    )
    session.flush()
    return services.first_recovery_codes(session, user, now) if first else []


def authentication_options(session: Session, user: User, rp: RelyingParty, *, now: datetime) -> str | None:
    """The options (JSON) for ``navigator.credentials.get`` naming the user's keys; None without keys."""
    keys = keys_of(session, user)
    if not keys:
        return None
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        allow_credentials=[_descriptor(key) for key in keys],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _keep_challenge(session, user, AUTHENTICATE, options.challenge, now)
    return options_to_json(options)


def authenticate(
    session: Session, user: User, rp: RelyingParty, answer: str, *, now: datetime
) -> SecurityKey:
    """The key of ``user`` that signed the open challenge in ``answer`` (JSON of
    ``navigator.credentials.get``), its counter and last use updated; raises ``BadAnswer`` or
    ``KeyRefused`` (to be counted by ``services.run_counted``)."""
    credential = _parse(parse_authentication_credential_json, answer)
    challenge = _take_challenge(session, user, AUTHENTICATE, credential.response.client_data_json, now)
    key = session.scalar(
        select(SecurityKey)
        .where(SecurityKey.user_id == user.id, SecurityKey.credential_id == credential.id)
        .with_for_update()
    )
    if key is None:
        raise KeyRefused()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=base64url_to_bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
        )
    except _UNREADABLE:
        raise KeyRefused() from None
    key.sign_count = verified.new_sign_count
    key.last_used_at = now
    session.flush()
    return key


def authenticate_counted(
    session: Session, user: User, rp: RelyingParty, answer: str, *, attempt: services.Attempt, now: datetime
) -> SecurityKey:
    """``authenticate`` under the lock of wrong codes: a refused key counts as a wrong code."""
    _parse(parse_authentication_credential_json, answer)  # unreadable: refused, not counted
    return services.run_counted(
        session,
        user,
        lambda: authenticate(session, user, rp, answer, now=now),
        attempt=attempt,
        now=now,
        refusals=(KeyRefused,),
    )


def remove_key(session: Session, user: User, key_id: int, *, required: bool) -> SecurityKey:
    """Remove one of the user's keys. The last second factor of a role that needs two is refused; the
    last one of another role turns two-factor login off (the recovery codes go with it)."""
    key = session.scalar(select(SecurityKey).where(SecurityKey.id == key_id, SecurityKey.user_id == user.id))
    if key is None:
        raise NotFound(N_("There is no such security key."))
    others = session.scalar(
        select(func.count())
        .select_from(SecurityKey)
        .where(SecurityKey.user_id == user.id, SecurityKey.id != key.id)
    )
    last = not others and services.secret_of(session, user) is None
    if last and required:
        raise DomainError(
            N_(
                "Your role must log in with two factors: add another key or an authenticator app before removing this one."
            )
        )
    session.delete(key)
    session.flush()
    if last:
        services.remove(session, user)
    return key
