"""Security headers, cookies, no inline code, caching of personal pages, language switch, safe redirects."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from lbt.accounts.models import Role
from lbt.core.settings import Settings
from lbt.web.i18n import LOCALE_COOKIE
from lbt.web.security import AUTHENTICATED, PUBLIC, access_of, is_safe_next
from tests.fixtures.clients import Client
from tests.fixtures.passwords import PASSWORD

INLINE_SCRIPT_RE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE_RE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT_RE = re.compile(r"<style[\s>]", re.IGNORECASE)
EVENT_HANDLER_RE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL_RE = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
HTML_LANG_RE = re.compile(r'<html lang="([^"]+)"')

EVIL = "https://evil.example/steal"


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def _html_lang(response) -> str:  # type: ignore[no-untyped-def]
    match = HTML_LANG_RE.search(response.get_data(as_text=True))
    assert match, "no <html lang> on the page"
    return match.group(1)


# --- headers -----------------------------------------------------------------------------------


def test_the_content_security_policy_forbids_inline_scripts_and_styles(client):
    response = client.get("/login")
    csp = _csp(response)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("url", ["/login", "/no-such-page", "/healthz"])
def test_every_response_forbids_sniffing_and_framing(client, url):
    response = client.get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_session_cookie_is_http_only_and_same_site_lax_on_plain_http(client, users):
    response = client.login("officer")
    assert response.status_code == 302
    cookie = _set_cookie(response, "lbt_session")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie.split("; ")  # http://localhost could not send it back otherwise


@pytest.fixture
def https_app(settings: Settings, make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(settings.with_changes(public_url="https://lbt.example"))


def test_the_session_cookie_is_secure_when_the_site_is_served_over_https(https_app, users):
    client: Client = https_app.test_client()  # type: ignore[assignment]  # speaks https, as configured
    response = client.submit(
        "/login",
        {"username": "officer", "password": PASSWORD},
        headers={"Referer": "https://localhost/login"},  # Flask-WTF checks the referrer over https
    )
    assert response.status_code == 302
    cookie = _set_cookie(response, "lbt_session")
    assert "secure" in cookie.split("; ")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def _set_cookie(response, name: str) -> str:  # type: ignore[no-untyped-def]
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith(f"{name}=")]
    assert cookies, f"no {name} cookie set"
    return cookies[-1].lower()


# --- no inline code ----------------------------------------------------------------------------


def _inline_code(page: str) -> list[str]:
    found = []
    for pattern in (
        INLINE_SCRIPT_RE,
        STYLE_ATTRIBUTE_RE,
        STYLE_ELEMENT_RE,
        EVENT_HANDLER_RE,
        JAVASCRIPT_URL_RE,
    ):
        found += pattern.findall(page)
    return found


def test_the_inline_code_check_would_notice_inline_code():
    page = '<p style="color:red" onclick="x()">a</p><script>alert(1)</script><script src="/s.js"></script>'
    assert len(_inline_code(page)) == 3
    assert (
        _inline_code('<link rel="stylesheet" href="/static/css/lbt.css"><script src="/a.js"></script>') == []
    )


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_no_page_a_role_can_open_carries_inline_code(app, login_as, role):
    client = login_as(role)
    urls = ["/", "/no-such-page"]
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            access = access_of(app.view_functions[rule.endpoint])
            allowed = access in (PUBLIC, AUTHENTICATED) or (isinstance(access, frozenset) and role in access)
            if rule.endpoint != "static" and "GET" in (rule.methods or ()) and not rule.arguments and allowed:
                urls.append(app.url_for(rule.endpoint))
    for url in urls:
        response = client.get(url)
        if response.mimetype == "text/html":
            assert _inline_code(response.get_data(as_text=True)) == [], url


def test_the_login_and_error_pages_carry_no_inline_code(client):
    for url in ("/login", "/no-such-page"):
        page = client.get(url).get_data(as_text=True)
        assert _inline_code(page) == [], url


# --- caching ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/account/password", "/admin/users", "/no-such-page"])
def test_pages_for_a_logged_in_user_are_never_cached(login_as, url):
    response = login_as(Role.ADMIN).get(url)
    assert response.headers.get("Cache-Control") == "no-store"


def test_a_refusal_shown_to_a_logged_in_user_is_not_cached_either(login_as):
    response = login_as(Role.AUDITOR).get("/admin/users")
    assert response.status_code == 403
    assert response.headers.get("Cache-Control") == "no-store"


# --- language ------------------------------------------------------------------------------------


def test_the_language_switch_sets_the_cookie_and_the_page_language(client):
    assert _html_lang(client.get("/login")) == "en"
    response = client.submit("/language", {"locale": "ru", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    cookie = _set_cookie(response, LOCALE_COOKIE)
    assert cookie.startswith(f"{LOCALE_COOKIE}=ru;")
    assert "samesite=lax" in cookie
    assert _html_lang(client.get("/login")) == "ru"


def test_an_unknown_language_changes_nothing(client):
    response = client.submit("/language", {"locale": "xx", "next": "/login"})
    assert response.status_code == 302
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{LOCALE_COOKIE}=")]
    assert _html_lang(client.get("/login")) == "en"


def test_a_logged_in_user_keeps_the_chosen_language_in_their_account(login_as, users, db):
    client = login_as(Role.BORDER_GUARD)
    client.submit("/language", {"locale": "tg", "next": "/"})
    db.refresh(users[Role.BORDER_GUARD])
    assert users[Role.BORDER_GUARD].locale == "tg"
    client.delete_cookie(LOCALE_COOKIE)  # on another device: the account's choice still holds
    assert _html_lang(client.get("/")) == "tg"


@pytest.mark.parametrize("status,url", [(404, "/no-such-page"), (403, "/admin/users")])
def test_error_pages_are_shown_in_the_chosen_language(login_as, status, url):
    client = login_as(Role.OFFICER)
    client.submit("/language", {"locale": "ru", "next": "/"})
    response = client.get(url)
    assert response.status_code == status
    assert _html_lang(response) == "ru"


def test_the_not_found_page_follows_the_cookie_for_an_anonymous_reader(client):
    client.set_cookie(LOCALE_COOKIE, "ru")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert _html_lang(response) == "ru"


# --- redirects -----------------------------------------------------------------------------------

UNSAFE_TARGETS = [
    EVIL,
    "//evil.example/steal",
    "/\\evil.example/steal",
    "\\\\evil.example",
    "/\t/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "http:evil.example",
]


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_only_paths_on_this_site_are_safe_redirect_targets(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/", "/admin/users?role=officer", "/reference/agreements/3"])
def test_paths_on_this_site_are_safe_redirect_targets(target):
    assert is_safe_next(target)


@pytest.mark.parametrize("target", [EVIL, "/\\evil.example/steal"])
def test_login_refuses_to_send_the_user_to_another_site(client, users, target):
    response = client.login("officer", url=f"/login?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_returns_the_user_to_the_page_they_asked_for(client, users):
    asked = client.get("/account/password")
    assert asked.headers["Location"] == "/login?next=/account/password"
    response = client.login("officer", url=asked.headers["Location"])
    assert response.headers["Location"] == "/account/password"


@pytest.mark.parametrize("target", [EVIL, "//evil.example", "/\\evil.example"])
def test_the_language_switch_refuses_to_send_the_user_to_another_site(client, target):
    response = client.submit("/language", {"locale": "ru", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
