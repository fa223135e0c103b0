"""Two-factor login, the second step: reached only with the right password, it grants nothing until
a right code; each code is taken once; recovery codes work once each; wrong codes are locked and
throttled like wrong passwords; a role that needs two factors sets them up before anything else."""

from __future__ import annotations

from sqlalchemy import func, select

from lbt.accounts.models import Role, UserSession
from lbt.accounts.two_factor import services, totp
from lbt.accounts.two_factor.models import RecoveryCode, TwoFactorSecret
from lbt.api.services import create_token
from tests.fixtures import two_factor
from tests.fixtures.clients import Client
from tests.fixtures.factories import make_user
from tests.fixtures.passwords import PASSWORD


def _password(client: Client, username: str, url: str = "/login", **kwargs):  # type: ignore[no-untyped-def]
    return client.submit(url, {"username": username, "password": PASSWORD}, **kwargs)


def _code(client: Client, code: str, **kwargs):  # type: ignore[no-untyped-def]
    return client.submit("/login/two-factor", {"code": code}, **kwargs)


def _code_now(username: str, clock, offset: int = 0) -> str:  # type: ignore[no-untyped-def]
    return two_factor.code_for(two_factor.secret_for(username), totp.step_at(clock()) + offset)


def _logins(db, user) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


def _wrong(username: str, clock) -> str:  # type: ignore[no-untyped-def]
    """A six-digit code that is none of the three the app takes now."""
    taken = {_code_now(username, clock, offset) for offset in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in taken)


# --- the second step -----------------------------------------------------------------------------


def test_the_right_password_leads_to_the_code_step_which_grants_nothing_else(client, users, db):
    response = _password(client, "officer")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/two-factor"
    for page in ("/applications/", "/account/password", "/account/two-factor", "/admin/users"):
        refused = client.get(page)
        assert refused.status_code == 302 and refused.headers["Location"].startswith("/login?next="), page
    assert client.get("/api/v1/revocations").status_code == 401
    assert _logins(db, users[Role.OFFICER]) == 0
    page = client.get("/login/two-factor")
    assert page.status_code == 200
    assert "authenticator app" in page.get_data(as_text=True)


def test_the_right_code_logs_in(client, users, db, clock):
    _password(client, "officer")
    response = _code(client, _code_now("officer", clock))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/applications/").status_code == 200
    assert _logins(db, users[Role.OFFICER]) == 1


def test_a_wrong_code_is_refused_beside_its_field_and_logs_nobody_in(client, users, db, clock):
    _password(client, "officer")
    response = _code(client, _wrong("officer", clock))
    assert response.status_code == 401
    assert "This code is wrong." in response.get_data(as_text=True)
    assert _logins(db, users[Role.OFFICER]) == 0
    assert client.get("/applications/").status_code == 302
    assert _code(client, _code_now("officer", clock)).status_code == 302  # the step is still open


def test_a_code_is_taken_once_even_from_another_browser(app, client, users, clock):
    code = _code_now("officer", clock)
    _password(client, "officer")
    assert _code(client, code).status_code == 302
    thief: Client = app.test_client()  # type: ignore[assignment]
    _password(thief, "officer")
    replayed = _code(thief, code)
    assert replayed.status_code == 401
    assert "This code was used already." in replayed.get_data(as_text=True)
    assert thief.get("/applications/").status_code == 302
    assert _code(thief, _code_now("officer", clock, 1)).status_code == 302  # the app's next code


def test_an_earlier_code_is_refused_after_a_later_one(app, client, users, clock):
    _password(client, "officer")
    assert _code(client, _code_now("officer", clock, 1)).status_code == 302
    other: Client = app.test_client()  # type: ignore[assignment]
    _password(other, "officer")
    assert _code(other, _code_now("officer", clock)).status_code == 401


def test_codes_of_more_than_one_step_away_are_refused(client, users, clock):
    _password(client, "officer")
    for offset in (-3, -2, 2, 3):
        assert _code(client, _code_now("officer", clock, offset)).status_code == 401


def test_the_half_login_ends_after_five_minutes(client, users, clock):
    _password(client, "officer")
    clock.advance(minutes=5, seconds=1)
    response = _code(client, _code_now("officer", clock))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Log in again" in client.get("/login").get_data(as_text=True)
    assert client.get("/applications/").status_code == 302


def test_the_code_step_without_a_right_password_sends_to_the_login(client, users, clock):
    assert client.get("/login/two-factor").headers["Location"] == "/login"
    response = _code(client, _code_now("officer", clock))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    client.submit("/login", {"username": "officer", "password": "not the password"})
    assert client.get("/login/two-factor").headers["Location"] == "/login"


def test_the_page_asked_for_is_kept_through_the_second_step_and_a_foreign_one_dropped(client, users, clock):
    _password(client, "officer", "/login?next=/permits/")
    assert _code(client, _code_now("officer", clock)).headers["Location"] == "/permits/"
    client.submit("/logout")
    _password(client, "officer", "/login?next=//evil.example/")
    assert _code(client, _code_now("officer", clock, 1)).headers["Location"] == "/"


def test_the_code_form_needs_its_csrf_token(client, users, clock):
    _password(client, "officer")
    response = client.post("/login/two-factor", data={"code": _code_now("officer", clock)})
    assert response.status_code == 400
    assert client.get("/applications/").status_code == 302


def test_a_bearer_token_needs_no_code(client, users, db, clock):
    _token, plain = create_token(db, users[Role.BORDER_GUARD], name="tablet", now=clock())
    response = client.get("/api/v1/revocations", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 200


def test_an_optional_role_without_two_factor_logs_in_with_the_password_alone(client, db, ref):
    make_user(db, "guard2", Role.BORDER_GUARD, two_factor=False, crossing_points=[ref.crossing_point])
    response = _password(client, "guard2")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/crossings/verify").status_code == 200


def test_an_optional_role_that_turned_it_on_is_asked_for_a_code(client, users):
    assert _password(client, "guard").headers["Location"] == "/login/two-factor"


# --- recovery codes ------------------------------------------------------------------------------


def _officers_recovery_codes(db, users, clock) -> list[str]:  # type: ignore[no-untyped-def]
    """The officer's new recovery codes, asked for with a current code."""
    return services.new_recovery_codes(
        db,
        users[Role.OFFICER],
        _code_now("officer", clock),
        attempt=services.Attempt("ip:x", 5, 15),
        now=clock(),
    )


def test_a_recovery_code_logs_in_once(app, client, users, db, clock):
    codes = _officers_recovery_codes(db, users, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    _password(client, "officer")
    response = _code(client, f"  {codes[3].upper()} ")  # as read off paper
    assert response.status_code == 302
    assert "9 are left" in client.get("/").get_data(as_text=True)
    again: Client = app.test_client()  # type: ignore[assignment]
    _password(again, "officer")
    assert _code(again, codes[3]).status_code == 401
    assert _code(again, codes[4].replace("-", "")).status_code == 302
    used = db.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None)))
    assert used == 2


def test_recovery_codes_are_stored_hashed(users, db, clock):
    codes = _officers_recovery_codes(db, users, clock)
    stored = " ".join(db.scalars(select(RecoveryCode.code_hash)))
    assert stored.count("$argon2id$") == 10
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored


# --- locks and throttles, as for the password ----------------------------------------------------


def test_five_wrong_codes_lock_the_second_step_for_this_client(app, client, users, clock):
    _password(client, "officer")
    for _attempt in range(4):
        assert _code(client, _wrong("officer", clock)).status_code == 401
    locked = _code(client, _wrong("officer", clock))
    assert locked.status_code == 302 and locked.headers["Location"] == "/login"
    assert "Too many wrong codes" in client.get("/login").get_data(as_text=True)
    _password(client, "officer")  # the password is right, but the codes stay locked
    assert _code(client, _code_now("officer", clock)).headers["Location"] == "/login"
    assert client.get("/applications/").status_code == 302
    elsewhere: Client = app.test_client()  # type: ignore[assignment]
    assert elsewhere.login("officer", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 302
    clock.advance(minutes=16)
    assert client.login("officer").status_code == 302


def test_a_right_password_does_not_forget_the_wrong_codes(client, users, clock):
    _password(client, "officer")
    for _attempt in range(4):
        assert _code(client, _wrong("officer", clock)).status_code == 401
    _password(client, "officer")
    assert _code(client, _wrong("officer", clock)).headers["Location"] == "/login"  # the fifth in a row


def test_wrong_codes_from_one_address_are_throttled_with_429(make_app, settings, users, clock):
    app = make_app(settings.with_changes(login_max_failures=1000))  # the throttle, not the lock, stops here
    client: Client = app.test_client()  # type: ignore[assignment]
    address = {"REMOTE_ADDR": "203.0.113.66"}
    _password(client, "officer", environ_base=address)
    for _attempt in range(10):
        assert _code(client, _wrong("officer", clock), environ_base=address).status_code == 401
    refused = _code(client, _code_now("officer", clock), environ_base=address)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0


def test_wrong_codes_for_one_account_are_throttled_whatever_the_address(make_app, settings, users, clock):
    app = make_app(settings.with_changes(login_max_failures=1000))
    client: Client = app.test_client()  # type: ignore[assignment]
    for attempt in range(30):  # one guess from each address
        address = {"REMOTE_ADDR": f"198.51.100.{attempt}"}
        _password(client, "officer", environ_base=address)
        assert _code(client, _wrong("officer", clock), environ_base=address).status_code == 401
    address = {"REMOTE_ADDR": "198.51.100.200"}
    _password(client, "officer", environ_base=address)
    assert _code(client, _code_now("officer", clock), environ_base=address).status_code == 429


# --- a role that needs two factors, without them ------------------------------------------------


def test_a_required_role_without_two_factor_sets_it_up_before_anything_else(client, db, ref, clock):
    officer = make_user(db, "officer2", Role.OFFICER, two_factor=False, agreements=[ref.agreement])
    response = _password(client, "officer2")
    assert response.headers["Location"] == "/login/two-factor/enrol"
    for page in ("/applications/", "/account/two-factor"):
        assert client.get(page).headers["Location"].startswith("/login?next="), page
    assert "Log out" not in client.get("/").get_data(as_text=True)  # the public landing page
    assert client.get("/login/two-factor").headers["Location"] == "/login"  # not the code step either
    page = client.get("/login/two-factor/enrol").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'role="img"' in page
    secret = two_factor.secret_on_page(page)
    wrong = client.submit("/login/two-factor/enrol", {"code": _wrong("officer2", clock)})
    assert wrong.status_code == 400 and "This code is wrong." in wrong.get_data(as_text=True)
    assert _logins(db, officer) == 0
    done = client.submit(
        "/login/two-factor/enrol", {"code": two_factor.code_for(secret, totp.step_at(clock()))}
    )
    shown = done.get_data(as_text=True)
    assert done.status_code == 200 and "Your recovery codes" in shown
    assert shown.count("<li><code>") == 10
    assert client.get("/applications/").status_code == 200
    assert db.scalar(select(TwoFactorSecret.secret).where(TwoFactorSecret.user_id == officer.id)) == secret
    # the recovery codes were shown this once: the account page only counts them
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<li><code>" not in page and "Recovery codes left" in page


def test_each_visit_of_the_enrolment_page_shows_a_new_key(client, db, ref, clock):
    make_user(db, "officer2", Role.OFFICER, two_factor=False, agreements=[ref.agreement])
    _password(client, "officer2")
    first = two_factor.secret_on_page(client.get("/login/two-factor/enrol").get_data(as_text=True))
    second = two_factor.secret_on_page(client.get("/login/two-factor/enrol").get_data(as_text=True))
    assert first != second
    old = client.submit(
        "/login/two-factor/enrol", {"code": two_factor.code_for(first, totp.step_at(clock()))}
    )
    assert old.status_code == 400  # a key someone else saw on this page before is worth nothing


def test_the_helper_logs_a_new_required_user_in_through_enrolment(client, db, ref):
    make_user(db, "auditor2", Role.AUDITOR, two_factor=False)
    assert client.login("auditor2").status_code == 200  # the page of recovery codes
    assert client.get("/audit/").status_code == 200
