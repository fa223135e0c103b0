"""Accounts rules without the web: logging in and the locks per name and client, logins kept on the
server, passwords, scopes per role, user admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lbt.accounts import logins, services, sessions
from lbt.accounts.models import LoginFailure, Role, SessionEnd, UserSession
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


def _login(db, clock, username: str, password: str = PASSWORD, client: str = "ip:192.0.2.1"):  # type: ignore[no-untyped-def]
    return authenticate(
        db,
        username,
        password,
        client=client,
        now=clock.now,
        max_failures=MAX_FAILURES,
        lockout_minutes=LOCKOUT_MINUTES,
    )


def _message(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return str(error.value)


def _failures(db, username: str, client: str = "ip:192.0.2.1") -> LoginFailure | None:  # type: ignore[no-untyped-def]
    return db.scalar(select(LoginFailure).filter_by(username=username, client=client))


# --- logging in ------------------------------------------------------------------------------------


def test_the_right_password_logs_in_and_records_the_time(db, users, clock):
    user = _login(db, clock, "  Officer ")  # usernames are trimmed and case-insensitive
    assert user is users[Role.OFFICER]
    assert user.last_login_at == clock.now


def test_a_wrong_password_is_counted_for_the_name_and_the_client(db, users, clock):
    with pytest.raises(InvalidCredentials, match=r"Wrong username or password\."):
        _login(db, clock, "officer", "wrong password")
    assert _failures(db, "officer").failure_count == 1  # type: ignore[union-attr]


def test_an_unknown_user_gets_the_same_answer(db, users, clock):
    with pytest.raises(InvalidCredentials, match=r"Wrong username or password\."):
        _login(db, clock, "nobody")


def test_a_successful_login_forgets_earlier_failures(db, users, clock):
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(InvalidCredentials):
            _login(db, clock, "officer", "wrong password")
    _login(db, clock, "officer")
    assert _failures(db, "officer") is None
    with pytest.raises(InvalidCredentials):  # a fresh count: one failure does not lock
        _login(db, clock, "officer", "wrong password")
    _login(db, clock, "officer")


def test_the_fifth_wrong_password_in_a_row_locks_the_name_for_that_client_for_fifteen_minutes(
    db, users, clock
):
    for _ in range(MAX_FAILURES):
        with pytest.raises(InvalidCredentials) as refused:
            _login(db, clock, "guard", "wrong password")
        assert not isinstance(refused.value, AccountLocked)
    assert _failures(db, "guard").locked_until == clock.now + timedelta(minutes=LOCKOUT_MINUTES)  # type: ignore[union-attr]
    with pytest.raises(AccountLocked) as locked:
        _login(db, clock, "guard")  # the right password, from the locked client
    assert str(locked.value) == "Wrong username or password."  # says what a wrong password says
    assert locked.value.until == clock.now + timedelta(minutes=LOCKOUT_MINUTES)


def test_a_lock_holds_only_for_the_client_that_caused_it(db, users, clock):
    for _ in range(MAX_FAILURES):
        with pytest.raises(InvalidCredentials):
            _login(db, clock, "guard", "wrong password", client="ip:203.0.113.66")
    with pytest.raises(AccountLocked):
        _login(db, clock, "guard", client="ip:203.0.113.66")
    assert _login(db, clock, "guard", client="ip:192.0.2.1") is users[Role.BORDER_GUARD]
    assert _login(db, clock, "guard", client="browser:own-tablet") is users[Role.BORDER_GUARD]


def test_a_locked_pair_refuses_even_the_right_password_until_the_lock_ends(db, users, clock):
    for _ in range(MAX_FAILURES):
        with pytest.raises(InvalidCredentials):
            _login(db, clock, "guard", "wrong password")
    clock.advance(minutes=LOCKOUT_MINUTES, seconds=-1)
    with pytest.raises(AccountLocked):
        _login(db, clock, "guard")
    clock.advance(seconds=1)
    assert _login(db, clock, "guard") is users[Role.BORDER_GUARD]
    assert _failures(db, "guard") is None


def test_failures_older_than_the_lock_window_count_no_more(db, users, clock):
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(InvalidCredentials):
            _login(db, clock, "guard", "wrong password")
    clock.advance(minutes=LOCKOUT_MINUTES, seconds=1)
    with pytest.raises(InvalidCredentials) as refused:
        _login(db, clock, "guard", "wrong password")
    assert not isinstance(refused.value, AccountLocked)
    assert _failures(db, "guard").failure_count == 1  # type: ignore[union-attr]
    assert _login(db, clock, "guard") is users[Role.BORDER_GUARD]


def test_an_unknown_name_is_counted_and_locked_like_a_real_one(db, users, clock):
    for _ in range(MAX_FAILURES):
        with pytest.raises(InvalidCredentials):
            _login(db, clock, "nobody", "wrong password")
    assert _failures(db, "nobody").locked_until is not None  # type: ignore[union-attr]


def test_a_deactivated_user_cannot_log_in_even_with_the_right_password(db, users, clock):
    users[Role.OFFICER].is_active = False
    with pytest.raises(InvalidCredentials):
        _login(db, clock, "officer")


# --- logins (user_sessions) ------------------------------------------------------------------------

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def _start(db, user, clock, user_agent: str = BROWSER) -> str:  # type: ignore[no-untyped-def]
    sessions.start_session(db, user, user_agent=user_agent, now=clock.now)
    return user.get_id()


def _load(db, key: str, clock, user_agent: str = BROWSER):  # type: ignore[no-untyped-def]
    return load_session_user(db, key, user_agent=user_agent, now=clock.now)


def test_a_login_cookie_holds_only_while_its_login_is_open_and_the_account_active(db, users, clock):
    officer = users[Role.OFFICER]
    key = _start(db, officer, clock)
    assert _load(db, key, clock) is officer
    login = db.scalar(select(UserSession).filter_by(user_id=officer.id))
    assert key not in login.key_hash and len(login.key_hash) == 64  # only the key's SHA-256 is stored
    for forged in (key[:-1], key + "x", f"{officer.id}", "", "x" * 500, f"{officer.id}:{key}"):
        assert _load(db, forged, clock) is None
    officer.is_active = False
    assert _load(db, key, clock) is None
    assert login.end_reason is SessionEnd.DEACTIVATED


def test_logging_out_ends_the_login_for_every_copy_of_the_cookie(db, users, clock):
    officer = users[Role.OFFICER]
    key = _start(db, officer, clock)
    other = _start(db, officer, clock)
    sessions.end_session(db, key, reason=SessionEnd.LOGOUT, now=clock.now)
    assert _load(db, key, clock) is None
    assert _load(db, other, clock) is officer  # another login of the same user holds


def test_a_cookie_shown_by_another_browser_is_refused_and_ends_the_login(db, users, clock):
    officer = users[Role.OFFICER]
    key = _start(db, officer, clock)
    assert _load(db, key, clock, user_agent="curl/8.5.0") is None
    assert _load(db, key, clock) is None  # also from the right browser: the cookie is burnt
    login = db.scalar(select(UserSession).filter_by(user_id=officer.id))
    assert (login.ended_at, login.end_reason) == (clock.now, SessionEnd.OTHER_BROWSER)


def test_the_last_seen_time_is_written_at_most_once_a_minute(db, users, clock):
    officer = users[Role.OFFICER]
    key = _start(db, officer, clock)
    login = db.scalar(select(UserSession).filter_by(user_id=officer.id))
    started = clock.now
    clock.advance(seconds=30)
    _load(db, key, clock)
    assert login.last_seen_at == started
    clock.advance(seconds=30)
    _load(db, key, clock)
    assert login.last_seen_at == clock.now


def test_logging_out_everywhere_ends_every_login_of_the_user_only(db, users, clock):
    officer, guard = users[Role.OFFICER], users[Role.BORDER_GUARD]
    keys = [_start(db, officer, clock) for _ in range(3)]
    guards = _start(db, guard, clock)
    assert sessions.end_sessions(db, officer, reason=SessionEnd.EVERYWHERE, now=clock.now) == 3
    assert [_load(db, key, clock) for key in keys] == [None, None, None]
    assert _load(db, guards, clock) is guard
    assert sessions.open_sessions(db, officer) == []


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
    check_password_rules("a long enough password", "jane")
    check_password_rules("a long enough password " + "x" * 200, "jane")  # its first 72 characters are judged
    check_password_rules("Mf8#kq2-Wz" * 25, "jane")  # 250 characters


WEAK = (
    "Password123!",  # the breached lists' favourites, with the usual decoration
    "qwertyuiop12",  # a keyboard walk
    "1234567890",
    "iloveyou2026",
    "P@ssw0rd2024",  # l33t spelling does not hide a common word
    "aaaaaaaaaaaa",  # a repeat
    "x" * 256,
    "abcdefghijkl",  # a sequence
    "dushanbe2026",  # a place every guard knows and a year
    "tajikistan123",
    "borderguard",  # the words of the job
)


@pytest.mark.parametrize("password", WEAK)
def test_common_and_easily_guessed_passwords_are_refused_however_long(password):
    with pytest.raises(ValidationFailed, match="too easy to guess") as error:
        check_password_rules(password, "jane")
    assert error.value.field == "password"


def test_a_password_made_of_the_users_own_names_is_refused(db, ref, clock):
    data = UserData("a.karimov", Role.AUDITOR, full_name="Alisher Karimov", email="alisher.karimov@mail.tj")
    for password in ("alisherkarimov", "KarimovAlisher", "karimov1990", "a.karimov2026"):
        with pytest.raises(ValidationFailed, match="too easy to guess"):
            create_user(db, data, password, now=clock.now)
    assert create_user(db, data, NEW_PASSWORD, now=clock.now).username == "a.karimov"


def test_setting_a_password_ends_the_logins_and_lifts_the_locks(db, users, clock):
    guard = users[Role.BORDER_GUARD]
    for _ in range(MAX_FAILURES):
        with pytest.raises(InvalidCredentials):
            _login(db, clock, "guard", "wrong password")
    key = _start(db, guard, clock)
    set_password(db, guard, NEW_PASSWORD, now=clock.now)
    assert _load(db, key, clock) is None
    assert guard.password_changed_at == clock.now
    assert _failures(db, "guard") is None
    assert _login(db, clock, "guard", NEW_PASSWORD) is guard
    with pytest.raises(InvalidCredentials):
        _login(db, clock, "guard", PASSWORD)


def test_changing_ones_own_password_keeps_this_login_and_ends_the_others(db, users, clock):
    officer = users[Role.OFFICER]
    other = _start(db, officer, clock)
    mine = _start(db, officer, clock)
    change_password(db, officer, PASSWORD, NEW_PASSWORD, now=clock.now, keep_login=mine)
    assert _load(db, mine, clock) is officer
    assert _load(db, other, clock) is None
    ended = db.scalar(select(UserSession).filter(UserSession.end_reason.is_not(None)))
    assert ended.end_reason is SessionEnd.PASSWORD


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


def test_an_administrator_cannot_deactivate_themselves(db, users, clock):
    admin = users[Role.ADMIN]
    with pytest.raises(ValidationFailed, match="deactivate your own account"):
        set_active(db, admin, False, acting_user=admin, now=clock.now)
    assert admin.is_active


def test_deactivating_a_user_ends_their_logins(db, users, clock):
    officer = users[Role.OFFICER]
    key = _start(db, officer, clock)
    set_active(db, officer, False, acting_user=users[Role.ADMIN], now=clock.now)
    assert not officer.is_active
    assert db.scalar(select(UserSession).filter_by(user_id=officer.id)).end_reason is SessionEnd.DEACTIVATED
    set_active(db, officer, True, acting_user=users[Role.ADMIN], now=clock.now)
    assert _load(db, key, clock) is None  # activating again does not bring the old login back
    assert _load(db, _start(db, officer, clock), clock) is officer


def test_unlocking_lifts_the_locks_of_the_name_from_every_client(db, users, clock):
    guard = users[Role.BORDER_GUARD]
    for client in ("ip:203.0.113.66", "ip:198.51.100.7"):
        for _ in range(MAX_FAILURES):
            with pytest.raises(InvalidCredentials):
                _login(db, clock, "guard", "wrong password", client=client)
    assert len(logins.active_locks(db, ["guard"], now=clock.now)) == 2
    services.unlock(db, guard)
    assert logins.active_locks(db, ["guard"], now=clock.now) == []
    assert _login(db, clock, "guard", client="ip:203.0.113.66") is guard


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
