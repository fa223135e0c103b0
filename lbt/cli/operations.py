"""Operations commands: translations, mail, signing keys, permit printing, files, API tokens, sections."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import with_appcontext

from lbt.cli.core import _cli_actor, _fail, main
from lbt.core.dates import state_today
from lbt.permits.signing import KeyStore
from lbt.storage.uploads import FileStore
from lbt.web.state import state as _state

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
        key = state.find(KeyStore).rotate(state.clock())
    except SigningKeyError as error:
        _fail(str(error))
        return
    click.echo(f"New signing key {key.kid}.")


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """The signing keys: kid, created, retired."""
    state = _state()
    active = state.find(KeyStore).active_key().kid
    for record in state.find(KeyStore).public_keys():
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
    """Make a print batch of permit cards (ID-1, front and back) as one PDF. Only valid permits are
    printed; a permit that is not, or whose card cannot be printed, is listed with the reason and
    skipped, and the exit code is then 1."""
    import os
    import tempfile

    from lbt.permits.printing import permit_ids_to_print, print_batch

    if since is None and not numbers:
        _fail("give --since DATE or at least one --number")
    state = _state()
    settings = state.settings
    directory = os.path.dirname(os.path.abspath(output))
    with state.database.transaction(_cli_actor()) as session:
        chosen = permit_ids_to_print(session, since=since.date() if since else None, numbers=numbers)
        missing = sorted({n.strip().upper() for n in numbers} - {number for _id, number in chosen})
        if missing:
            _fail(f"no permit numbered {', '.join(missing)}")
        if not chosen:
            _fail("no permits match")
        # written beside the output and renamed once complete: a failed batch leaves no half PDF
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".cards-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as handle:
                report = print_batch(
                    session,
                    [permit_id for permit_id, _number in chosen],
                    handle,
                    today=state_today(settings.home_state, state.clock()),  # expired from local midnight
                    now=state.clock(),
                    home_state=settings.home_state,
                    authority=settings.issuing_authority,
                    public_url=settings.public_url,
                    files=state.find(FileStore),
                )
            if report.printed:  # the cards were marked printed as drawn, in this transaction
                os.replace(temporary, output)  # mode 0600 from mkstemp: photos and personal data
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    if report.printed:
        click.echo(f"{len(report.printed)} card(s) written to {output}.")
    else:
        click.echo(f"No card printed; {output} not written.")
    for skipped in report.skipped:
        click.echo(f"Skipped {skipped.number}: {skipped.reason}.", err=True)
    if report.skipped:
        click.echo(f"{len(report.skipped)} permit(s) skipped.", err=True)
        sys.exit(1)


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

    import lbt.models  # noqa: F401  (the foreign keys of every table decide which files are in use)
    from lbt.storage.uploads import prune_unused

    state = _state()
    with state.database.transaction(_cli_actor()) as session:
        count = prune_unused(session, state.find(FileStore), state.clock() - timedelta(hours=hours))
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
    from lbt.core.errors import DomainError

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


# --- border representatives ------------------------------------------------------------------------


@main.group("representatives")
def representatives_group() -> None:
    """Border representatives."""


@representatives_group.command("remind")
@with_appcontext
def representatives_remind() -> None:
    """Queue the meeting invitations and the day-before reminders that are due, each only once (run it
    every few minutes; `lbt mail send` sends the outbox)."""
    from lbt.representatives.reminders import send_due

    state = _state()
    with state.database.transaction(_cli_actor()) as session:
        sent = send_due(session, public_url=state.settings.public_url, now=state.clock())
    click.echo(f"{sent.invitations} invitation(s) and {sent.reminders} reminder(s) queued.")
