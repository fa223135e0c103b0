"""Security keys, the services: registration and authentication verified by py_webauthn against the
answers of a software authenticator (tests/fixtures/security_key.py, ES256, attestation "none"); the
challenge good once and for five minutes, the signature counter required to grow, refused answers
counted and locked like wrong codes, removing the last factor of a role that needs two refused, an
administrator's reset removing the keys; audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.accounts.two_factor import policy, services
from lbt.accounts.two_factor import security_keys as keys
from lbt.accounts.two_factor.models import RecoveryCode, SecurityKey, SecurityKeyChallenge
from lbt.audit.models import AuditEntry
from lbt.core.errors import DomainError, NotFound
from tests.fixtures.factories import make_user
from tests.fixtures.security_key import SoftKey, b64url

RP = keys.RelyingParty(id="lbt.example.tj", name="LBT TJ", origin="https://lbt.example.tj")
ATTEMPT = services.Attempt(client="test-client", max_failures=3, lockout_minutes=15)


def _count(db, model, **where) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.scalar(query) or 0


def _add(db, user, clock, key: SoftKey, name: str = "Blue key") -> list[str]:  # type: ignore[no-untyped-def]
    options = keys.registration_options(db, user, RP, now=clock())
    return keys.register(db, user, RP, key.create(options, RP.origin), name, now=clock())


def _log_in(db, user, clock, key: SoftKey, **answer) -> SecurityKey:  # type: ignore[no-untyped-def]
    options = keys.authentication_options(db, user, RP, now=clock())
    assert options is not None
    return keys.authenticate(db, user, RP, key.get(options, RP.origin, **answer), now=clock())


def test_the_relying_party_is_the_public_address_where_browsers_offer_webauthn():
    found = keys.relying_party("https://LBT.example.tj:443", "LBT TJ")
    assert found == keys.RelyingParty("lbt.example.tj", "LBT TJ", "https://lbt.example.tj")
    assert keys.relying_party("https://lbt.example.tj:8443", "x").origin == "https://lbt.example.tj:8443"  # type: ignore[union-attr]
    assert keys.relying_party("http://localhost:5000", "x").origin == "http://localhost:5000"  # type: ignore[union-attr]
    for where in (
        "http://127.0.0.1:5000",
        "https://10.0.0.5",
        "http://[::1]:5000",
        "http://lbt.example.tj",
        "",
    ):
        assert keys.relying_party(where, "x") is None, where


def test_a_first_key_is_registered_with_recovery_codes_and_audited(db, clock):
    user = make_user(db, "optional.guard", Role.BORDER_GUARD, two_factor=False)
    key = SoftKey()
    options = json.loads(keys.registration_options(db, user, RP, now=clock()))
    assert options["rp"] == {"id": RP.id, "name": RP.name}
    assert options["attestation"] == "none" and options["excludeCredentials"] == []
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    codes = keys.register(
        db, user, RP, key.create(json.dumps(options), RP.origin), "  Blue   key ", now=clock()
    )
    assert len(codes) == 10 and _count(db, RecoveryCode, user_id=user.id) == 10
    [stored] = keys.keys_of(db, user)
    assert stored.name == "Blue key" and stored.credential_id == b64url(key.credential_id)
    assert stored.sign_count == 1 and stored.transports == "usb"
    assert services.has_factor(db, user) and policy.login_step(db, user) is services.Step.CODE
    assert _count(db, SecurityKeyChallenge, user_id=user.id) == 0  # taken
    entry = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "security_keys")).one()
    assert entry.action == "create" and "Blue key" in entry.changes and stored.public_key not in entry.changes

    # a second key: no new codes, and the first is excluded from the options
    assert _add(db, user, clock, SoftKey(), "Spare") == []
    excluded = json.loads(keys.registration_options(db, user, RP, now=clock()))["excludeCredentials"]
    assert len(excluded) == 2 and excluded[0]["id"] == b64url(key.credential_id)


def test_registration_answers_that_prove_nothing_are_refused_and_nothing_is_kept(db, clock):
    user = make_user(db, "officer.keys", Role.OFFICER)
    key = SoftKey()
    refusals = {
        "foreign origin": lambda options: key.create(options, "https://evil.example"),
        "another site's RP ID": lambda options: key.create(options, RP.origin, rp_id="evil.example"),
        "a challenge never given": lambda options: key.create(
            json.dumps({**json.loads(options), "challenge": b64url(b"x" * 32)}), RP.origin
        ),
    }
    for name, answer in refusals.items():
        options = keys.registration_options(db, user, RP, now=clock())
        with pytest.raises(keys.KeyRefused):
            keys.register(db, user, RP, answer(options), "Key", now=clock())
        assert _count(db, SecurityKey) == 0, name
    for bad in ("", "not json", "[1, 2]", json.dumps({"id": "x"}), "{" * 20000):
        keys.registration_options(db, user, RP, now=clock())
        with pytest.raises(keys.BadAnswer):
            keys.register(db, user, RP, bad, "Key", now=clock())
    options = keys.registration_options(db, user, RP, now=clock())
    with pytest.raises(DomainError):
        keys.register(db, user, RP, key.create(options, RP.origin), " ", now=clock())  # no name

    # a good answer, once: replayed, its challenge is gone
    options = keys.registration_options(db, user, RP, now=clock())
    answer = key.create(options, RP.origin)
    assert keys.register(db, user, RP, answer, "Key", now=clock()) == []  # the app came first: no new codes
    with pytest.raises(keys.KeyRefused):
        keys.register(db, user, RP, answer, "Key again", now=clock())
    # the same key added again under a new challenge (the browser would refuse it: it is excluded)
    with pytest.raises(DomainError, match="added already"):
        _add(db, user, clock, key)
    assert _count(db, SecurityKey) == 1


def test_a_challenge_is_good_for_five_minutes_and_a_new_one_replaces_it(db, clock):
    user = make_user(db, "officer.late", Role.OFFICER)
    key = SoftKey()
    first = keys.registration_options(db, user, RP, now=clock())
    second = keys.registration_options(db, user, RP, now=clock())
    with pytest.raises(keys.KeyRefused):
        keys.register(db, user, RP, key.create(first, RP.origin), "Key", now=clock())
    answer = key.create(second, RP.origin)
    clock.advance(minutes=5, seconds=1)
    with pytest.raises(keys.KeyRefused):
        keys.register(db, user, RP, answer, "Key", now=clock())
    assert _count(db, SecurityKey) == 0


def test_logging_in_with_a_key_needs_its_counter_to_grow_and_a_challenge_once(db, clock):
    user = make_user(db, "officer.login", Role.OFFICER)
    key = SoftKey()
    _add(db, user, clock, key)
    options = json.loads(keys.authentication_options(db, user, RP, now=clock()) or "")
    assert options["rpId"] == RP.id and options["userVerification"] == "preferred"
    assert [found["id"] for found in options["allowCredentials"]] == [b64url(key.credential_id)]

    used = _log_in(db, user, clock, key)
    assert used.sign_count == 2 and used.last_used_at == clock()
    clock.advance(minutes=1)
    assert _log_in(db, user, clock, key).sign_count == 3

    # the same answer again: its challenge was taken
    options_json = keys.authentication_options(db, user, RP, now=clock()) or ""
    answer = key.get(options_json, RP.origin)
    keys.authenticate(db, user, RP, answer, now=clock())
    with pytest.raises(keys.KeyRefused):
        keys.authenticate(db, user, RP, answer, now=clock())
    # a copy of the key whose counter fell behind: refused, the counter kept
    key.sign_count -= 2
    with pytest.raises(keys.KeyRefused):
        _log_in(db, user, clock, key)
    assert keys.keys_of(db, user)[0].sign_count == 4


def test_a_key_that_keeps_no_counter_logs_in_each_time(db, clock):
    user = make_user(db, "officer.nocount", Role.OFFICER)
    key = SoftKey(counts=False)
    _add(db, user, clock, key)
    for _ in range(3):
        assert _log_in(db, user, clock, key).sign_count == 0


def test_assertions_of_another_site_key_or_challenge_are_refused(db, clock):
    user = make_user(db, "officer.wrong", Role.OFFICER)
    other = make_user(db, "officer.other", Role.OFFICER)
    key, others_key = SoftKey(), SoftKey()
    _add(db, user, clock, key)
    _add(db, other, clock, others_key)
    cases = {
        "foreign origin": {"origin": "https://evil.example"},
        "another RP ID": {"rp_id": "evil.example"},
        "a wrong challenge": {"challenge": b64url(b"y" * 32)},
    }
    for name, change in cases.items():
        options = keys.authentication_options(db, user, RP, now=clock()) or ""
        origin = change.pop("origin", RP.origin)
        with pytest.raises(keys.KeyRefused):
            keys.authenticate(db, user, RP, key.get(options, origin, **change), now=clock())
        assert name
    with pytest.raises(keys.KeyRefused):  # the other user's key on this user's login
        _log_in(db, user, clock, others_key)
    # a signature over other data
    options = keys.authentication_options(db, user, RP, now=clock()) or ""
    answer = json.loads(key.get(options, RP.origin))
    answer["response"]["signature"] = b64url(b"\x30\x06\x02\x01\x01\x02\x01\x01")
    with pytest.raises(keys.KeyRefused):
        keys.authenticate(db, user, RP, json.dumps(answer), now=clock())
    assert keys.authentication_options(db, make_user(db, "nokeys", Role.OFFICER), RP, now=clock()) is None


def test_refused_keys_are_counted_with_wrong_codes_and_lock_the_second_step(db, clock):
    user = make_user(db, "officer.locked", Role.OFFICER)
    key = SoftKey()
    _add(db, user, clock, key)
    with pytest.raises(services.WrongCode):
        services.check_counted_code(db, user, "000000", attempt=ATTEMPT, now=clock())
    options = keys.authentication_options(db, user, RP, now=clock()) or ""
    with pytest.raises(keys.KeyRefused):
        keys.authenticate_counted(
            db, user, RP, key.get(options, "https://evil.example"), attempt=ATTEMPT, now=clock()
        )
    with pytest.raises(keys.BadAnswer):  # unreadable: refused, not counted
        keys.authenticate_counted(db, user, RP, "{}", attempt=ATTEMPT, now=clock())
    options = keys.authentication_options(db, user, RP, now=clock()) or ""
    with pytest.raises(services.CodesLocked):  # the third failure locks
        keys.authenticate_counted(
            db, user, RP, key.get(options, "https://evil.example"), attempt=ATTEMPT, now=clock()
        )
    options = keys.authentication_options(db, user, RP, now=clock()) or ""
    with pytest.raises(services.CodesLocked):  # even the right key, while locked
        keys.authenticate_counted(db, user, RP, key.get(options, RP.origin), attempt=ATTEMPT, now=clock())
    clock.advance(minutes=16)
    options = keys.authentication_options(db, user, RP, now=clock()) or ""
    assert keys.authenticate_counted(db, user, RP, key.get(options, RP.origin), attempt=ATTEMPT, now=clock())


def test_removing_the_last_factor_of_a_role_that_needs_two_is_refused(db, clock):
    officer = make_user(db, "officer.remove", Role.OFFICER, two_factor=False)
    blue, spare = SoftKey(), SoftKey()
    _add(db, officer, clock, blue, "Blue")
    _add(db, officer, clock, spare, "Spare")
    first, second = keys.keys_of(db, officer)
    assert keys.remove_key(db, officer, first.id, required=True).name == "Blue"
    with pytest.raises(DomainError, match="must log in with two factors"):
        keys.remove_key(db, officer, second.id, required=True)
    assert len(keys.keys_of(db, officer)) == 1
    other = make_user(db, "officer.stranger", Role.OFFICER)
    with pytest.raises(NotFound):
        keys.remove_key(db, other, second.id, required=True)
    deleted = db.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "security_keys", AuditEntry.action == "delete")
    ).all()
    assert len(deleted) == 1

    # a guard may log in with the password alone: the last key turns two-factor login off
    guard = make_user(db, "guard.remove", Role.BORDER_GUARD, two_factor=False)
    _add(db, guard, clock, SoftKey())
    [only] = keys.keys_of(db, guard)
    keys.remove_key(db, guard, only.id, required=False)
    assert not services.has_factor(db, guard) and _count(db, RecoveryCode, user_id=guard.id) == 0


def test_the_app_after_a_key_keeps_the_recovery_codes_and_a_reset_removes_everything(db, clock):
    user = make_user(db, "officer.reset", Role.OFFICER, two_factor=False)
    codes = _add(db, user, clock, SoftKey())
    assert len(codes) == 10
    secret = services.totp.new_secret()
    code = services.totp.code_at_step(secret, services.totp.step_at(clock()))
    assert services.enrol(db, user, secret, code, now=clock()) == []  # the key's codes stay
    assert _count(db, RecoveryCode, user_id=user.id) == 10
    policy.reset(
        db, user, now=clock() + timedelta(seconds=1), public_url="https://lbt.example.tj", zone_name="UTC"
    )
    assert keys.keys_of(db, user) == [] and services.secret_of(db, user) is None
    assert _count(db, RecoveryCode, user_id=user.id) == 0
    with pytest.raises(DomainError):
        policy.reset(db, user, now=clock(), public_url="https://lbt.example.tj", zone_name="UTC")


def test_a_user_with_keys_only_is_not_sent_to_enrolment_when_the_role_becomes_required(db, clock):
    guard = make_user(db, "guard.required", Role.BORDER_GUARD, two_factor=False)
    _add(db, guard, clock, SoftKey())
    assert policy.login_step(db, guard) is services.Step.CODE
    required = {*policy.required_roles(db), Role.BORDER_GUARD}
    assert policy.set_required_roles(db, required, now=clock()) == 0  # no open login of guard ended
