from __future__ import annotations

from sqlalchemy import select

from lbt.accounts.models import LoginFailure, Role
from tests.fixtures.passwords import PASSWORD


def test_demo_style_login_reaches_the_role_home_page(client, users):
    response = client.login("officer")
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "TJ-KG" in home.get_data(as_text=True)


def test_wrong_password_is_refused_with_a_clear_message(client, users):
    response = client.login("officer", "not the password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client, users):
    response = client.login("nobody", "whatever it is")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_name_for_this_client_even_for_the_right_password(
    client, users, db, clock
):
    for _ in range(5):
        assert client.login("guard", "wrong password").status_code == 401
    right = client.login("guard", PASSWORD)
    assert right.status_code == 401
    assert "Wrong username or password." in right.get_data(as_text=True)  # nothing says "locked"
    assert db.scalar(select(LoginFailure).filter_by(username="guard")).locked_until is not None

    clock.advance(minutes=16)
    assert client.login("guard", PASSWORD).status_code == 302


def test_a_form_posted_without_its_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"username": "officer", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_logout_ends_the_session(login_as):
    client = login_as(Role.ADMIN)
    assert client.get("/admin/users").status_code == 200
    assert client.submit("/logout").status_code == 302
    assert client.get("/admin/users").status_code == 302  # back to the login page


def test_changing_the_password_ends_other_logins(login_as, app):
    first = login_as(Role.OFFICER)
    second = login_as(Role.OFFICER)
    response = first.submit(
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/account/password", follow_redirects=False).headers["Location"].startswith("/login")


def test_a_short_new_password_is_refused_beside_its_field(login_as):
    client = login_as(Role.OFFICER)
    response = client.submit(
        "/account/password", {"current_password": PASSWORD, "password": "short", "confirm": "short"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "between 10 and 256 characters" in page


def test_visitors_without_an_account_find_the_application_and_the_staff_login(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/apply/"' in page and 'href="/apply/status"' in page and 'href="/login"' in page


def test_the_language_switch_goes_back_to_the_page_it_was_used_on(client):
    response = client.submit("/language", {"locale": "ru", "next": "/apply/status"})
    assert response.headers["Location"] == "/apply/status"
    back = client.submit(
        "/language", {"locale": "tg", "next": ""}, headers={"Referer": "http://localhost/apply/"}
    )
    assert back.headers["Location"] == "/apply/"
    elsewhere = client.submit("/language", {"locale": "en"}, headers={"Referer": "https://evil.example/x"})
    assert elsewhere.headers["Location"] == "/"
