"""Security keys, the pages: adding, listing and removing keys on /account/two-factor and logging in
with one at the second step, with the software authenticator answering the options the page holds
(as static/js/security-keys.js hands them to the browser). Bad JSON, a replayed answer, a foreign
origin, a wrong challenge: a 4xx answer and nothing stored; refused keys lock like wrong codes."""

from __future__ import annotations

import dataclasses
import html
import json
import re

from sqlalchemy import func, select

from lbt.accounts.models import Role, UserSession
from lbt.accounts.two_factor import security_keys as keys
from lbt.accounts.two_factor import services, totp
from lbt.accounts.two_factor.models import SecurityKey
from tests.fixtures.factories import make_user
from tests.fixtures.passwords import PASSWORD
from tests.fixtures.security_key import SoftKey, b64url

ORIGIN = "http://localhost"  # the tests' LBT_PUBLIC_URL
RP = keys.RelyingParty(id="localhost", name="LBT TJ", origin=ORIGIN)
OPTIONS_RE = re.compile(r'data-options="([^"]*)"')


def _options(page: str) -> str:
    match = OPTIONS_RE.search(page)
    assert match and match.group(1), "no security-key options on the page"
    return html.unescape(match.group(1))


def _keys(db, user) -> list[SecurityKey]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return keys.keys_of(db, user)


def _logins(db, user) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)) or 0


def _with_key(db, clock, username: str, key: SoftKey, role: Role = Role.OFFICER):  # type: ignore[no-untyped-def]
    """A user whose only second factor is ``key`` (added through the services, as the page would)."""
    user = make_user(db, username, role, two_factor=False)
    options = keys.registration_options(db, user, RP, now=clock())
    keys.register(db, user, RP, key.create(options, ORIGIN), "Blue key", now=clock())
    db.flush()
    return user


def _password(app, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.submit("/login", {"username": username, "password": PASSWORD})
    assert response.headers["Location"] == "/login/two-factor"
    return client


def test_an_officer_adds_a_key_on_the_account_page_and_removes_it(app, db, users):
    officer = users[Role.OFFICER]
    client = app.test_client()
    assert client.login(officer.username).status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Add a security key" in page and "js/security-keys.js" in page
    options = _options(page)
    assert json.loads(options)["rp"]["id"] == "localhost"
    key = SoftKey()
    done = client.submit(
        "/account/two-factor/keys", {"name": "Blue key", "credential": key.create(options, ORIGIN)}
    )
    assert done.status_code == 302, done.get_data(as_text=True)  # the app came first: no new codes
    [stored] = _keys(db, officer)
    assert stored.name == "Blue key"
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Blue key" in page and "Remove “Blue key”" in page
    assert json.loads(_options(page))["excludeCredentials"][0]["id"] == b64url(key.credential_id)

    # someone else's key cannot be removed by this officer
    other = _with_key(db, app.extensions["lbt"].clock, "officer.other", SoftKey())
    [others] = _keys(db, other)
    assert client.submit(f"/account/two-factor/keys/{others.id}/remove").status_code == 404
    removed = client.submit(f"/account/two-factor/keys/{stored.id}/remove")
    assert removed.status_code == 302 and _keys(db, officer) == [] and len(_keys(db, other)) == 1


def test_a_guard_adds_a_first_key_and_gets_recovery_codes(app, db, ref):
    make_user(db, "guard.key", Role.BORDER_GUARD, two_factor=False, crossing_points=[ref.crossing_point])
    client = app.test_client()
    assert client.login("guard.key").headers["Location"] == "/"
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Set up two-factor login" in page  # the app's setup, with the keys below it
    done = client.submit(
        "/account/two-factor/keys", {"name": "Phone", "credential": SoftKey().create(_options(page), ORIGIN)}
    )
    assert done.status_code == 200 and "Your recovery codes" in done.get_data(as_text=True)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Set up an authenticator app" in page and "Recovery codes left" in page


def test_answers_that_prove_no_key_add_nothing(app, db, users):
    officer = users[Role.OFFICER]
    client = app.test_client()
    client.login(officer.username)
    key = SoftKey()
    bad = {
        "bad JSON": lambda options: "{not json",
        "a list": lambda options: "[]",
        "a foreign origin": lambda options: key.create(options, "https://evil.example"),
        "a wrong challenge": lambda options: key.create(
            json.dumps({**json.loads(options), "challenge": b64url(b"z" * 32)}), ORIGIN
        ),
        "no name": None,
    }
    for name, answer in bad.items():
        options = _options(client.get("/account/two-factor").get_data(as_text=True))
        data = {"name": "Key", "credential": answer(options) if answer else key.create(options, ORIGIN)}
        if answer is None:
            data["name"] = ""
        response = client.submit("/account/two-factor/keys", data)
        assert response.status_code == 400, name
        assert "alert" in response.get_data(as_text=True), name
        assert _keys(db, officer) == [], name

    # a good answer sent twice: the second finds its challenge taken
    options = _options(client.get("/account/two-factor").get_data(as_text=True))
    answer = key.create(options, ORIGIN)
    assert client.submit("/account/two-factor/keys", {"name": "Key", "credential": answer}).status_code == 302
    again = client.submit("/account/two-factor/keys", {"name": "Key 2", "credential": answer})
    assert again.status_code == 400 and len(_keys(db, officer)) == 1
    assert (
        client.post("/account/two-factor/keys", data={"name": "x", "credential": answer}).status_code == 400
    )  # no CSRF


def test_logging_in_with_a_key_and_its_counter_growing(app, db, clock):
    key = SoftKey()
    user = _with_key(db, clock, "officer.key", key)
    for round_ in range(2):
        client = _password(app, user.username)
        page = client.get("/login/two-factor").get_data(as_text=True)
        assert "Use a security key" in page and "type one of your recovery codes" in page
        response = client.submit("/login/two-factor/key", {"credential": key.get(_options(page), ORIGIN)})
        assert response.status_code == 302 and response.headers["Location"] == "/", round_
        assert client.get("/").status_code == 200
        assert _keys(db, user)[0].sign_count == 2 + round_
    assert _logins(db, user) == 2


def test_a_replayed_foreign_or_wrong_answer_starts_no_login(app, db, clock):
    key = SoftKey()
    user = _with_key(db, clock, "officer.replay", key)
    client = _password(app, user.username)
    options = _options(client.get("/login/two-factor").get_data(as_text=True))
    answer = key.get(options, ORIGIN)
    assert client.submit("/login/two-factor/key", {"credential": answer}).status_code == 302

    other = _password(app, user.username)
    attempts = {
        "replayed": lambda options: answer,
        "a foreign origin": lambda options: key.get(options, "https://evil.example"),
        "a wrong challenge": lambda options: key.get(options, ORIGIN, challenge=b64url(b"w" * 32)),
    }
    for name, make in attempts.items():
        options = _options(other.get("/login/two-factor").get_data(as_text=True))
        response = other.submit("/login/two-factor/key", {"credential": make(options)})
        assert response.status_code == 401, name
        assert "refused" in response.get_data(as_text=True), name
    for bad in ("", "{", json.dumps({"id": 1}), "x" * 20_000):
        response = other.submit("/login/two-factor/key", {"credential": bad})
        assert response.status_code == 400, bad[:10]
    assert _logins(db, user) == 1 and _keys(db, user)[0].sign_count == 2
    assert other.get("/account/two-factor").status_code in (302, 401)  # not logged in


def test_refused_keys_lock_the_second_step_like_wrong_codes(app, db, clock, settings):
    key = SoftKey()
    user = _with_key(db, clock, "officer.lock", key)
    client = _password(app, user.username)
    for _ in range(settings.login_max_failures - 1):
        options = _options(client.get("/login/two-factor").get_data(as_text=True))
        response = client.submit(
            "/login/two-factor/key", {"credential": key.get(options, "https://evil.example")}
        )
        assert response.status_code == 401
    options = _options(client.get("/login/two-factor").get_data(as_text=True))
    locked = client.submit("/login/two-factor/key", {"credential": key.get(options, "https://evil.example")})
    assert locked.status_code == 302 and locked.headers["Location"] == "/login"
    client = _password(app, user.username)
    options = _options(client.get("/login/two-factor").get_data(as_text=True))
    still = client.submit("/login/two-factor/key", {"credential": key.get(options, ORIGIN)})
    assert still.status_code == 302 and still.headers["Location"] == "/login"  # the right key, while locked
    assert _logins(db, user) == 0


def test_without_a_half_login_the_key_step_sends_back_to_the_password(app):
    client = app.test_client()
    response = client.submit("/login/two-factor/key", {"credential": "{}"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_the_last_key_of_a_role_that_needs_two_factors_stays(app, db, clock):
    key = SoftKey()
    user = _with_key(db, clock, "officer.last", key)
    client = _password(app, user.username)
    options = _options(client.get("/login/two-factor").get_data(as_text=True))
    client.submit("/login/two-factor/key", {"credential": key.get(options, ORIGIN)})
    [only] = _keys(db, user)
    refused = client.submit(f"/account/two-factor/keys/{only.id}/remove", follow_redirects=True)
    assert "must log in with two factors" in refused.get_data(as_text=True)
    assert len(_keys(db, user)) == 1


def test_where_the_public_address_is_an_ip_address_the_page_says_keys_cannot_work(
    make_app, settings, db, users
):
    app = make_app(dataclasses.replace(settings, public_url="http://127.0.0.1:5000"))
    client = app.test_client()
    client.login(users[Role.OFFICER].username)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Security keys work only where this site is reached by a domain name" in page
    assert 'data-options=""' in page


def test_a_required_role_without_a_factor_may_set_up_a_key_at_login_instead_of_the_app(app, db, ref):
    officer = make_user(db, "officer.nokey", Role.OFFICER, two_factor=False, agreements=[ref.agreement])
    client = app.test_client()
    response = client.submit("/login", {"username": officer.username, "password": PASSWORD})
    assert response.headers["Location"] == "/login/two-factor/enrol"
    page = client.get("/login/two-factor/enrol").get_data(as_text=True)
    assert "or a security key" in page and 'action="/login/two-factor/enrol/key"' in page
    key = SoftKey()
    # a refused answer: the setup page again with the reason, no key, no login
    wrong = client.submit(
        "/login/two-factor/enrol/key",
        {"name": "Blue key", "credential": key.create(_options(page), "https://evil.example")},
    )
    assert wrong.status_code == 400 and "alert" in wrong.get_data(as_text=True)
    assert _keys(db, officer) == [] and _logins(db, officer) == 0
    assert client.get("/applications/").headers["Location"].startswith("/login?next=")

    page = client.get("/login/two-factor/enrol").get_data(as_text=True)
    done = client.submit(
        "/login/two-factor/enrol/key", {"name": "Blue key", "credential": key.create(_options(page), ORIGIN)}
    )
    shown = done.get_data(as_text=True)
    assert done.status_code == 200 and "Your recovery codes" in shown and shown.count("<li><code>") == 10
    assert [stored.name for stored in _keys(db, officer)] == ["Blue key"] and _logins(db, officer) == 1
    assert client.get("/applications/").status_code == 200
    # the next login asks for the key, not for a setup
    again = app.test_client()
    assert (
        again.submit("/login", {"username": officer.username, "password": PASSWORD}).headers["Location"]
        == "/login/two-factor"
    )


def test_the_key_setup_at_login_needs_the_password_step_and_its_csrf_token(app):
    client = app.test_client()
    response = client.submit("/login/two-factor/enrol/key", {"name": "Key", "credential": "{}"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert (
        client.post("/login/two-factor/enrol/key", data={"name": "Key", "credential": "{}"}).status_code
        == 400
    )


def test_a_half_login_from_before_a_factor_was_set_up_cannot_set_up_another(app, db, ref, clock):
    """The password was given while the user had no second factor; they set up the app in another
    browser: the first browser may neither add a key nor the app and log in without proving it."""
    officer = make_user(db, "officer.late", Role.OFFICER, two_factor=False, agreements=[ref.agreement])
    client = app.test_client()
    client.submit("/login", {"username": officer.username, "password": PASSWORD})
    page = client.get("/login/two-factor/enrol").get_data(as_text=True)
    secret = totp.new_secret()
    services.enrol(db, officer, secret, totp.code_at_step(secret, totp.step_at(clock())), now=clock())
    db.commit()

    key = SoftKey()
    response = client.submit(
        "/login/two-factor/enrol/key", {"name": "Mine", "credential": key.create(_options(page), ORIGIN)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert _keys(db, officer) == [] and _logins(db, officer) == 0
    assert client.get("/login/two-factor/enrol").headers["Location"] == "/login"  # the half login is gone
