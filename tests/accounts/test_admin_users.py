"""The administrator's user pages: create and edit users with their scope, passwords, locks, deactivation."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from lbt.accounts.models import LoginFailure, Role, User
from lbt.audit.models import AuditEntry
from tests.fixtures.passwords import PASSWORD

NEW_PASSWORD = "a fresh long passphrase"

SCOPE_FIELDS = {
    Role.ADMIN: {},
    Role.AUDITOR: {},
    Role.ANALYST: {},
    Role.MONITOR: {},
    Role.OFFICER: {"agreements": ["TJ-KG", "TJ-UZ"]},
    Role.SUPERVISOR: {"agreements": ["TJ-UZ"]},
    Role.BORDER_GUARD: {"crossing_points": ["UZ-TJ-01"]},
    Role.REPRESENTATIVE: {"state": "TJ", "border_sections": ["SEC-1", "SEC-9"]},
}
EXPECTED_SCOPE = {
    Role.ADMIN: [],
    Role.AUDITOR: [],
    Role.ANALYST: [],
    Role.MONITOR: [],
    Role.OFFICER: ["agreement:TJ-KG", "agreement:TJ-UZ"],
    Role.SUPERVISOR: ["agreement:TJ-UZ"],
    Role.BORDER_GUARD: ["crossing:UZ-TJ-01"],
    Role.REPRESENTATIVE: ["state:TJ", "section:SEC-1", "section:SEC-9"],
}


def _field_error(page: str, field: str) -> str:
    """The error shown beside a field (empty when there is none)."""
    match = re.search(rf'<p class="field__error" id="{field}-error" role="alert">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else ""


def _user(db, username: str) -> User | None:  # type: ignore[no-untyped-def]
    db.expire_all()  # read what the request stored, not what this session remembers
    return db.scalar(select(User).where(User.username == username))


def _new_user_form(username: str, role: Role, **fields: Any) -> dict[str, Any]:
    return {
        "username": username,
        "full_name": "Nodira Saidova",
        "email": "nodira@example.org",
        "role": role.value,
        "locale": "ru",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        **SCOPE_FIELDS[role],
        **fields,
    }


def _edit_form(user: User, **fields: Any) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": "",
        "role": user.role.value,
        **fields,
    }


@pytest.fixture
def admin(login_as):  # type: ignore[no-untyped-def]
    return login_as(Role.ADMIN)


# --- creating users --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_the_administrator_creates_a_user_of_each_role_with_its_scope(admin, db, users, role):
    response = admin.submit("/admin/users/new", _new_user_form("New.User", role))
    assert response.status_code == 302, _field_error(response.get_data(as_text=True), "state")
    assert response.headers["Location"] == "/admin/users"
    assert "User new.user was created." in admin.get("/admin/users").get_data(as_text=True)

    user = _user(db, "new.user")
    assert user is not None
    assert (user.role, user.full_name, user.email, user.locale) == (
        role,
        "Nodira Saidova",
        "nodira@example.org",
        "ru",
    )
    assert user.scope_labels() == EXPECTED_SCOPE[role]
    entry = db.scalar(  # the first entry about the user: its creation (later steps of the request follow)
        select(AuditEntry)
        .where(AuditEntry.entity_type == "users", AuditEntry.entity_id == str(user.id))
        .order_by(AuditEntry.id)
    )
    assert entry is not None
    assert (entry.action, entry.actor_id, entry.actor_name) == ("create", users[Role.ADMIN].id, "admin")
    assert NEW_PASSWORD not in entry.changes
    assert json.loads(entry.changes)["password_hash"] == "(set)"


def test_a_new_user_can_log_in_with_the_password_given(admin, client, users):
    admin.submit("/admin/users/new", _new_user_form("nodira", Role.AUDITOR))
    response = client.login("nodira", NEW_PASSWORD)  # an auditor sets up two-factor login first
    assert response.status_code == 200 and response.get_data(as_text=True).count("<li><code>") == 10
    assert client.get("/audit/").status_code == 200


def test_scope_fields_of_other_roles_are_not_stored(admin, db, users):
    form = _new_user_form(
        "new.guard", Role.BORDER_GUARD, agreements=["TJ-KG"], state="TJ", border_sections=["SEC-1"]
    )
    assert admin.submit("/admin/users/new", form).status_code == 302
    assert _user(db, "new.guard").scope_labels() == ["crossing:UZ-TJ-01"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "role,fields,field,message",
    [
        (Role.OFFICER, {"agreements": []}, "agreements", "Choose at least one agreement."),
        (Role.SUPERVISOR, {"agreements": ["NO-SUCH"]}, "agreements", "'NO-SUCH' is not a valid choice"),
        (
            Role.BORDER_GUARD,
            {"crossing_points": []},
            "crossing_points",
            "Choose at least one crossing point.",
        ),
        (Role.REPRESENTATIVE, {"state": ""}, "state", "Choose the state the representative acts for."),
        (
            Role.REPRESENTATIVE,
            {"border_sections": []},
            "border_sections",
            "Choose at least one border section.",
        ),
        (
            Role.REPRESENTATIVE,
            {"state": "KG"},
            "border_sections",
            "Border section(s) SEC-9 do not border KG.",
        ),
        (Role.AUDITOR, {"username": "officer"}, "username", "The username officer is taken."),
        (
            Role.AUDITOR,
            {"username": "no spaces"},
            "username",
            "Use Latin letters, digits, dot, dash or underscore.",
        ),
        (
            Role.AUDITOR,
            {"password": "short", "confirm": "short"},
            "password",
            "between 10 and 256 characters",
        ),
        (Role.AUDITOR, {"confirm": "something else"}, "confirm", "The two passwords differ."),
        (Role.AUDITOR, {"role": "emperor"}, "role", "Not a valid choice."),
    ],
)
def test_a_bad_new_user_is_refused_beside_the_field_and_nothing_is_stored(
    admin, db, users, role, fields, field, message
):
    before = db.scalar(select(func.count()).select_from(User))
    audit_before = db.scalar(select(func.count()).select_from(AuditEntry))
    response = admin.submit("/admin/users/new", {**_new_user_form("new.user", role), **fields})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in _field_error(page, field)
    assert "Nodira Saidova" in page  # what was typed is kept
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(User)) == before
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


# --- editing users ---------------------------------------------------------------------------------


def test_the_edit_page_shows_the_users_current_scope(admin, users):
    page = admin.get(f"/admin/users/{users[Role.REPRESENTATIVE].id}").get_data(as_text=True)
    assert re.search(r'<option selected value="TJ">', page)
    assert re.search(
        r'<input checked id="border_sections-\d+" name="border_sections" type="checkbox" value="SEC-1">', page
    )
    assert re.search(
        r'<input id="border_sections-\d+" name="border_sections" type="checkbox" value="SEC-9">', page
    )


def test_the_administrator_changes_a_users_role_and_scope(admin, db, users):
    officer = users[Role.OFFICER]
    response = admin.submit(
        f"/admin/users/{officer.id}",
        _edit_form(officer, role="border_guard", crossing_points=["KG-TJ-01"], agreements=["TJ-KG"]),
    )
    assert response.status_code == 302
    stored = _user(db, "officer")
    assert stored.role is Role.BORDER_GUARD  # type: ignore[union-attr]
    assert stored.scope_labels() == ["crossing:KG-TJ-01"]  # type: ignore[union-attr]


def test_a_scope_error_on_edit_is_shown_beside_the_field_and_nothing_changes(admin, db, users):
    officer = users[Role.OFFICER]
    response = admin.submit(
        f"/admin/users/{officer.id}", _edit_form(officer, role="border_guard", full_name="X")
    )
    assert response.status_code == 400
    assert "Choose at least one crossing point." in _field_error(
        response.get_data(as_text=True), "crossing_points"
    )
    stored = _user(db, "officer")
    assert (stored.role, stored.full_name) == (Role.OFFICER, "")  # type: ignore[union-attr]
    assert stored.scope_labels() == ["agreement:TJ-KG"]  # type: ignore[union-attr]


def test_a_username_cannot_be_changed(admin, db, users):
    officer = users[Role.OFFICER]
    response = admin.submit(
        f"/admin/users/{officer.id}", _edit_form(officer, username="renamed", agreements=["TJ-KG"])
    )
    assert response.status_code == 400
    assert "A username cannot be changed." in _field_error(response.get_data(as_text=True), "username")
    assert _user(db, "renamed") is None


def test_the_administrator_cannot_change_their_own_role(admin, db, users):
    me = users[Role.ADMIN]
    response = admin.submit(f"/admin/users/{me.id}", _edit_form(me, role="auditor"))
    assert response.status_code == 400
    assert "You cannot change your own role." in _field_error(response.get_data(as_text=True), "role")
    assert _user(db, "admin").role is Role.ADMIN  # type: ignore[union-attr]
    assert admin.get("/admin/users").status_code == 200


def test_editing_an_unknown_user_is_not_found(admin, users):
    assert admin.get("/admin/users/999999").status_code == 404
    assert (
        admin.submit(
            "/admin/users/999999/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        ).status_code
        == 404
    )
    assert admin.submit("/admin/users/999999/deactivate").status_code == 404


# --- passwords, locks, deactivation --------------------------------------------------------------


def test_setting_a_password_ends_the_users_other_logins(admin, login_as, client, users):
    officer_client = login_as(Role.OFFICER)
    response = admin.submit(
        f"/admin/users/{users[Role.OFFICER].id}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert "The password of officer was set." in admin.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert officer_client.get("/account/password").headers["Location"].startswith("/login")
    assert client.login("officer", PASSWORD).status_code == 401
    assert client.login("officer", NEW_PASSWORD).status_code == 302


def test_setting_ones_own_password_on_the_admin_page_keeps_this_login(admin, users):
    response = admin.submit(
        f"/admin/users/{users[Role.ADMIN].id}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert admin.get("/admin/users").status_code == 200


def test_a_bad_password_is_refused_beside_its_field_and_the_scope_is_still_shown(admin, db, users):
    representative = users[Role.REPRESENTATIVE]
    hash_before = representative.password_hash
    response = admin.submit(
        f"/admin/users/{representative.id}/password", {"password": "short", "confirm": "short"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "between 10 and 256 characters" in _field_error(page, "password")
    assert re.search(
        r'<input checked id="border_sections-\d+" name="border_sections" type="checkbox" value="SEC-1">', page
    )  # the edit form beside it is intact
    assert re.search(r'<option selected value="TJ">', page)
    assert _user(db, "representative").password_hash == hash_before  # type: ignore[union-attr]


def test_a_password_equal_to_the_username_is_refused(admin, db, users):
    guard = users[Role.BORDER_GUARD]
    guard_name = "guard.guard"  # long enough to pass the form, refused by the rule
    guard.username = guard_name
    db.flush()
    response = admin.submit(
        f"/admin/users/{guard.id}/password", {"password": guard_name, "confirm": guard_name}
    )
    assert response.status_code == 400
    assert "The password must differ from the username." in _field_error(
        response.get_data(as_text=True), "password"
    )


def test_the_administrator_unlocks_a_locked_user(admin, client, db, users):
    for _ in range(5):
        client.login("guard", "wrong password")
    assert "Locked" in admin.get("/admin/users").get_data(as_text=True)
    page = admin.get(f"/admin/users/{users[Role.BORDER_GUARD].id}").get_data(as_text=True)
    assert "for 1 client" in page
    assert client.login("guard", PASSWORD).status_code == 401

    response = admin.submit(f"/admin/users/{users[Role.BORDER_GUARD].id}/unlock")
    assert response.status_code == 302
    assert "User guard was unlocked." in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert db.scalar(select(LoginFailure).filter_by(username="guard")) is None
    assert client.login("guard", PASSWORD).status_code == 302


def test_deactivating_a_user_stops_their_open_session_at_once(admin, login_as, client, db, users):
    guard_client = login_as(Role.BORDER_GUARD)
    assert guard_client.get("/").status_code == 200
    response = admin.submit(f"/admin/users/{users[Role.BORDER_GUARD].id}/deactivate")
    assert response.status_code == 302
    assert "User guard was deactivated." in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert guard_client.get("/account/password").headers["Location"].startswith("/login")
    assert client.login("guard", PASSWORD).status_code == 401
    assert not _user(db, "guard").is_active  # type: ignore[union-attr]
    assert "Inactive" in admin.get("/admin/users").get_data(as_text=True)

    admin.submit(f"/admin/users/{users[Role.BORDER_GUARD].id}/activate")
    assert client.login("guard", PASSWORD).status_code == 302


def test_the_administrator_cannot_deactivate_themselves(admin, db, users):
    response = admin.submit(f"/admin/users/{users[Role.ADMIN].id}/deactivate")
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "You cannot deactivate your own account." in page
    assert _user(db, "admin").is_active  # type: ignore[union-attr]
    assert admin.get("/admin/users").status_code == 200


# --- the list ------------------------------------------------------------------------------------


def _listed(page: str) -> list[str]:
    return re.findall(r'<td><a href="/admin/users/\d+">([^<]+)</a></td>', page)


def test_the_list_shows_every_user_with_role_and_scope(admin, users):
    page = admin.get("/admin/users").get_data(as_text=True)
    assert _listed(page) == sorted(user.username for user in users.values())
    assert "state:TJ, section:SEC-1" in page


def test_the_list_filters_by_role(admin, users):
    assert _listed(admin.get("/admin/users?role=border_guard").get_data(as_text=True)) == ["guard"]


def test_the_list_searches_usernames_and_full_names(admin, db, users):
    users[Role.SUPERVISOR].full_name = "Rustam Nazarov"
    db.flush()
    assert _listed(admin.get("/admin/users?q=NAZAR").get_data(as_text=True)) == ["supervisor"]
    assert _listed(admin.get("/admin/users?q=audit").get_data(as_text=True)) == ["auditor"]
    assert _listed(admin.get("/admin/users?q=audit&role=officer").get_data(as_text=True)) == []
    assert "No users match." in admin.get("/admin/users?q=zzz").get_data(as_text=True)


def test_an_unknown_role_in_the_filter_is_refused(admin, users):
    response = admin.get("/admin/users?role=emperor")
    assert response.status_code == 400
    assert "Not a valid choice." in _field_error(response.get_data(as_text=True), "role")
