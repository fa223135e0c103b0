"""The ``lbt`` command: serve, db, demo, users, audit, i18n."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from lbt import create_app
from lbt.accounts.models import Role
from lbt.audit.models import AuditActor
from lbt.audit.services import VerifyResult
from lbt.core.settings import Settings
from lbt.permits.signing import KeyStore
from lbt.storage.uploads import FileStore
from lbt.web.state import AppState
from lbt.web.state import state as _state


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
    from lbt.cli.jobs import serve_with_worker
    from lbt.core.migrate import upgrade

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state = _state()
    state.settings, warning = served_settings(state.settings, host, port, os.environ)
    upgrade(state.database.engine)
    if demo:
        _load_and_print_demo(state, only_if_empty=True)
    click.echo(f"lbt is serving on {_served_url(host, port)}/ (Ctrl+C to stop)")
    click.echo(f"Cards' QR codes and links point at {state.settings.public_url}/")
    if warning:
        click.echo(f"Warning: {warning}", err=True)
    serve_with_worker(state, app, host, port, worker=demo)  # the demo's jobs run beside the server


_EVERY_INTERFACE = ("", "0.0.0.0", "::")  # noqa: S104 (names them, binds nothing)


def _served_url(host: str, port: int) -> str:
    """The address ``lbt serve`` answers on, as a browser on this machine opens it."""
    if host in _EVERY_INTERFACE:  # this machine reaches it on the loopback
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def served_settings(
    settings: Settings, host: str, port: int, environ: Mapping[str, str]
) -> tuple[Settings, str | None]:
    """The settings ``lbt serve`` runs with: without LBT_PUBLIC_URL, cards and links name the address
    served (not a fixed port 5000); with it, a warning when it names another address."""
    served = _served_url(host, port)
    if not environ.get("LBT_PUBLIC_URL"):
        warning = None
        if host in _EVERY_INTERFACE:
            warning = (
                f"cards' QR codes name {served}, which only this machine opens: set LBT_PUBLIC_URL "
                "to the address phones and other computers use."
            )
        return settings.with_changes(public_url=served), warning
    if urlsplit(settings.public_url).netloc.lower() != urlsplit(served).netloc.lower():
        return settings, (
            f"LBT_PUBLIC_URL is {settings.public_url} but lbt serves {served}: cards' QR codes and "
            "links name LBT_PUBLIC_URL (fine behind a proxy that answers there; otherwise fix it)."
        )
    return settings, None


def _load_and_print_demo(state: AppState, *, only_if_empty: bool) -> None:
    from lbt.cli.two_factor import echo_demo_accounts
    from lbt.demo.applications import load_demo_applications
    from lbt.demo.reference import database_is_empty, load_demo

    with state.database.transaction(_cli_actor("demo")) as session:
        if not only_if_empty or database_is_empty(session):
            load_demo(
                session, state.settings.instance_path, now=state.clock(), home_state=state.settings.home_state
            )
            session.flush()
            load_demo_applications(
                session,
                files=state.find(FileStore),
                keystore=state.find(KeyStore),
                home_state=state.settings.home_state,
                now=state.clock(),
            )
            click.echo("Demo data loaded.")
    echo_demo_accounts(state.settings.instance_path)


@main.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo data (idempotent: running it again adds nothing twice)."""
    from lbt.core.migrate import upgrade

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
    from lbt.core.migrate import current_revision, upgrade

    engine = _state().database.engine
    upgrade(engine, revision)
    click.echo(f"Database at revision {current_revision(engine) or '(empty)'}.")


@db_group.command("downgrade")
@click.argument("revision", default="-1")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the schema (one revision by default; 'base' removes everything)."""
    from lbt.core.migrate import current_revision, downgrade

    engine = _state().database.engine
    downgrade(engine, revision)
    click.echo(f"Database at revision {current_revision(engine) or '(empty)'}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema's revision and the latest one."""
    from lbt.core.migrate import current_revision, head_revision

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
    from lbt.core.errors import DomainError

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
    from lbt.core.errors import DomainError

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
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A checkpoint written by `lbt audit checkpoint`; repeatable. Entries it counted must all be there.",
)
@click.option(
    "--against",
    "report_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A signed report (report.jws); repeatable. The entries it counted when made must all be there.",
)
@with_appcontext
def audit_verify(checkpoint_files: tuple[str, ...], report_files: tuple[str, ...]) -> None:
    """Check the whole hash chain; name the first broken entry (exit code 1 when broken), and with
    --checkpoint (or --against a signed report) any entries removed behind it (exit code 2 for a
    checkpoint or report that is not genuine)."""
    from lbt.audit.checkpoint import CheckpointRejected, published_keys, read_checkpoint
    from lbt.audit.services import verify_chain
    from lbt.permits.signing import SigningKeyError

    state = _state()
    checkpoints = []
    for path in checkpoint_files:
        try:
            keys = published_keys(state.find(KeyStore))
            with open(path, "rb") as handle:
                content = handle.read(64 * 1024)
            checkpoints.append(read_checkpoint(content, keys, state=state.settings.home_state))
        except (OSError, CheckpointRejected, SigningKeyError) as error:
            _fail(f"checkpoint {path} refused: {error}")
    for path in report_files:
        from lbt.reports.six_monthly import MAX_REPORT_BYTES, anchor_of_report

        try:
            with open(path, "rb") as handle:
                content = handle.read(MAX_REPORT_BYTES + 1)
            keys = published_keys(state.find(KeyStore))
            checkpoints.append(anchor_of_report(content, keys, state=state.settings.home_state))
        except (OSError, CheckpointRejected, SigningKeyError) as error:
            _fail(f"report {path} refused: {error}")
    with state.database.transaction(_cli_actor()) as session:
        result = verify_chain(session, checkpoints=checkpoints)
    if result.first_break is None:
        agreed = ""
        if checkpoints:
            newest = max(checkpoints, key=lambda checkpoint: checkpoint.entry_count)
            agreed = (
                f"; agrees with {len(checkpoints)} checkpoint(s), the longest of "
                f"{newest.made_at:%Y-%m-%d %H:%M} UTC ({newest.entry_count} entries)"
            )
        click.echo(f"Audit log intact: {result.checked} entries checked{agreed}.")
        return
    exit_if_broken(result)


def exit_if_broken(result: VerifyResult) -> None:
    """Name the first broken entry of a chain and exit with 1 (`lbt audit verify`, `lbt restore`)."""
    if result.first_break is None:
        return
    where = f"#{result.first_break.entry_id}" if result.first_break.entry_id is not None else "the start"
    click.echo(
        f"Audit log BROKEN at entry {where}: {result.first_break.reason} ({result.checked} entries read).",
        err=True,
    )
    sys.exit(1)


@audit_group.command("checkpoint")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The file to write (keep it outside the database's machine, e.g. one per day).",
)
@with_appcontext
def audit_checkpoint(out: str) -> None:
    """Sign where the audit chain ends now (head entry and hash, entry count, time) with the permit
    signing key, after checking the whole chain; run daily, keep the files elsewhere."""
    from lbt.audit.checkpoint import ChainNotIntact, make_checkpoint
    from lbt.permits.signing import SigningKeyError

    state = _state()
    try:
        key = state.find(KeyStore).active_key()
    except SigningKeyError as error:
        _fail(str(error))
        return
    try:
        with state.database.transaction(_cli_actor()) as session:
            checkpoint, token = make_checkpoint(
                session, key, state=state.settings.home_state, now=state.clock()
            )
    except ChainNotIntact as error:
        broken = error.result.first_break
        click.echo(
            f"Audit log BROKEN at entry #{broken.entry_id if broken else '?'}: "
            f"{broken.reason if broken else ''}; no checkpoint written.",
            err=True,
        )
        sys.exit(1)
    try:
        _write_atomically(out, token + "\n")
    except OSError as error:
        _fail(f"cannot write {out}: {error}")
    click.echo(
        f"Checkpoint written to {out}: {checkpoint.entry_count} entries, head #{checkpoint.head_entry_id} "
        f"{checkpoint.head_hash[:16]}…, signed with key {key.kid}."
    )


def _write_atomically(path: str, text: str) -> None:
    """The file appears whole or not at all (a full disk never leaves half a checkpoint)."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".checkpoint-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # public data: hashes and a signature, meant to be handed on
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
