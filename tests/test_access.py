"""Each role is refused (403) on every route it does not own; anonymous users are sent to log in.

The routes come from the application's own URL map, so a route added later is checked without anyone
remembering to list it here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from lbt.accounts.models import Role, User
from lbt.web.security import AUTHENTICATED, PUBLIC, access_of
from tests.fixtures.factories import Reference

ANY_OPTIONS_RE = re.compile(r"<any\(([^)]*)\):(\w+)>")


@dataclass(frozen=True)
class Route:
    endpoint: str
    url: str
    method: str
    access: Any

    def __str__(self) -> str:
        return f"{self.method} {self.url} ({self.endpoint})"


def _first_any_options(rule: Rule) -> dict[str, str]:
    """``<any(a,b):x>`` takes its first option, as written in the rule."""
    return {name: options.split(",")[0].strip() for options, name in ANY_OPTIONS_RE.findall(rule.rule)}


def _url_values(rule: Rule, ids: dict[str, int]) -> dict[str, Any]:
    values: dict[str, Any] = _first_any_options(rule)
    for name in rule.arguments:
        values.setdefault(name, ids.get(name, 1))
    return values


def routes(app: Flask, ids: dict[str, int]) -> list[Route]:
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            methods = rule.methods or set()
            method = "GET" if "GET" in methods else "POST"
            url = app.url_for(rule.endpoint, **_url_values(rule, ids))
            found.append(Route(rule.endpoint, url, method, access_of(app.view_functions[rule.endpoint])))
    return found


@pytest.fixture
def ids(users: dict[Role, User], ref: Reference) -> dict[str, int]:
    """Ids of real records, so a route that wrongly let a role through would act on something."""
    return {
        "user_id": users[Role.AUDITOR].id,
        "agreement_id": ref.agreement.id,
        "crossing_point_id": ref.crossing_point.id,
        "section_id": ref.section.id,
    }


def _request(client: Any, route: Route, token: str | None) -> Any:
    if route.method == "GET":
        return client.get(route.url)
    return client.post(route.url, data={"csrf_token": token} if token else {})


def test_every_route_declares_who_may_call_it(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and access_of(view) is None
    ]
    assert undeclared == [], "use @roles(...), @public or @any_user on these views"


def test_the_routes_cover_every_role_restricted_area(app, ids):
    """Guards the table itself: if it ever came out empty, the refusal test would prove nothing."""
    restricted = {route.endpoint for route in routes(app, ids) if isinstance(route.access, frozenset)}
    assert {
        "accounts.users",
        "accounts.user_action",
        "audit.entries",
        "reference.agreement_detail",
        "reports.index",
        "reports.make_six_monthly",
        "reports.download",
    } <= restricted


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_a_role_is_refused_on_every_route_it_does_not_own(app, login_as, ids, users, db, role):
    client = login_as(role)
    token = client.csrf_token()
    foreign = [
        route
        for route in routes(app, ids)
        if isinstance(route.access, frozenset) and role not in route.access
    ]
    let_through = [
        f"{route} -> {status}"
        for route in foreign
        if (status := _request(client, route, token).status_code) != 403
    ]
    assert let_through == []
    db.refresh(users[Role.AUDITOR])
    assert users[Role.AUDITOR].is_active, "a refused POST must not have acted"


def test_a_refusal_shows_the_error_page_not_the_content(login_as):
    response = login_as(Role.OFFICER).get("/admin/users")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Not allowed" in page
    assert "auditor" not in page  # no user list leaks out with the refusal


def test_an_anonymous_user_is_sent_to_log_in_on_every_non_public_route(app, client, ids, users):
    token = client.csrf_token()  # the login page's token: a POST is then judged on access, not on CSRF
    wrong = []
    for route in routes(app, ids):
        if route.access == PUBLIC:
            continue
        response = _request(client, route, token)
        if route.url.startswith("/api/") or route.url == "/metrics":  # bearer tokens: 401
            if response.status_code != 401:
                wrong.append(f"{route} -> {response.status_code}")
        elif response.status_code != 302 or not response.headers["Location"].startswith("/login?next="):
            wrong.append(f"{route} -> {response.status_code} {response.headers.get('Location')}")
    assert wrong == []


def test_public_and_own_pages_are_open_to_every_logged_in_role(app, login_as, ids):
    open_routes = [
        route
        for route in routes(app, ids)
        if route.access in (PUBLIC, AUTHENTICATED) and route.method == "GET"
    ]
    assert {route.endpoint for route in open_routes} >= {"home.index", "accounts.password"}
    for role in Role:
        client = login_as(role)
        refused = [str(route) for route in open_routes if client.get(route.url).status_code in (401, 403)]
        assert refused == [], role


# --- objects outside the user's scope --------------------------------------------------------


def test_an_officer_sees_only_the_agreements_they_serve(login_as, ref):
    client = login_as(Role.OFFICER)
    assert client.get(f"/reference/agreements/{ref.agreement.id}").status_code == 200
    assert client.get(f"/reference/agreements/{ref.other_agreement.id}").status_code == 403


def test_a_supervisor_sees_only_the_agreements_they_serve(login_as, ref):
    client = login_as(Role.SUPERVISOR)
    assert client.get(f"/reference/agreements/{ref.agreement.id}").status_code == 200
    assert client.get(f"/reference/agreements/{ref.other_agreement.id}").status_code == 403


def test_a_border_guard_sees_only_their_crossing_points(login_as, ref):
    client = login_as(Role.BORDER_GUARD)
    assert client.get(f"/reference/crossing-points/{ref.crossing_point.id}").status_code == 200
    assert client.get(f"/reference/crossing-points/{ref.other_crossing_point.id}").status_code == 403


def test_a_representative_sees_only_their_border_sections(login_as, ref):
    client = login_as(Role.REPRESENTATIVE)
    assert client.get(f"/reference/border-sections/{ref.section.id}").status_code == 200
    assert client.get(f"/reference/border-sections/{ref.other_section.id}").status_code == 403


def test_a_deactivated_users_open_session_is_refused_at_once(login_as, users, db):
    client = login_as(Role.OFFICER)
    assert client.get("/applications/").status_code == 200
    users[Role.OFFICER].is_active = False
    db.flush()
    response = client.get("/applications/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_wrong_method_is_refused_with_the_methods_that_work(login_as):
    response = login_as(Role.ADMIN).get("/logout")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert "This page cannot be used that way." in response.get_data(as_text=True)


def test_an_analyst_reads_every_agreement_of_the_home_state_and_changes_nothing(app, login_as, ref):
    client = login_as(Role.ANALYST)
    for agreement in (ref.agreement, ref.other_agreement):  # TJ-KG and TJ-UZ: both the home state's
        assert client.get(f"/reports/?agreement={agreement.id}").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert 'href="/reports/"' in home  # the menu names the reports
    writable = [
        route
        for route in routes(app, {})
        if route.method == "POST" and isinstance(route.access, frozenset) and Role.ANALYST in route.access
    ]
    assert [route.endpoint for route in writable] == ["reports.make_six_monthly"]  # the report, nothing else
