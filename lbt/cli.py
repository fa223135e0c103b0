"""The ``lbt`` command: serve, db, demo, users, audit, i18n."""

from __future__ import annotations

import logging
import sys
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from lbt import create_app
from lbt.accounts.models import Role
from lbt.audit.models import AuditActor
from lbt.web import AppState


def _state() -> AppState:
    return current_app.extensions["lbt"]  # type: ignore[no-any-return]


def _cli_actor(name: str = "cli") -> AuditActor:
    return AuditActor(None, name, "cli")


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """Local border traffic permits and border-representative cooperation."""


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--demo", is_flag=True, help="Load demo data into an empty database and print the demo accounts."
)
@with_appcontext
def serve(host: str, port: int, demo: bool) -> None:
    """Bring the database to the latest migration, then serve (development server; use gunicorn in production)."""
    from werkzeug.serving import run_simple

    from lbt.migrate import upgrade

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state = _state()
    upgrade(state.database.engine)
    if demo:
        _load_and_print_demo(state, only_if_empty=True)
    click.echo(f"lbt is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False)


def _load_and_print_demo(state: AppState, *, only_if_empty: bool) -> None:
    from lbt.demo import database_is_empty, load_demo, read_demo_accounts
    from lbt.demo_applications import load_demo_applications

    with state.database.transaction(_cli_actor("demo")) as session:
        if not only_if_empty or database_is_empty(session):
            load_demo(session, state.settings.instance_path, now=state.clock())
            session.flush()
            load_demo_applications(
                session,
                files=state.files,
                keystore=state.keystore,
                home_state=state.settings.home_state,
                now=state.clock(),
            )
            click.echo("Demo data loaded.")
    accounts = read_demo_accounts(state.settings.instance_path)
    if accounts:
        click.echo("Demo accounts (username / password / role):")
        for username, password, role in accounts:
            click.echo(f"  {username:<16} {password:<24} {role}")


@main.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo data (idempotent: running it again adds nothing twice)."""
    from lbt.migrate import upgrade

    state = _state()
    upgrade(state.database.engine)
    _load_and_print_demo(state, only_if_empty=False)


# --- db -----------------------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the schema (to the latest revision by default)."""
    from lbt.migrate import current_revision, upgrade

    engine = _state().database.engine
    upgrade(engine, revision)
    click.echo(f"Database at revision {current_revision(engine) or '(empty)'}.")


@db_group.command("downgrade")
@click.argument("revision", default="-1")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the schema (one revision by default; 'base' removes everything)."""
    from lbt.migrate import current_revision, downgrade

    engine = _state().database.engine
    downgrade(engine, revision)
    click.echo(f"Database at revision {current_revision(engine) or '(empty)'}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema's revision and the latest one."""
    from lbt.migrate import current_revision, head_revision

    engine = _state().database.engine
    current, head = current_revision(engine), head_revision(engine)
    click.echo(f"current: {current or '(empty)'}")
    click.echo(f"latest:  {head}")
    if current != head:
        click.echo("Run `lbt db upgrade` to bring the database up to date.")


# --- users --------------------------------------------------------------------------------------


@main.group("users")
def users_group() -> None:
    """User accounts."""


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@users_group.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="agreement:CODE, crossing:CODE, state:CC or section:CODE; repeatable.",
)
@click.option("--full-name", default="")
@click.option("--email", default="")
@click.password_option(prompt="Password", confirmation_prompt="Repeat the password")
@with_appcontext
def users_create(
    username: str, role: str, scopes: tuple[str, ...], full_name: str, email: str, password: str
) -> None:
    """Create a user; the password is asked for (never given on the command line)."""
    from lbt.accounts.services import Scope, UserData, create_user
    from lbt.errors import DomainError

    state = _state()
    try:
        with state.database.transaction(_cli_actor()) as session:
            data = UserData(
                username=username,
                role=Role(role),
                full_name=full_name,
                email=email,
                scope=Scope.parse(scopes),
            )
            user = create_user(session, data, password, now=state.clock())
            click.echo(
                f"Created {user.username} ({user.role.value}) {' '.join(user.scope_labels())}".rstrip()
            )
    except DomainError as error:
        _fail(str(error))


@users_group.command("set-password")
@click.argument("username")
@click.password_option(prompt="New password", confirmation_prompt="Repeat the new password")
@with_appcontext
def users_set_password(username: str, password: str) -> None:
    """Set a user's password (ends their other logins and clears a lockout)."""
    from lbt.accounts.services import find_user, set_password
    from lbt.errors import DomainError

    state = _state()
    try:
        with state.database.transaction(_cli_actor()) as session:
            user = find_user(session, username)
            if user is None:
                _fail(f"no user named {username!r}")
                return
            set_password(session, user, password, now=state.clock())
            click.echo(f"Password of {user.username} set.")
    except DomainError as error:
        _fail(str(error))


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """One line per user: username, role, scope, status."""
    from lbt.accounts.services import list_users

    with _state().database.transaction(_cli_actor()) as session:
        for user in list_users(session):
            status = "" if user.is_active else "  (inactive)"
            click.echo(
                f"{user.username:<20} {user.role.value:<15} {' '.join(user.scope_labels())}{status}".rstrip()
            )


# --- audit --------------------------------------------------------------------------------------


@main.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the whole hash chain; name the first broken entry (exit code 1 when broken)."""
    from lbt.audit.services import verify_chain

    with _state().database.transaction(_cli_actor()) as session:
        result = verify_chain(session)
    if result.first_break is None:
        click.echo(f"Audit log intact: {result.checked} entries checked.")
        return
    click.echo(
        f"Audit log BROKEN at entry #{result.first_break.entry_id}: {result.first_break.reason} "
        f"({result.checked} entries read).",
        err=True,
    )
    sys.exit(1)


# --- translations (developers) ------------------------------------------------------------------


@main.group("i18n")
def i18n_group() -> None:
    """Translation catalogs (for developers)."""


@i18n_group.command("extract")
def i18n_extract() -> None:
    """Merge the strings marked in the code and templates into the .po catalogs."""
    from lbt.i18n_tools import update_catalogs

    for locale, missing in update_catalogs().items():
        click.echo(f"{locale}: {missing} untranslated")


@i18n_group.command("compile")
def i18n_compile() -> None:
    """Compile the .po catalogs into the .mo files the app loads."""
    from lbt.i18n_tools import compile_catalogs

    for path in compile_catalogs():
        click.echo(f"wrote {path}")


# --- mail ---------------------------------------------------------------------------------------


@main.group("mail")
def mail_group() -> None:
    """The mail outbox."""


@mail_group.command("send")
@click.option("--limit", default=100, show_default=True, type=int)
@with_appcontext
def mail_send(limit: int) -> None:
    """Send the due messages of the outbox (run every minute from cron or a systemd timer)."""
    from lbt.notifications.mailer import send_pending

    state = _state()
    # the factory, not a transaction: send_pending commits its own short transactions
    report = send_pending(state.database.session_factory, state.settings.mail, now=state.clock(), limit=limit)
    if report.sent or report.failed:
        click.echo(f"Mail: {report.sent} sent, {report.failed} failed (retried later).")
    for error in report.errors:
        click.echo(error, err=True)


@mail_group.command("status")
@with_appcontext
def mail_status() -> None:
    """Waiting, due and stuck messages; exit code 1 while any message is stuck."""
    from lbt.notifications.services import outbox_status, stuck

    state = _state()
    with state.database.transaction(_cli_actor()) as session:
        status = outbox_status(session, state.clock())
        click.echo(f"waiting {status.waiting} (due {status.due}), stuck {status.stuck}, sent {status.sent}")
        if status.oldest_waiting_since:
            click.echo(f"oldest waiting since {status.oldest_waiting_since:%Y-%m-%d %H:%M} UTC")
        for message in stuck(session):
            click.echo(
                f"#{message.id} {message.created_at:%Y-%m-%d %H:%M} attempts={message.attempts} {message.last_error}"
            )
    if status.stuck:
        sys.exit(1)


@mail_group.command("retry-stuck")
@with_appcontext
def mail_retry_stuck() -> None:
    """Give every stuck message a fresh series of attempts."""
    from lbt.notifications.services import retry_stuck

    state = _state()
    with state.database.transaction(_cli_actor()) as session:
        click.echo(f"{retry_stuck(session, now=state.clock())} message(s) will be retried.")


# --- permit signing keys ------------------------------------------------------------------------


@main.group("keys")
def keys_group() -> None:
    """The keys that sign permit QR codes."""


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Make a new signing key; the old one signs no more but stays published while its permits are valid."""
    from lbt.permits.signing import SigningKeyError

    state = _state()
    try:
        key = state.keystore.rotate(state.clock())
    except SigningKeyError as error:
        _fail(str(error))
        return
    click.echo(f"New signing key {key.kid}.")


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """The signing keys: kid, created, retired."""
    state = _state()
    active = state.keystore.active_key().kid
    for record in state.keystore.public_keys():
        retired = (
            f"retired {record.retired_at:%Y-%m-%d}"
            if record.retired_at
            else "active"
            if record.kid == active
            else ""
        )
        click.echo(f"{record.kid}  created {record.created_at:%Y-%m-%d}  {retired}".rstrip())


# --- permits ------------------------------------------------------------------------------------


@main.group("permits")
def permits_group() -> None:
    """Permits."""


@permits_group.command("print")
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Permits issued on or after this day."
)
@click.option("--number", "numbers", multiple=True, help="A permit number; repeatable.")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True), help="The PDF to write."
)
@with_appcontext
def permits_print(since: datetime | None, numbers: tuple[str, ...], output: str) -> None:
    """Make a print batch of permit cards (ID-1, front and back) as one PDF."""
    from lbt.permits.printing import permits_to_print, render_permits

    if since is None and not numbers:
        _fail("give --since DATE or at least one --number")
    state = _state()
    settings = state.settings
    with state.database.transaction(_cli_actor()) as session:
        permits = permits_to_print(session, since=since.date() if since else None, numbers=numbers)
        missing = sorted({n.strip().upper() for n in numbers} - {p.number for p in permits})
        if missing:
            _fail(f"no permit numbered {', '.join(missing)}")
        if not permits:
            _fail("no permits match")
        pdf = render_permits(
            session,
            permits,
            home_state=settings.home_state,
            authority=settings.issuing_authority,
            public_url=settings.public_url,
            files=state.files,
        )
    with open(output, "wb") as handle:
        handle.write(pdf)
    click.echo(f"{len(permits)} card(s) written to {output}.")


# --- stored files -------------------------------------------------------------------------------


@main.group("files")
def files_group() -> None:
    """Uploaded files."""


@files_group.command("prune")
@click.option(
    "--hours", default=48, show_default=True, type=int, help="Keep unused uploads younger than this."
)
@with_appcontext
def files_prune(hours: int) -> None:
    """Delete uploads kept for forms that were never sent again (run daily)."""
    from datetime import timedelta

    from lbt.uploads import prune_unused

    state = _state()
    with state.database.transaction(_cli_actor()) as session:
        count = prune_unused(session, state.files, state.clock() - timedelta(hours=hours))
    click.echo(f"{count} unused upload(s) deleted.")


# --- API tokens ---------------------------------------------------------------------------------


@main.group("tokens")
def tokens_group() -> None:
    """Bearer tokens for the JSON API."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for, e.g. the device.")
@with_appcontext
def tokens_create(username: str, name: str) -> None:
    """Make a token that acts as USERNAME (with its role and scope); it is shown once."""
    from lbt.accounts.services import find_user
    from lbt.api.services import create_token
    from lbt.errors import DomainError

    state = _state()
    try:
        with state.database.transaction(_cli_actor()) as session:
            user = find_user(session, username)
            if user is None:
                _fail(f"no user named {username!r}")
                return
            token, plain = create_token(session, user, name=name, now=state.clock())
            click.echo(
                f"Token #{token.id} for {user.username} ({user.role.value}); keep it secret, it is shown once:"
            )
            click.echo(plain)
    except DomainError as error:
        _fail(str(error))


@tokens_group.command("list")
@click.argument("username")
@with_appcontext
def tokens_list(username: str) -> None:
    """The tokens of USERNAME: id, name, created, last used, revoked."""
    from lbt.accounts.services import find_user
    from lbt.api.services import tokens_of

    with _state().database.transaction(_cli_actor()) as session:
        user = find_user(session, username)
        if user is None:
            _fail(f"no user named {username!r}")
            return
        for token in tokens_of(session, user):
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            revoked = f"  revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else ""
            click.echo(
                f"#{token.id}  {token.name or '-'}  created {token.created_at:%Y-%m-%d}  last used {used}{revoked}"
            )


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    from lbt.api.models import ApiToken
    from lbt.api.services import revoke_token

    state = _state()
    with state.database.transaction(_cli_actor()) as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            _fail(f"no token #{token_id}")
            return
        revoke_token(session, token, state.clock())
    click.echo(f"Token #{token_id} revoked.")


# --- border sections ----------------------------------------------------------------------------


@main.group("sections")
def sections_group() -> None:
    """Border sections."""


@sections_group.command("meeting-rules")
@click.argument("code")
@click.option(
    "--notice-days", type=click.IntRange(0, 60), help="Days ahead an ordinary meeting must be proposed."
)
@click.option(
    "--reply-hours", type=click.IntRange(1, 168), help="Hours the other side has to answer (at most a week)."
)
@with_appcontext
def sections_meeting_rules(code: str, notice_days: int | None, reply_hours: int | None) -> None:
    """Show, or set, the meeting rules the representatives of a section agreed on (default 7 days, 48 hours)."""
    from sqlalchemy import select

    from lbt.reference.models import BorderSection
    from lbt.representatives.meetings import rules_for, set_rules

    state = _state()
    with state.database.transaction(_cli_actor()) as session:
        section = session.scalar(select(BorderSection).where(BorderSection.code == code))
        if section is None:
            _fail(f"no border section {code!r}")
            return
        rules = rules_for(session, section)
        if notice_days is not None or reply_hours is not None:
            set_rules(
                session,
                section,
                min_notice_days=rules.min_notice_days if notice_days is None else notice_days,
                reply_hours=rules.reply_hours if reply_hours is None else reply_hours,
            )
            rules = rules_for(session, section)
        click.echo(
            f"{section.code}: ordinary meetings at least {rules.min_notice_days} days ahead, "
            f"replies within {rules.reply_hours} hours"
        )
