"""A permit's QR code is a compact ES256 JWS that verifies with the published JWK Set alone; changed,
forged or unsigned codes are told apart; rotating keys never breaks a permit that is still valid;
and the test vector in docs/permit-format.md stays true."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from lbt.permits.signing import (
    KEYS_FOLDER,
    PERMIT_TYP,
    REVOCATION_LIST_TYP,
    SIGNING_KEY_ENV,
    InvalidClaims,
    InvalidSignature,
    KeyStore,
    MalformedToken,
    PermitClaims,
    SigningKey,
    SigningKeyError,
    SigningKeyMissing,
    UnknownKey,
    jwks,
    load_private_key,
    new_private_key,
    private_key_pem,
    qr_url,
    sign,
    token_from_qr,
    verify,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
DOC = Path(__file__).resolve().parents[2] / "docs" / "permit-format.md"
VECTOR_RE = re.compile(r"<!-- test-vector:([a-z-]+) -->\s*```[a-z]*\n(.*?)```", re.DOTALL)


def _claims(**changes: Any) -> PermitClaims:
    values: dict[str, Any] = {
        "permit_number": "TJ-2026-000123",
        "surname": "RAHIMOV",
        "given_names": "FARRUKH ALIEVICH",
        "birth_date": date(1985, 3, 14),
        "document_number": "400123456",
        "issuing_state": "TJ",
        "agreement_code": "TJ-KG",
        "valid_from": date(2026, 12, 1),
        "valid_until": date(2028, 11, 30),
        "max_stay_days": 90,
        "issued_at": NOW,
    }
    values.update(changes)
    return PermitClaims(**values)


def _as_a_phone_gets_it(jwks_dict: dict[str, Any]) -> dict[str, Any]:
    """Through JSON and back, as /.well-known/jwks.json reaches a verifier."""
    return json.loads(json.dumps(jwks_dict))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _change_one_character(token: str, part: int) -> str:
    parts = token.split(".")
    middle = len(parts[part]) // 2  # not the last character, whose spare bits may not count
    replacement = "A" if parts[part][middle] != "A" else "B"
    parts[part] = parts[part][:middle] + replacement + parts[part][middle + 1 :]
    return ".".join(parts)


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path / "instance" / KEYS_FOLDER)
    store.ensure_key(NOW)
    return store


@pytest.fixture
def published(store: KeyStore) -> dict[str, Any]:
    return _as_a_phone_gets_it(jwks(store, set()))


# --- sign and verify --------------------------------------------------------------------------


def test_a_signed_permit_verifies_with_the_published_key_set_alone(store, published):
    token = sign(_claims().to_payload(), store.active_key(), PERMIT_TYP)

    assert PermitClaims.from_payload(verify(token, published, PERMIT_TYP)) == _claims()


def test_the_token_is_a_compact_jws_with_es256_its_kid_and_typ_and_a_compact_sorted_payload(store):
    key = store.active_key()
    token = sign({"b": 1, "a": "Ä"}, key, PERMIT_TYP)

    header, payload, signature = token.split(".")
    assert json.loads(_unb64(header)) == {"alg": "ES256", "kid": key.kid, "typ": PERMIT_TYP}
    assert _unb64(payload) == '{"a":"Ä","b":1}'.encode()
    assert len(_unb64(signature)) == 64  # r || s, RFC 7518 §3.4


def test_one_changed_character_in_the_payload_is_an_invalid_signature(store, published):
    token = sign(_claims().to_payload(), store.active_key(), PERMIT_TYP)

    with pytest.raises(InvalidSignature):
        verify(_change_one_character(token, 1), published, PERMIT_TYP)


def test_one_changed_character_in_the_signature_is_an_invalid_signature(store, published):
    token = sign(_claims().to_payload(), store.active_key(), PERMIT_TYP)

    with pytest.raises(InvalidSignature):
        verify(_change_one_character(token, 2), published, PERMIT_TYP)


def test_a_token_signed_by_a_key_not_in_the_key_set_is_an_unknown_key(published):
    stranger = SigningKey.of(new_private_key())
    token = sign(_claims().to_payload(), stranger, PERMIT_TYP)

    with pytest.raises(UnknownKey, match=stranger.kid):
        verify(token, published, PERMIT_TYP)


def test_a_forger_who_reuses_a_published_kid_with_another_key_gets_an_invalid_signature(store, published):
    forger = SigningKey(store.active_key().kid, new_private_key())
    token = sign(_claims().to_payload(), forger, PERMIT_TYP)

    with pytest.raises(InvalidSignature):
        verify(token, published, PERMIT_TYP)


def _unsigned_token(header: dict[str, Any], payload: bytes, sign_with: bytes | None = None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    signature = (
        hmac.new(sign_with, signing_input.encode(), hashlib.sha256).digest() if sign_with else b"x" * 64
    )
    return f"{signing_input}.{_b64(signature)}"


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES384", "es256", None])
def test_any_alg_but_es256_is_malformed(store, published, alg):
    kid = store.active_key().kid
    header = {"alg": alg, "kid": kid, "typ": PERMIT_TYP}
    # HS256 keyed with the public key is the classic algorithm-confusion forgery
    secret = json.dumps(published["keys"][0]).encode()
    token = _unsigned_token(header, json.dumps(_claims().to_payload()).encode(), secret)

    with pytest.raises(MalformedToken, match="not allowed"):
        verify(token, published, PERMIT_TYP)


def test_an_unsigned_alg_none_token_without_a_signature_part_is_malformed(store, published):
    header = {"alg": "none", "kid": store.active_key().kid, "typ": PERMIT_TYP}
    token = _unsigned_token(header, b"{}").rsplit(".", 1)[0] + "."

    with pytest.raises(MalformedToken):
        verify(token, published, PERMIT_TYP)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "garbage",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "!!!.???.###",
        "eyJhbGciOiJFUzI1NiJ9 .e30.e30",
        f"{_b64(b'not json')}.{_b64(b'{}')}.{_b64(b'x' * 64)}",
        f"{_b64(b'[1, 2]')}.{_b64(b'{}')}.{_b64(b'x' * 64)}",
        "https://lbt.example.org/v#abc",
    ],
)
def test_garbage_is_malformed(published, garbage):
    with pytest.raises(MalformedToken):
        verify(garbage, published, PERMIT_TYP)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"not json", "not a JSON object"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"pn": "A", "pn": "B"}', "duplicate"),
        (b'{"pn": "\xff"}', "not a JSON object"),
    ],
)
def test_a_genuinely_signed_payload_that_is_not_a_json_object_is_malformed(
    store, published, payload, problem
):
    key = store.active_key()
    token = jwt.PyJWS().encode(
        payload, key.private_key, algorithm="ES256", headers={"kid": key.kid, "typ": PERMIT_TYP}
    )

    with pytest.raises(MalformedToken, match=problem):
        verify(token, published, PERMIT_TYP)


def test_a_header_with_critical_extensions_is_malformed(store, published):
    key = store.active_key()
    headers = {"kid": key.kid, "typ": PERMIT_TYP, "crit": ["exp"], "exp": 1}
    token = jwt.PyJWS().encode(b"{}", key.private_key, algorithm="ES256", headers=headers)

    with pytest.raises(MalformedToken):
        verify(token, published, PERMIT_TYP)


def test_a_revocation_list_never_passes_for_a_permit(store, published):
    token = sign({"withdrawn": ["TJ-2026-000001"], "iat": 1}, store.active_key(), REVOCATION_LIST_TYP)

    assert verify(token, published, REVOCATION_LIST_TYP)["withdrawn"] == ["TJ-2026-000001"]
    with pytest.raises(MalformedToken, match="typ"):
        verify(token, published, PERMIT_TYP)


def test_typ_compares_as_a_media_type(store, published):
    token = sign({}, store.active_key(), "application/LBT-Permit+JWT")

    assert verify(token, published, PERMIT_TYP) == {}


def test_nothing_time_based_is_checked_so_an_expired_permit_still_verifies(store, published):
    long_ago = _claims(
        valid_from=date(2001, 1, 1), valid_until=date(2002, 1, 1), issued_at=datetime(2000, 12, 1, tzinfo=UTC)
    )
    payload = {**long_ago.to_payload(), "exp": 1, "nbf": 4_000_000_000}  # even JWT's own time claims
    token = sign(payload, store.active_key(), PERMIT_TYP)

    assert PermitClaims.from_payload(verify(token, published, PERMIT_TYP)) == long_ago


# --- keys -------------------------------------------------------------------------------------


def test_kid_is_the_rfc_7638_thumbprint_of_the_public_key(store, published):
    (jwk,) = published["keys"]
    # RFC 7638 §3.1: the required members in lexicographic order, no whitespace, then SHA-256
    canonical = f'{{"crv":"{jwk["crv"]}","kty":"{jwk["kty"]}","x":"{jwk["x"]}","y":"{jwk["y"]}"}}'
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")

    assert jwk["kid"] == store.active_key().kid == expected
    assert len(_unb64(jwk["x"])) == len(_unb64(jwk["y"])) == 32  # full-length coordinates, RFC 7518 §6.2.1.2


def test_private_key_files_are_mode_0600_and_the_key_set_has_no_private_parts(tmp_path):
    folder = tmp_path / KEYS_FOLDER
    old_umask = os.umask(0)  # even a permissive umask must not make a key file readable by others
    try:
        kid = KeyStore(folder).ensure_key(NOW).kid
    finally:
        os.umask(old_umask)

    assert stat.S_IMODE((folder / f"{kid}.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (jwk,) = jwks(KeyStore(folder), set())["keys"]
    assert set(jwk) == {"kty", "crv", "x", "y", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("EC", "P-256", "sig", "ES256")
    assert "PRIVATE" not in (folder / f"{kid}.json").read_text()


def test_a_private_key_file_readable_by_others_is_refused(store):
    kid = store.active_key().kid
    (store.directory / f"{kid}.pem").chmod(0o640)

    with pytest.raises(SigningKeyError, match="chmod 600"):
        store.active_key()


def test_without_a_key_signing_tells_to_run_lbt_keys_rotate(tmp_path):
    empty = KeyStore(tmp_path / KEYS_FOLDER)

    with pytest.raises(SigningKeyMissing, match="lbt keys rotate"):
        empty.active_key()
    with pytest.raises(SigningKeyMissing):
        jwks(empty, set())
    assert empty.public_keys() == []


def test_ensure_key_makes_the_first_key_once(tmp_path):
    store = KeyStore(tmp_path / KEYS_FOLDER)

    first = store.ensure_key(NOW)

    assert store.ensure_key(NOW + timedelta(days=1)) == first
    assert [record.kid for record in store.public_keys()] == [first.kid]


def test_rotation_retires_the_old_key_and_keeps_it_published_while_permits_need_it(store):
    old = store.active_key()
    old_token = sign(_claims().to_payload(), old, PERMIT_TYP)

    new = store.rotate(NOW + timedelta(days=30))

    assert new.kid != old.kid
    assert store.active_key() == new
    records = {record.kid: record for record in store.public_keys()}
    assert records[old.kid].retired_at == NOW + timedelta(days=30)
    assert records[new.kid].retired_at is None
    assert not (store.directory / f"{old.kid}.pem").exists()  # a retired key never signs again
    new_token = sign(_claims().to_payload(), store.active_key(), PERMIT_TYP)
    assert jwt.get_unverified_header(new_token)["kid"] == new.kid

    still_needed = _as_a_phone_gets_it(jwks(store, {old.kid}))
    assert [jwk["kid"] for jwk in still_needed["keys"]] == [new.kid, old.kid]
    assert verify(old_token, still_needed, PERMIT_TYP) == verify(new_token, still_needed, PERMIT_TYP)

    no_longer_needed = _as_a_phone_gets_it(jwks(store, set()))
    assert verify(new_token, no_longer_needed, PERMIT_TYP)
    with pytest.raises(UnknownKey):
        verify(old_token, no_longer_needed, PERMIT_TYP)


def test_a_signing_key_from_the_environment_is_used_and_stored_keys_stay_published(store):
    stored = store.active_key()
    stored_token = sign(_claims().to_payload(), stored, PERMIT_TYP)
    environment_key = new_private_key()
    one_line_pem = private_key_pem(environment_key).replace("\n", "\\n")  # as a .env file holds it

    from_env = KeyStore.from_env(store.directory, {SIGNING_KEY_ENV: one_line_pem})

    active = from_env.active_key()
    assert active == SigningKey.of(environment_key)
    token = sign(_claims().to_payload(), active, PERMIT_TYP)
    published = _as_a_phone_gets_it(jwks(from_env, {stored.kid}))
    assert [jwk["kid"] for jwk in published["keys"]] == [active.kid, stored.kid]
    assert verify(token, published, PERMIT_TYP) == verify(stored_token, published, PERMIT_TYP)

    from_env.ensure_key(NOW + timedelta(days=1))  # at start-up: record it, retire what it replaces
    records = {record.kid: record for record in KeyStore(store.directory).public_keys()}
    assert records[active.kid].retired_at is None
    assert records[stored.kid].retired_at == NOW + timedelta(days=1)
    with pytest.raises(SigningKeyError, match=SIGNING_KEY_ENV):
        from_env.rotate(NOW)


def test_without_the_variable_the_folder_keys_are_used(store):
    assert KeyStore.from_env(store.directory, {SIGNING_KEY_ENV: ""}).active_key() == store.active_key()


@pytest.mark.parametrize(
    "pem",
    [
        "not a key",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        "P-384",
    ],
)
def test_an_unusable_signing_key_in_the_environment_is_a_clear_error(tmp_path, pem):
    if pem == "P-384":
        pem = private_key_pem(ec.generate_private_key(ec.SECP384R1()))

    with pytest.raises(SigningKeyError, match=SIGNING_KEY_ENV):
        KeyStore.from_env(tmp_path, {SIGNING_KEY_ENV: pem})


def test_a_key_record_that_does_not_match_its_name_is_refused(store):
    kid = store.active_key().kid
    (store.directory / f"{kid}.json").rename(store.directory / "someone-else.json")

    with pytest.raises(SigningKeyError, match=r"someone-else\.json"):
        store.public_keys()


# --- permit claims ----------------------------------------------------------------------------


def test_claims_round_trip_through_the_payload():
    claims = _claims(issued_at=datetime(2026, 11, 22, 15, 0, 0, 999, tzinfo=UTC).astimezone())

    assert PermitClaims.from_payload(claims.to_payload()) == claims
    assert claims.issued_at == NOW.replace(hour=15)  # UTC, whole seconds, as the token carries it
    assert list(claims.to_payload()) == list(PermitClaims.CLAIMS)


def test_latin_names_may_have_diacritics_and_turkic_apostrophes():
    claims = _claims(surname="Gʻulomov-Sánchez", given_names="Oʼktam D. O'Neil")

    assert PermitClaims.from_payload(claims.to_payload()) == claims


def test_claims_a_later_version_adds_are_ignored():
    assert PermitClaims.from_payload({**_claims().to_payload(), "new": 1}) == _claims()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pn": None}, "'pn' must be a non-empty string"),
        ({"pn": "TJ 2026 1"}, "'pn' must be printable ASCII without spaces"),
        ({"fn": ""}, "'fn' must be a string of at most 100 characters, not empty"),
        ({"fn": "Рахимов"}, "'fn' must be in Latin script"),
        ({"gn": " FARRUKH"}, "'gn' must not have leading, trailing or double spaces"),
        ({"dob": "14.03.1985"}, "'dob' must be a date written YYYY-MM-DD"),
        ({"dob": "19850314"}, "'dob' must be a date written YYYY-MM-DD"),
        ({"dob": "1985-02-30"}, "'dob' is not a calendar date"),
        ({"dob": "2027-01-01"}, "'dob' (2027-01-01) must not come after vf"),
        ({"iss": "TJK"}, "'iss' must be an ISO 3166-1 alpha-2 code"),
        ({"vu": "2026-12-01"}, "'vu' (2026-12-01) must come after vf (2026-12-01)"),
        ({"msd": "90"}, "'msd' must be a whole number from 1 to 90"),
        ({"msd": True}, "'msd' must be a whole number"),
        ({"msd": 91}, "'msd' must be a whole number from 1 to 90, got 91"),
        ({"iat": 1.5}, "'iat' must be a whole number"),
        ({"iat": -1}, "'iat' must be a whole number"),
    ],
)
def test_invalid_claims_are_rejected_with_a_clear_message(changes, message):
    with pytest.raises(InvalidClaims, match=re.escape(message)):
        PermitClaims.from_payload({**_claims().to_payload(), **changes})


def test_missing_claims_are_named():
    payload = _claims().to_payload()
    del payload["pn"], payload["msd"]

    with pytest.raises(InvalidClaims, match="lack pn, msd"):
        PermitClaims.from_payload(payload)


def test_claims_built_in_code_are_checked_too():
    with pytest.raises(InvalidClaims, match="'dob' must be a date"):
        _claims(birth_date=datetime(1985, 3, 14, tzinfo=UTC))
    with pytest.raises(InvalidClaims, match="timezone-aware"):
        _claims(issued_at=datetime(2026, 11, 22))  # naive: no time zone


# --- the QR code ------------------------------------------------------------------------------


def test_the_qr_code_holds_the_token_in_the_fragment_of_the_public_url(store):
    token = sign(_claims().to_payload(), store.active_key(), PERMIT_TYP)

    content = qr_url("https://lbt.example.org", token)

    assert content == f"https://lbt.example.org/v#{token}"
    assert token_from_qr(f"  {content}\n") == token
    assert token_from_qr(token) == token


@pytest.mark.parametrize(
    "text",
    ["https://lbt.example.org/other#a.b.c", "https://lbt.example.org/v#", "hello", "a.b.c#x", "a.b." * 2000],
)
def test_a_qr_code_without_an_lbt_token_is_malformed(text):
    with pytest.raises(MalformedToken):
        token_from_qr(text)


# --- the documented test vector ---------------------------------------------------------------


@pytest.fixture(scope="module")
def vector() -> dict[str, str]:
    blocks = dict(VECTOR_RE.findall(DOC.read_text(encoding="utf-8")))
    assert set(blocks) == {"private-key", "claims", "header", "jws", "jwks", "qr"}, (
        "a test-vector block is missing"
    )
    return {name: text.strip() for name, text in blocks.items()}


def test_the_documented_jws_verifies_against_the_documented_key_set(vector):
    payload = verify(vector["jws"], json.loads(vector["jwks"]), PERMIT_TYP)

    assert payload == json.loads(vector["claims"])
    assert PermitClaims.from_payload(payload).permit_number == "TJ-2026-000123"
    assert json.loads(_unb64(vector["jws"].split(".")[0])) == json.loads(vector["header"])
    assert token_from_qr(vector["qr"]) == vector["jws"]


def test_the_documented_key_set_is_the_documented_private_keys_public_half(vector):
    key = SigningKey.of(load_private_key(vector["private-key"], "the test vector"))

    assert json.loads(vector["jwks"]) == {"keys": [key.public_jwk()]}
    resigned = sign(json.loads(vector["claims"]), key, PERMIT_TYP)
    assert resigned != vector["jws"]  # ECDSA is randomised ...
    assert verify(resigned, json.loads(vector["jwks"]), PERMIT_TYP) == json.loads(
        vector["claims"]
    )  # ... yet valid
    assert resigned.rsplit(".", 1)[0] == vector["jws"].rsplit(".", 1)[0]  # same header and payload
