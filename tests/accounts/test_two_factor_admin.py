"""The administrator's side of two-factor login: which roles must use it (defaults: admin, officer,
supervisor, auditor, analyst), and resetting a user's second factor when the phone is lost: audited
under the administrator, the user's logins ended, the user told by mail through the outbox."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.accounts.two_factor import policy, services, totp
from lbt.accounts.two_factor.models import RecoveryCode, TwoFactorRole
from lbt.audit.models import AuditEntry
from lbt.notifications.models import OutboxMessage
from tests.fixtures import two_factor
from tests.fixtures.factories import make_user
from tests.fixtures.passwords import PASSWORD


def _code_now(username: str, clock, offset: int = 0) -> str:  # type: ignore[no-untyped-def]
    return two_factor.code_for(two_factor.secret_for(username), totp.step_at(clock()) + offset)


def test_the_defaults_require_it_of_every_role_but_guards_and_representatives(db):
    assert policy.required_roles(db) == {
        Role.ADMIN,
        Role.OFFICER,
        Role.SUPERVISOR,
        Role.AUDITOR,
        Role.ANALYST,
    }


def test_the_roles_page_shows_the_roles_that_must_use_it(login_as):
    page = login_as(Role.ADMIN).get("/admin/two-factor").get_data(as_text=True)
    boxes = dict(re.findall(r'<input ([^>]*)value="(\w+)"', page)[i][::-1] for i in range(len(Role)))
    checked = {role for role, attributes in boxes.items() if "checked" in attributes}
    assert checked == {"admin", "officer", "supervisor", "auditor", "analyst"}
    assert set(boxes) == {role.value for role in Role}


def test_requiring_it_of_guards_ends_the_logins_of_guards_without_it_and_is_audited(
    app, login_as, users, db, ref
):
    make_user(db, "guard2", Role.BORDER_GUARD, two_factor=False, crossing_points=[ref.crossing_point])
    guard2 = app.test_client()
    assert guard2.login("guard2").headers["Location"] == "/"
    enrolled_guard = login_as(Role.BORDER_GUARD)
    admin = login_as(Role.ADMIN)
    wanted = ["admin", "officer", "supervisor", "border_guard", "auditor", "analyst"]
    response = admin.submit("/admin/two-factor", {"roles": wanted})
    assert response.status_code == 302
    assert "1 login of a user who must now set up two-factor login was ended" in admin.get("/").get_data(
        as_text=True
    )
    assert policy.is_required(db, Role.BORDER_GUARD)
    assert guard2.get("/crossings/verify").headers["Location"].startswith("/login")  # its login ended
    assert enrolled_guard.get("/crossings/verify").status_code == 200  # a guard who has it stays
    assert admin.get("/admin/users").status_code == 200
    assert guard2.login("guard2").status_code == 200  # through enrolment now: the recovery codes page
    entries = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "two_factor_roles")).all()
    assert {entry.actor_name for entry in entries} == {"admin"}
    assert (
        json.loads(next(e.changes for e in entries if e.entity_id == "border_guard"))["is_required"] is True
    )


def test_an_unknown_role_is_refused_and_nothing_changes(login_as, db):
    response = login_as(Role.ADMIN).submit("/admin/two-factor", {"roles": ["admin", "emperor"]})
    assert response.status_code == 400
    assert "not a valid choice" in response.get_data(as_text=True)
    assert db.scalar(select(TwoFactorRole).limit(1)) is None


def test_the_roles_form_needs_its_csrf_token(login_as, db):
    response = login_as(Role.ADMIN).post("/admin/two-factor", data={"roles": ["admin"]})
    assert response.status_code == 400
    assert db.scalar(select(TwoFactorRole).limit(1)) is None


def test_only_an_administrator_sets_the_roles_or_resets(login_as, users):
    officer = login_as(Role.OFFICER)
    assert officer.get("/admin/two-factor").status_code == 403
    assert officer.submit(f"/admin/users/{users[Role.AUDITOR].id}/two-factor/reset").status_code == 403
    assert services.secret_of  # the auditor keeps it:
    assert login_as(Role.AUDITOR).get("/account/two-factor").status_code == 200


def test_a_lost_phone_is_reset_by_an_administrator_audited_and_mailed(app, login_as, users, db, clock):
    officer = users[Role.OFFICER]
    officer.email = "officer@border.example"
    db.flush()
    services.new_recovery_codes(
        db, officer, _code_now("officer", clock, 1), attempt=services.Attempt("ip:x", 5, 15), now=clock()
    )
    secret_id = services.secret_of(db, officer).id  # type: ignore[union-attr]
    officer_client = login_as(Role.OFFICER)
    admin = login_as(Role.ADMIN)
    page = admin.get(f"/admin/users/{officer.id}").get_data(as_text=True)
    assert "Reset two-factor login (lost phone)" in page and "Recovery codes left" in page

    response = admin.submit(f"/admin/users/{officer.id}/two-factor/reset")
    assert response.status_code == 302
    assert "The two-factor login of officer was reset." in admin.get(f"/admin/users/{officer.id}").get_data(
        as_text=True
    )
    assert services.secret_of(db, officer) is None
    assert db.scalar(select(RecoveryCode).where(RecoveryCode.user_id == officer.id)) is None
    assert officer_client.get("/applications/").headers["Location"].startswith("/login")  # logins ended
    [mail] = db.scalars(select(OutboxMessage)).all()
    assert mail.recipient == "officer@border.example"
    assert mail.subject == "Ваш двухфакторный вход сброшен"  # Russian: the staff's language when none is set
    assert "officer" in mail.body
    assert (
        "ключи безопасности" in mail.body and "с ключом безопасности" in mail.body
    )  # keys go too, and may return

    [entry] = db.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "two_factor_secrets", AuditEntry.action == "delete"
        )
    ).all()
    assert (entry.entity_id, entry.actor_id, entry.actor_name) == (
        str(secret_id),
        users[Role.ADMIN].id,
        "admin",
    )
    logged = " ".join(db.scalars(select(AuditEntry.changes)))
    assert two_factor.secret_for("officer") not in logged and "$argon2" not in logged

    again = app.test_client()
    response = again.submit("/login", {"username": "officer", "password": PASSWORD})
    assert response.headers["Location"] == "/login/two-factor/enrol"  # set up again with the new phone


def test_a_reset_without_a_second_factor_says_so(login_as, db, ref):
    user = make_user(db, "guard2", Role.BORDER_GUARD, two_factor=False)
    admin = login_as(Role.ADMIN)
    assert admin.submit(f"/admin/users/{user.id}/two-factor/reset").status_code == 302
    assert "guard2 has no two-factor login to reset." in admin.get(f"/admin/users/{user.id}").get_data(
        as_text=True
    )
    assert admin.submit("/admin/users/99999/two-factor/reset").status_code == 404


def test_an_administrator_resetting_their_own_stays_logged_in(login_as, users, db):
    admin = login_as(Role.ADMIN)
    assert admin.submit(f"/admin/users/{users[Role.ADMIN].id}/two-factor/reset").status_code == 302
    assert admin.get("/admin/users").status_code == 200
    assert services.secret_of(db, users[Role.ADMIN]) is None
