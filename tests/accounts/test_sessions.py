"""Logins end on the server: a copied cookie is worth nothing after logout; API tokens open the API
only; the API answers a call without valid credentials with 401 and a Bearer challenge."""

from __future__ import annotations

from sqlalchemy import select

from lbt.accounts.models import Role, SessionEnd, UserSession
from lbt.api.services import create_token
from tests.fixtures.clients import Client
from tests.fixtures.passwords import PASSWORD

SESSION_COOKIE = "lbt_session"


def _copy_of(app, client: Client) -> Client:  # type: ignore[no-untyped-def]
    """Another client holding the same login cookie, as someone who copied it would."""
    thief: Client = app.test_client()
    thief.set_cookie(SESSION_COOKIE, client.get_cookie(SESSION_COOKIE).value)  # type: ignore[union-attr]
    return thief


def _to_login(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_copied_session_cookie_is_refused_after_logout(app, login_as):
    officer = login_as(Role.OFFICER)
    thief = _copy_of(app, officer)
    assert thief.get("/applications/").status_code == 200  # the copy works while the login is open

    assert officer.submit("/logout").status_code == 302
    assert _to_login(thief.get("/applications/"))
    assert _to_login(officer.get("/applications/"))


def test_logout_ends_the_login_row_on_the_server(login_as, db, users):
    officer = login_as(Role.OFFICER)
    officer.submit("/logout")
    [login] = db.scalars(select(UserSession).filter_by(user_id=users[Role.OFFICER].id))
    assert login.end_reason is SessionEnd.LOGOUT and login.ended_at is not None


def test_a_cookie_copied_into_another_browser_is_refused_and_ends_that_login(app, login_as):
    officer = login_as(Role.OFFICER)
    thief = _copy_of(app, officer)
    assert _to_login(thief.get("/applications/", headers={"User-Agent": "curl/8.5.0"}))
    assert _to_login(officer.get("/applications/"))  # burnt for its owner too: log in again


def test_logging_out_everywhere_ends_every_login_of_the_user(login_as):
    phone, desk = login_as(Role.OFFICER), login_as(Role.OFFICER)
    guard = login_as(Role.BORDER_GUARD)
    page = desk.get("/account/sessions").get_data(as_text=True)
    assert page.count("<tr>") == 3 and "This browser" in page  # header row and two logins

    response = phone.submit("/logout/everywhere")
    assert _to_login(response)
    assert _to_login(desk.get("/applications/")) and _to_login(phone.get("/applications/"))
    assert guard.get("/").status_code == 200  # another user's login holds


def test_an_administrator_sees_and_ends_a_users_logins(login_as, db, users):
    admin, officer = login_as(Role.ADMIN), login_as(Role.OFFICER)
    other = login_as(Role.OFFICER)
    officer_id = users[Role.OFFICER].id
    page = admin.get(f"/admin/users/{officer_id}").get_data(as_text=True)
    assert page.count("End this login") == 2

    first = db.scalars(select(UserSession).filter_by(user_id=officer_id).order_by(UserSession.id)).first()
    response = admin.submit(f"/admin/users/{officer_id}/logins/{first.id}/end")  # type: ignore[union-attr]
    assert "The login was ended." in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert _to_login(officer.get("/applications/"))
    assert other.get("/applications/").status_code == 200

    admin.submit(f"/admin/users/{officer_id}/logout")
    assert _to_login(other.get("/applications/"))
    assert "Not logged in anywhere." in admin.get(f"/admin/users/{officer_id}").get_data(as_text=True)
    assert admin.get("/admin/users").status_code == 200  # the administrator's own login holds


def test_an_administrator_cannot_end_another_users_login_by_its_number(login_as, db, users):
    admin, officer = login_as(Role.ADMIN), login_as(Role.OFFICER)
    login = db.scalar(select(UserSession).filter_by(user_id=users[Role.OFFICER].id))
    guard_id = users[Role.BORDER_GUARD].id
    response = admin.submit(f"/admin/users/{guard_id}/logins/{login.id}/end")  # type: ignore[union-attr]
    assert "No such login." in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert officer.get("/applications/").status_code == 200


def test_a_password_set_by_an_administrator_ends_the_users_logins(login_as, users):
    admin, officer = login_as(Role.ADMIN), login_as(Role.OFFICER)
    new = "a completely new passphrase"
    response = admin.submit(
        f"/admin/users/{users[Role.OFFICER].id}/password", {"password": new, "confirm": new}
    )
    assert response.status_code == 302
    assert _to_login(officer.get("/applications/"))
    assert admin.get("/admin/users").status_code == 200


# --- bearer tokens: the API's credential, nowhere else ---------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_api_token_does_not_open_html_pages(client, db, users, clock):
    officer = create_token(db, users[Role.OFFICER], name="script", now=clock())[1]
    admin = create_token(db, users[Role.ADMIN], name="script", now=clock())[1]
    assert _to_login(client.get("/applications/", headers=_bearer(officer)))
    assert _to_login(client.get("/admin/users", headers=_bearer(admin)))
    response = client.post("/admin/users/new", data={"username": "x"}, headers=_bearer(admin))
    assert response.status_code in (302, 400)  # refused before the form: never a user created
    assert "x" not in {user.username for user in users.values()}


def test_an_api_call_without_credentials_answers_401_with_a_bearer_challenge(client):
    for response in (
        client.post("/api/v1/crossings", json=[]),
        client.post("/api/v1/verify", json={"token": "x"}),
        client.get("/api/v1/revocations"),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="lbt"'
        body = response.get_json()
        assert body["status"] == 401 and "Authorization: Bearer" in body["error"]


def test_an_unknown_or_revoked_token_answers_401_invalid_token(client, db, users, clock):
    from lbt.api.services import revoke_token

    token, plain = create_token(db, users[Role.BORDER_GUARD], name="lost tablet", now=clock())
    revoke_token(db, token, clock())
    db.flush()
    for sent in ("lbt_not_a_token", plain, ""):
        response = client.post("/api/v1/verify", json={"token": "x"}, headers=_bearer(sent))
        assert response.status_code == 401
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer ")
        assert ('error="invalid_token"' in challenge) == bool(sent)


def test_an_invalid_token_does_not_spare_a_logged_in_browser_its_csrf_check(login_as):
    guard = login_as(Role.BORDER_GUARD)
    # before, any "Authorization: Bearer" header skipped the CSRF check, and the session cookie spoke
    response = guard.post("/api/v1/verify", json={"token": "x"}, headers=_bearer("lbt_forged"))
    assert response.status_code == 401
    assert guard.post("/api/v1/verify", json={"token": "x"}).status_code == 400  # CSRF, as before
    token = guard.csrf_token()
    assert (
        guard.post("/api/v1/verify", json={"token": "x"}, headers={"X-CSRFToken": token}).status_code == 200
    )


def test_a_valid_token_speaks_for_its_own_user_whatever_cookie_comes_with_it(login_as, db, users, clock):
    officer = login_as(Role.OFFICER)  # an officer may not use the guards' API
    guard_token = create_token(db, users[Role.BORDER_GUARD], name="tablet", now=clock())[1]
    assert officer.post("/api/v1/verify", json={"token": "x"}).status_code == 400  # no CSRF token
    assert (
        officer.post("/api/v1/verify", json={"token": "x"}, headers=_bearer(guard_token)).status_code == 200
    )


# --- cookies ---------------------------------------------------------------------------------------


def _set_cookies(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.headers.getlist("Set-Cookie")


def test_anonymous_responses_carry_no_remember_token_cookie(client, users):
    responses = [client.get("/login"), client.get("/"), client.get("/apply/status"), client.get("/")]
    responses.append(client.login("officer", "wrong password"))
    for response in responses:
        assert not [cookie for cookie in _set_cookies(response) if cookie.startswith("remember_token")]


def test_logging_in_and_out_sets_no_remember_token_cookie(client, users):
    responses = [client.login("officer", PASSWORD), client.get("/"), client.submit("/logout")]
    for response in responses:
        assert not [cookie for cookie in _set_cookies(response) if cookie.startswith("remember_token")]
