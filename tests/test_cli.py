"""The `lbt` command against a real, migrated database of its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pyotp
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import func, select, text

from lbt import create_app
from lbt.accounts.models import User
from lbt.audit.models import AuditEntry
from lbt.cli import main
from lbt.core.migrate import head_revision
from lbt.core.settings import Settings
from lbt.demo.reference import LOCALITIES, read_demo_accounts, read_demo_logins
from lbt.reference.models import Locality
from tests.dbutil import temporary_database


def _app(directory, home_state: str = "TJ") -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    with temporary_database(directory, "lbt_cli") as url:
        settings = Settings(
            instance_path=directory / "instance",
            database_url=url,
            secret_key="k" * 40,
            testing=True,
            home_state=home_state,
        )
        app = create_app(settings)
        yield app
        app.extensions["lbt"].database.dispose()


@pytest.fixture
def cli_app(tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """A fresh, empty database of its own."""
    yield from _app(tmp_path)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """One database with the demo loaded, shared by tests that add only what no other test looks at."""
    for app in _app(tmp_path_factory.mktemp("cli")):
        assert run(app, "demo").exit_code == 0
        yield app


def run(app: Flask, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app), input=input)
    return result


def count(app: Flask, model: type) -> int:
    with app.extensions["lbt"].database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_db_upgrade_then_current_reports_the_latest_revision(cli_app):
    assert "(empty)" in run(cli_app, "db", "current").output
    result = run(cli_app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    current = run(cli_app, "db", "current").output
    head = head_revision(cli_app.extensions["lbt"].database.engine)
    assert f"current: {head}" in current and f"latest:  {head}" in current
    assert run(cli_app, "db", "downgrade", "base").exit_code == 0
    assert "current: (empty)" in run(cli_app, "db", "current").output


def test_demo_is_idempotent_and_prints_accounts_that_log_in(cli_app):
    first = run(cli_app, "demo")
    assert first.exit_code == 0, first.output
    second = run(cli_app, "demo")
    assert second.exit_code == 0, second.output
    assert count(cli_app, Locality) == len(LOCALITIES)
    settings = cli_app.extensions["lbt"].settings
    accounts = read_demo_accounts(settings.instance_path)
    assert {role for _, _, role in accounts} == {
        "admin",
        "officer",
        "supervisor",
        "border_guard",
        "representative",
        "auditor",
        "analyst",
        "monitor",
    }
    assert count(cli_app, User) == len(accounts)
    logins = {account.username: account for account in read_demo_logins(settings.instance_path)}
    for username, password, _role in accounts:
        assert f"{username:<16} {password}" in second.output
        account = logins[username]
        assert f"key {account.totp_secret}" in second.output and account.totp_uri in second.output
        assert len(account.recovery_codes) == 10 and " ".join(account.recovery_codes) in second.output
        client = cli_app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        assert response.headers["Location"] == "/login/two-factor", username  # every demo account has one
        # what the printed python3 line prints; the auditor uses a printed recovery code instead
        code = account.recovery_codes[0] if username == "auditor" else pyotp.TOTP(account.totp_secret).now()
        response = client.post("/login/two-factor", data={"code": code, "csrf_token": token})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("home_state", ["TJ", "KG"])
def test_the_demo_loads_in_the_evening_when_the_states_day_is_utcs_tomorrow(tmp_path, home_state):
    """20:30 UTC is 01:30 in Dushanbe and 02:30 in Bishkek: the demo's permits start on that day (they
    started on UTC's and were refused as starting in the past)."""
    from lbt.permits.models import Permit

    for app in _app(tmp_path, home_state):
        app.extensions["lbt"].clock = lambda: datetime(2026, 12, 2, 20, 30, tzinfo=UTC)
        result = run(app, "demo")
        assert result.exit_code == 0, result.output
        with app.extensions["lbt"].database.transaction() as session:
            starts = set(session.scalars(select(Permit.valid_from)))
        assert starts == {date(2026, 12, 3)}


def test_users_create_list_and_set_password(demo_app):
    cli_app = demo_app
    created = run(
        cli_app,
        "users",
        "create",
        "--username",
        "Guard2",
        "--role",
        "border_guard",
        "--scope",
        "crossing:TJ-KG-02",
        input="a long enough password\na long enough password\n",
    )
    assert created.exit_code == 0, created.output
    assert "guard2 (border_guard) crossing:TJ-KG-02" in created.output
    listing = run(cli_app, "users", "list").output
    assert "guard2               border_guard    crossing:TJ-KG-02" in listing
    assert "representative       representative  state:TJ section:TJ-KG-ISF section:TJ-KG-LKH" in listing

    changed = run(
        cli_app, "users", "set-password", "guard2", input="another long password\nanother long password\n"
    )
    assert changed.exit_code == 0, changed.output


def test_users_reset_two_factor_removes_it_audited_and_refuses_what_it_cannot_do(demo_app):
    from lbt.accounts.two_factor.models import RecoveryCode, TwoFactorSecret

    secrets_before = count(demo_app, TwoFactorSecret)
    done = run(demo_app, "users", "reset-two-factor", "analyst")
    assert done.exit_code == 0, done.output
    assert "Two-factor login of analyst reset" in done.output
    assert count(demo_app, TwoFactorSecret) == secrets_before - 1
    with demo_app.extensions["lbt"].database.transaction() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "two_factor_secrets", AuditEntry.action == "delete")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.actor_name == "cli"
        left = session.scalar(
            select(func.count()).select_from(RecoveryCode).join(User).where(User.username == "analyst")
        )
        assert left == 0
    again = run(demo_app, "users", "reset-two-factor", "analyst")
    assert again.exit_code == 2 and "analyst has no two-factor login to reset." in again.output
    unknown = run(demo_app, "users", "reset-two-factor", "nobody")
    assert unknown.exit_code == 2 and "no user named 'nobody'" in unknown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "officer", "--scope", "agreement:NOPE"], "Unknown code(s): NOPE."),
        (["--role", "officer", "--scope", "crossing:TJ-KG-01"], "scoped to agreements only"),
        (["--role", "border_guard"], "Choose at least one crossing point."),
        (["--role", "admin", "--scope", "weird"], "must look like kind:CODE"),
    ],
)
def test_users_create_refuses_bad_scope_and_stores_nothing(demo_app, args, message):
    cli_app = demo_app
    before = count(cli_app, User)
    result = run(cli_app, "users", "create", "--username", "x1", *args, input="a long enough password\n" * 2)
    assert result.exit_code == 2
    assert message in result.output
    assert count(cli_app, User) == before


def test_audit_verify_names_the_first_tampered_entry(cli_app):
    run(cli_app, "demo")
    intact = run(cli_app, "audit", "verify")
    assert intact.exit_code == 0 and "Audit log intact" in intact.output
    engine = cli_app.extensions["lbt"].database.engine
    with engine.begin() as connection:
        target = connection.scalar(select(AuditEntry.id).order_by(AuditEntry.id).offset(5).limit(1))
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER audit_entries_no_update"))
        else:
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change"))
        connection.execute(
            text("UPDATE audit_entries SET actor_name = 'mallory' WHERE id = :id"), {"id": target}
        )
    broken = run(cli_app, "audit", "verify")
    assert broken.exit_code == 1
    assert f"BROKEN at entry #{target}: its content was changed" in broken.output


def test_demo_has_applications_in_every_status_and_issued_permits(demo_app):
    from lbt.applications.models import Application, ApplicationStatus
    from lbt.permits.models import Permit, PermitStatus

    with demo_app.extensions["lbt"].database.transaction() as session:
        statuses = set(session.scalars(select(Application.status)))
        permit_statuses = set(session.scalars(select(Permit.status)))
    assert statuses >= {
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.INFO_REQUESTED,
        ApplicationStatus.APPROVED,
        ApplicationStatus.REFUSED,
        ApplicationStatus.RECONSIDERATION,
    }
    assert permit_statuses >= {PermitStatus.ACTIVE, PermitStatus.SUSPENDED, PermitStatus.REVOKED}


def test_permits_print_writes_a_batch_of_cards(demo_app, tmp_path):
    import pypdf

    from lbt.permits.models import Permit

    with demo_app.extensions["lbt"].database.transaction() as session:
        numbers = list(session.scalars(select(Permit.number).order_by(Permit.id).limit(2)))
    out = tmp_path / "batch.pdf"
    result = run(demo_app, "permits", "print", "--number", numbers[0], "--number", numbers[1], "-o", str(out))
    assert result.exit_code == 0, result.output
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 4  # front and back of two cards
    assert numbers[0] in reader.pages[0].extract_text()
    with demo_app.extensions["lbt"].database.transaction() as session:  # off the officers' "to print"
        printed = session.scalars(select(Permit.card_printed_at).where(Permit.number.in_(numbers))).all()
        assert all(printed)
    missing = run(demo_app, "permits", "print", "--number", "TJ-2000-000000-0", "-o", str(out))
    assert missing.exit_code == 2 and "no permit numbered TJ-2000-000000-0" in missing.output


def test_keys_rotate_keeps_the_old_key_published_while_its_permits_are_valid(demo_app):
    before = demo_app.test_client().get("/.well-known/jwks.json").get_json()["keys"]
    assert len(before) == 1
    result = run(demo_app, "keys", "rotate")
    assert result.exit_code == 0, result.output
    after = demo_app.test_client().get("/.well-known/jwks.json").get_json()["keys"]
    assert [key["kid"] for key in after][1:] == [before[0]["kid"]]
    assert all("d" not in key for key in after)
    assert "retired" in run(demo_app, "keys", "list").output


def test_mail_send_delivers_the_outbox_to_the_smtp_server_and_status_reports_it(tmp_path):
    from dataclasses import replace

    from lbt.notifications.services import queue_message
    from tests.fixtures.smtp import SmtpServer

    server = SmtpServer()
    server.start()
    try:
        for app in _app(tmp_path):
            state = app.extensions["lbt"]
            app.extensions["lbt"].settings = replace(state.settings, mail=server.settings())
            assert run(app, "db", "upgrade").exit_code == 0
            with state.database.transaction() as session:
                queue_message(
                    session,
                    recipient="resident@example.org",
                    subject="Ариза қабул шуд",
                    body="Рақами ариза: LBT-2026-000001",
                    now=state.clock(),
                )
            assert "waiting 1 (due 1)" in run(app, "mail", "status").output
            sent = run(app, "mail", "send")
            assert sent.exit_code == 0 and "1 sent" in sent.output, sent.output
            assert [r.message["Subject"] for r in server.received] == ["Ариза қабул шуд"]
            assert "waiting 0" in run(app, "mail", "status").output
    finally:
        server.stop()


def test_tokens_create_list_and_revoke(demo_app):
    created = run(demo_app, "tokens", "create", "guard", "--name", "tablet 1")
    assert created.exit_code == 0, created.output
    plain = created.output.strip().splitlines()[-1]
    assert plain.startswith("lbt_")
    client = demo_app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/revocations", headers=headers).status_code == 200
    listing = run(demo_app, "tokens", "list", "guard").output
    assert "tablet 1" in listing and plain not in listing
    token_id = listing.split()[0].lstrip("#")
    assert run(demo_app, "tokens", "revoke", token_id).exit_code == 0
    assert client.get("/api/v1/revocations", headers=headers).status_code == 401


def test_a_sections_meeting_rules_can_be_shown_and_set(demo_app):
    shown = run(demo_app, "sections", "meeting-rules", "TJ-KG-ISF")
    assert shown.exit_code == 0 and "at least 7 days ahead, replies within 48 hours" in shown.output
    changed = run(
        demo_app, "sections", "meeting-rules", "TJ-KG-ISF", "--notice-days", "10", "--reply-hours", "72"
    )
    assert "at least 10 days ahead, replies within 72 hours" in changed.output
    assert "at least 10 days" in run(demo_app, "sections", "meeting-rules", "TJ-KG-ISF").output
    assert run(demo_app, "sections", "meeting-rules", "NOPE").exit_code == 2
    assert run(demo_app, "sections", "meeting-rules", "TJ-KG-ISF", "--reply-hours", "0").exit_code == 2


def test_representatives_remind_queues_each_mail_once(demo_app):
    first = run(demo_app, "representatives", "remind")
    assert first.exit_code == 0, first.output
    again = run(demo_app, "representatives", "remind")
    assert again.exit_code == 0 and again.output.strip() == "0 invitation(s) and 0 reminder(s) queued."
