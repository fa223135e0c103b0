"""Accounts rules without the web: logging in and the lockout, passwords, scopes per role, user admin."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lbt.accounts import services
from lbt.accounts.models import Role
from lbt.accounts.services import (
    AccountLocked,
    InvalidCredentials,
    Scope,
    UserData,
    apply_scope,
    authenticate,
    change_password,
    check_password_rules,
    create_user,
    list_users,
    load_session_user,
    set_active,
    set_password,
    update_user,
)
from lbt.core.errors import ValidationFailed
from tests.fixtures.factories import make_user
from tests.fixtures.passwords import PASSWORD

MAX_FAILURES = 5
LOCKOUT_MINUTES = 15
NEW_PASSWORD = "a different long passphrase"


def _login(db, clock, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return authenticate(
        db, username, password, now=clock.now, max_failures=MAX_FAILURES, lockout_minutes=LOCKOUT_MINUTES
    )


def _message(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return str(error.value)


# --- logging in ------------------------------------------------------------------------------------


def test_the_right_password_logs_in_and_records_the_time(db, users, clock):
    user = _login(db, clock, "  Officer ")  # usernames are trimmed and case-insensitive
    assert user is users[Role.OFFICER]
    assert user.last_login_at == clock.now


def test_a_wrong_password_is_counted(db, users, clock):
    with pytest.raises(InvalidCredentials, match=r"Wrong username or password\."):
        _login(db, clock, "officer", "wrong password")
    assert users[Role.OFFICER].failed_login_count == 1


def test_an_unknown_user_gets_the_same_answer(db, users, clock):
    with pytest.raises(InvalidCredentials, match=r"Wrong username or password\."):
        _login(db, clock, "nobody")


def test_a_successful_login_forgets_earlier_failures(db, users, clock):
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(InvalidCredentials):
            _login(db, clock, "officer", "wrong password")
    _login(db, clock, "officer")
    assert users[Role.OFFICER].failed_login_count == 0
    with pytest.raises(InvalidCredentials):  # a fresh count: one failure does not lock
        _login(db, clock, "officer", "wrong password")


def test_the_fifth_wrong_password_in_a_row_locks_the_account_for_fifteen_minutes(db, users, clock):
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(InvalidCredentials):
            _login(db, clock, "guard", "wrong password")
    with pytest.raises(AccountLocked) as locked:
        _login(db, clock, "guard", "wrong password")
    assert locked.value.until == clock.now + timedelta(minutes=LOCKOUT_MINUTES)
    assert users[Role.BORDER_GUARD].locked_until == clock.now + timedelta(minutes=LOCKOUT_MINUTES)
    assert "locked until 2026-11-22 10:15 UTC" in str(locked.value)


def test_a_locked_account_refuses_even_the_right_password_until_the_lock_ends(db, users, clock):
    for _ in range(MAX_FAILURES):
        with pytest.raises((InvalidCredentials, AccountLocked)):
            _login(db, clock, "guard", "wrong password")
    clock.advance(minutes=LOCKOUT_MINUTES, seconds=-1)
    with pytest.raises(AccountLocked):
        _login(db, clock, "guard")
    clock.advance(seconds=1)
    assert _login(db, clock, "guard") is users[Role.BORDER_GUARD]
    assert users[Role.BORDER_GUARD].locked_until is None


def test_a_deactivated_user_cannot_log_in_even_with_the_right_password(db, users, clock):
    users[Role.OFFICER].is_active = False
    with pytest.raises(InvalidCredentials):
        _login(db, clock, "officer")


def test_a_login_cookie_holds_only_while_its_token_and_the_account_are_valid(db, users, clock):
    officer = users[Role.OFFICER]
    assert load_session_user(db, officer.get_id()) is officer
    forgeries = (
        f"{officer.id}:wrong-token",
        f"{officer.id}:",
        "officer",
        f"x:{officer.session_token}",
        "",
        "²:x",
    )
    for forged in forgeries:
        assert load_session_user(db, forged) is None
    session_id = officer.get_id()
    set_password(db, officer, NEW_PASSWORD, now=clock.now)
    assert load_session_user(db, session_id) is None
    assert load_session_user(db, officer.get_id()) is officer
    officer.is_active = False
    assert load_session_user(db, officer.get_id()) is None


# --- passwords -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password,message",
    [
        ("123456789", "at least 10 characters"),
        ("x" * 257, "too long"),
        ("Jane.Doe12", "differ from the username"),
        ("  jane.doe12 ", "differ from the username"),
    ],
)
def test_password_rules(password, message):
    with pytest.raises(ValidationFailed, match=message) as error:
        check_password_rules(password, "jane.doe12")
    assert error.value.field == "password"


def test_a_long_password_of_any_letters_is_enough():
    check_password_rules("ten chars!", "jane")
    check_password_rules("пароль из слов", "jane")
    check_password_rules("x" * 256, "jane")


def test_setting_a_password_ends_other_logins_and_lifts_a_lock(db, users, clock):
    guard = users[Role.BORDER_GUARD]
    guard.locked_until = clock.now + timedelta(minutes=5)
    token = guard.session_token
    set_password(db, guard, NEW_PASSWORD, now=clock.now)
    assert guard.session_token != token
    assert guard.locked_until is None
    assert guard.password_changed_at == clock.now
    assert _login(db, clock, "guard", NEW_PASSWORD) is guard
    with pytest.raises(InvalidCredentials):
        _login(db, clock, "guard", PASSWORD)


def test_changing_ones_password_needs_the_current_one(db, users, clock):
    with pytest.raises(ValidationFailed, match="current password is wrong") as error:
        change_password(db, users[Role.OFFICER], "not it", NEW_PASSWORD, now=clock.now)
    assert error.value.field == "current_password"
    change_password(db, users[Role.OFFICER], PASSWORD, NEW_PASSWORD, now=clock.now)
    assert _login(db, clock, "officer", NEW_PASSWORD) is users[Role.OFFICER]


# --- scope -----------------------------------------------------------------------------------------


def test_scope_words_are_read_by_kind():
    scope = Scope.parse(["agreement:TJ-KG", "crossing:KG-TJ-01", "state:tj", "section:SEC-1", "state:TJ"])
    assert scope == Scope(("TJ-KG",), ("KG-TJ-01",), "TJ", ("SEC-1",))
    assert Scope.parse([]) == Scope()


@pytest.mark.parametrize(
    "words,message",
    [
        (["agreement:"], "must look like kind:CODE"),
        (["TJ-KG"], "must look like kind:CODE"),
        (["treaty:TJ-KG"], "Unknown scope kind treaty"),
        (["state:TJ", "state:KG"], "only one state"),
    ],
)
def test_malformed_scope_words_are_refused(words, message):
    with pytest.raises(ValidationFailed, match=message):
        Scope.parse(words)


@pytest.fixture
def fresh(db):  # type: ignore[no-untyped-def]
    def make(role: Role):  # type: ignore[no-untyped-def]
        return make_user(db, f"new.{role.value}", role)

    return make


def test_officers_and_supervisors_serve_agreements(db, ref, fresh):
    for role in (Role.OFFICER, Role.SUPERVISOR):
        user = fresh(role)
        apply_scope(db, user, Scope(agreements=("TJ-KG", "TJ-UZ")))
        assert user.scope_labels() == ["agreement:TJ-KG", "agreement:TJ-UZ"]


def test_border_guards_work_at_crossing_points(db, ref, fresh):
    user = fresh(Role.BORDER_GUARD)
    apply_scope(db, user, Scope(crossing_points=("KG-TJ-01",)))
    assert user.scope_labels() == ["crossing:KG-TJ-01"]


def test_representatives_act_for_one_state_on_its_border_sections(db, ref, fresh):
    user = fresh(Role.REPRESENTATIVE)
    apply_scope(db, user, Scope(state="TJ", border_sections=("SEC-1", "SEC-9")))
    assert user.scope_labels() == ["state:TJ", "section:SEC-1", "section:SEC-9"]


def test_administrators_and_auditors_have_no_scope(db, ref, fresh):
    for role in (Role.ADMIN, Role.AUDITOR):
        user = fresh(role)
        apply_scope(db, user, Scope())
        assert user.scope_labels() == []
        with pytest.raises(ValidationFailed, match="have no scope"):
            apply_scope(db, user, Scope(agreements=("TJ-KG",)))


@pytest.mark.parametrize(
    "role,scope,field,message",
    [
        (Role.OFFICER, Scope(), "agreements", "at least one agreement"),
        (
            Role.SUPERVISOR,
            Scope(agreements=("TJ-KG",), crossing_points=("KG-TJ-01",)),
            "scope",
            "agreements only",
        ),
        (Role.OFFICER, Scope(agreements=("XX-YY",)), "agreements", "Unknown code(s): XX-YY."),
        (Role.BORDER_GUARD, Scope(), "crossing_points", "at least one crossing point"),
        (Role.BORDER_GUARD, Scope(agreements=("TJ-KG",)), "scope", "crossing points only"),
        (Role.BORDER_GUARD, Scope(crossing_points=("NOPE",)), "crossing_points", "Unknown code(s): NOPE."),
        (Role.REPRESENTATIVE, Scope(border_sections=("SEC-1",)), "state", "the state the representative"),
        (Role.REPRESENTATIVE, Scope(state="TJ"), "border_sections", "at least one border section"),
        (
            Role.REPRESENTATIVE,
            Scope(state="TJ", agreements=("TJ-KG",), border_sections=("SEC-1",)),
            "scope",
            "a state and",
        ),
        (Role.REPRESENTATIVE, Scope(state="ZZ", border_sections=("SEC-1",)), "state", "Unknown code(s): ZZ."),
        (
            Role.REPRESENTATIVE,
            Scope(state="KG", border_sections=("SEC-1", "SEC-9")),
            "border_sections",
            "SEC-9",
        ),
    ],
)
def test_a_role_takes_only_its_kind_of_scope(db, ref, fresh, role, scope, field, message):
    user = fresh(role)
    with pytest.raises(ValidationFailed) as error:
        apply_scope(db, user, scope)
    assert error.value.field == field
    assert message in str(error.value)


def test_a_new_scope_replaces_the_old_one_entirely(db, ref, users):
    officer = users[Role.OFFICER]
    officer.role = Role.BORDER_GUARD
    apply_scope(db, officer, Scope(crossing_points=("UZ-TJ-01",)))
    assert officer.scope_labels() == ["crossing:UZ-TJ-01"]


# --- user administration ---------------------------------------------------------------------------


def test_a_new_user_is_stored_lower_case_with_a_hashed_password_and_scope(db, ref, clock):
    user = create_user(
        db,
        UserData(
            " New.Officer ", Role.OFFICER, full_name=" Ali Karimov ", scope=Scope(agreements=("TJ-KG",))
        ),
        NEW_PASSWORD,
        now=clock.now,
    )
    assert (user.username, user.full_name, user.created_at) == ("new.officer", "Ali Karimov", clock.now)
    assert NEW_PASSWORD not in user.password_hash
    assert user.scope_labels() == ["agreement:TJ-KG"]
    assert _login(db, clock, "new.officer", NEW_PASSWORD) is user


@pytest.mark.parametrize(
    "username,password,field,message",
    [
        ("OFFICER", NEW_PASSWORD, "username", "The username officer is taken."),
        ("   ", NEW_PASSWORD, "username", "A username is required."),
        ("someone", "short", "password", "at least 10 characters"),
    ],
)
def test_a_new_user_is_refused_on_bad_input(db, users, clock, username, password, field, message):
    with pytest.raises(ValidationFailed, match=message) as error:
        create_user(db, UserData(username, Role.AUDITOR), password, now=clock.now)
    assert error.value.field == field


def test_an_administrator_cannot_change_their_own_role(db, users):
    admin = users[Role.ADMIN]
    with pytest.raises(ValidationFailed, match="your own role") as error:
        update_user(db, admin, UserData("admin", Role.AUDITOR), acting_user=admin)
    assert error.value.field == "role"
    update_user(db, admin, UserData("admin", Role.ADMIN, full_name="Head"), acting_user=admin)
    assert admin.full_name == "Head"


def test_an_administrator_changes_another_users_role_and_scope(db, ref, users):
    officer = users[Role.OFFICER]
    update_user(
        db,
        officer,
        UserData("officer", Role.SUPERVISOR, scope=Scope(agreements=("TJ-UZ",))),
        acting_user=users[Role.ADMIN],
    )
    assert officer.role is Role.SUPERVISOR
    assert officer.scope_labels() == ["agreement:TJ-UZ"]


def test_an_administrator_cannot_deactivate_themselves(db, users):
    admin = users[Role.ADMIN]
    with pytest.raises(ValidationFailed, match="deactivate your own account"):
        set_active(db, admin, False, acting_user=admin)
    assert admin.is_active


def test_deactivating_a_user_ends_their_logins(db, users):
    officer = users[Role.OFFICER]
    session_id = officer.get_id()
    set_active(db, officer, False, acting_user=users[Role.ADMIN])
    assert not officer.is_active
    assert load_session_user(db, session_id) is None
    set_active(db, officer, True, acting_user=users[Role.ADMIN])
    assert load_session_user(db, officer.get_id()) is officer


def test_unlocking_lifts_the_lock_and_the_count(db, users, clock):
    guard = users[Role.BORDER_GUARD]
    guard.failed_login_count, guard.locked_until = 3, clock.now + timedelta(minutes=10)
    services.unlock(db, guard)
    assert (guard.failed_login_count, guard.locked_until) == (0, None)
    assert _login(db, clock, "guard") is guard


def test_the_user_list_filters_by_role_and_by_words_in_the_name(db, users):
    users[Role.OFFICER].full_name = "Ali Karimov"
    users[Role.AUDITOR].full_name = "Зарина Рахимова"
    db.flush()
    assert [user.username for user in list_users(db, role=Role.OFFICER)] == ["officer"]
    assert [user.username for user in list_users(db, search="KARIM")] == ["officer"]
    assert [user.username for user in list_users(db, search="guar")] == ["guard"]
    assert [user.username for user in list_users(db, search="Зарина")] == ["auditor"]
    assert [user.username for user in list_users(db, role=Role.ADMIN, search="guard")] == []
    assert len(list_users(db)) == len(Role)


def test_wildcards_typed_in_the_search_are_taken_literally(db, users):
    make_user(db, "jane_doe", Role.AUDITOR)
    assert [user.username for user in list_users(db, search="_")] == ["jane_doe"]
    assert list_users(db, search="%") == []
