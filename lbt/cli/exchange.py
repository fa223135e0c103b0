"""``lbt exchange``: the link to the partner state's instance (docs/exchange.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lbt.cli.core import _cli_actor, _fail, _write_atomically, main
from lbt.web.state import state as _state


@main.group("exchange")
def exchange_group() -> None:
    """The signed exchange with the partner state's instance."""


def _keys():  # type: ignore[no-untyped-def]
    from lbt.exchange.keys import ExchangeKeyStore

    return _state().find(ExchangeKeyStore)


@exchange_group.command("key")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@with_appcontext
def exchange_key(out: str) -> None:
    """Write this instance's exchange public key (a JWK Set) to hand to the partner's administrator."""
    from lbt.exchange.messages import exchange_jwks
    from lbt.permits.signing import SigningKeyError

    try:
        key = _keys().ensure_key(_state().clock())
    except SigningKeyError as error:
        _fail(str(error))
        return
    try:
        _write_atomically(out, json.dumps(exchange_jwks(key), indent=2) + "\n")
    except OSError as error:
        _fail(f"cannot write {out}: {error}")
    click.echo(f"Exchange key {key.kid} written to {out}.")


@exchange_group.command("link")
@click.option("--agreement", "agreement_code", required=True, help="The agreement's code, e.g. TJ-KG-LBT.")
@click.option("--partner-url", required=True, help="The partner instance's base address (https://...).")
@click.option(
    "--partner-key",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The partner's key file (written by `lbt exchange key` on its side).",
)
@with_appcontext
def exchange_link(agreement_code: str, partner_url: str, partner_key: str) -> None:
    """Link an agreement to the partner's instance, pinning the partner's exchange key."""
    from lbt.core.errors import DomainError
    from lbt.exchange.links import make_link
    from lbt.permits.signing import SigningKeyError

    state = _state()
    try:
        content = Path(partner_key).read_bytes()[: 64 * 1024 + 1]
    except OSError as error:
        _fail(f"cannot read {partner_key}: {error}")
        return
    try:
        with state.database.transaction(_cli_actor()) as session:
            link = make_link(
                session,
                agreement_code=agreement_code,
                partner_url=partner_url,
                key_file=content,
                home_state=state.settings.home_state,
                keys=_keys(),
                actor=None,
                now=state.clock(),
            )
            message = (
                f"Agreement {link.agreement.code} linked to {link.partner_state} at {link.partner_url} "
                f"(partner key {link.partner_kid})."
            )
    except (DomainError, SigningKeyError) as error:
        _fail(str(error))
        return
    click.echo(message)


def _change_link(agreement_code: str, change, said) -> None:  # type: ignore[no-untyped-def]
    """Apply ``change(session, link)`` to the agreement's link in one audited transaction."""
    from lbt.core.errors import DomainError
    from lbt.exchange.links import link_of

    state = _state()
    try:
        with state.database.transaction(_cli_actor()) as session:
            link = change(session, link_of(session, agreement_code))
            message = said(link)
    except DomainError as error:
        _fail(str(error))
        return
    click.echo(message)


@exchange_group.command("deactivate")
@click.option("--agreement", "agreement_code", required=True, help="The linked agreement's code.")
@with_appcontext
def exchange_deactivate(agreement_code: str) -> None:
    """Stop a link's traffic: nothing is pushed or fetched, the partner's requests are answered 409
    "link inactive"; what is queued stays, and changes keep queuing on the link in order."""
    from lbt.exchange.links import deactivate_link

    _change_link(
        agreement_code,
        lambda session, link: deactivate_link(session, link, now=_state().clock()),
        lambda link: f"The link of {link.agreement.code} is inactive; changes still queue on it.",
    )


@exchange_group.command("reactivate")
@click.option("--agreement", "agreement_code", required=True, help="The linked agreement's code.")
@with_appcontext
def exchange_reactivate(agreement_code: str) -> None:
    """Let a deactivated link's traffic go again: the next sync sends what waited, in order."""
    from lbt.exchange.links import reactivate_link

    _change_link(
        agreement_code,
        reactivate_link,
        lambda link: f"The link of {link.agreement.code} is active again.",
    )


@exchange_group.command("repoint")
@click.option("--agreement", "agreement_code", required=True, help="The linked agreement's code.")
@click.option("--partner-url", required=True, help="The partner instance's new base address (https://...).")
@with_appcontext
def exchange_repoint(agreement_code: str, partner_url: str) -> None:
    """Send a link's traffic to the partner's new address. The pinned key stays: it changes only by
    the partner's rotation, signed with the old key."""
    from lbt.exchange.links import repoint_link

    _change_link(
        agreement_code,
        lambda session, link: repoint_link(session, link, partner_url),
        lambda link: f"The link of {link.agreement.code} goes to {link.partner_url}; its key is unchanged.",
    )


@exchange_group.command("sync")
@with_appcontext
def exchange_sync() -> None:
    """Send what is queued and fetch what is new, on every link (the worker runs this every minute).
    Exit code 1 when a link could not be synced."""
    from lbt.exchange.sync import sync_all

    state = _state()
    results = sync_all(state.database, state.settings, keys=_keys(), clock=state.clock)
    if not results:
        click.echo("No agreement is linked, or every link is inactive.")
    for result in results:
        line = (
            f"{result.agreement} with {result.partner}: {result.confirmed} confirmed by the partner, "
            f"{result.applied} applied here, {result.held} held, {result.refused} refused"
        )
        click.echo(line + ("." if result.ok else f"; {'; '.join(result.errors)}"))
    if any(not result.ok for result in results):
        sys.exit(1)


@exchange_group.command("status")
@with_appcontext
def exchange_status() -> None:
    """Per link: last contact each way, messages waiting to be sent, held and refused, the last error."""
    from lbt.exchange.links import link_statuses

    state = _state()
    with state.database.transaction(_cli_actor()) as session:
        statuses = link_statuses(session, now=state.clock())
        if not statuses:
            click.echo("No agreement is linked.")
        for status in statuses:
            link = status.link

            def when(moment):  # type: ignore[no-untyped-def]
                return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "never"

            inactive = f" (inactive since {when(link.deactivated_at)})" if link.deactivated_at else ""
            click.echo(f"{link.agreement.code} with {link.partner_state} at {link.partner_url}{inactive}")
            click.echo(f"  partner key {link.partner_kid}, our key {link.own_kid}")
            click.echo(f"  last sent (confirmed by the partner): {when(link.last_sent_at)}")
            click.echo(f"  last received from the partner:      {when(link.last_received_at)}")
            click.echo(
                f"  queued: {status.queued}, held: {status.held}, refused in the last day: "
                f"{status.refused_recently}; numbered up to {link.out_sequence} out, {link.in_sequence} in"
            )
            click.echo(f"  last error: {link.last_error or 'none'}")


@exchange_group.command("prune")
@click.option(
    "--days",
    type=click.IntRange(min=31),
    default=None,
    help="Keep what is younger than this many days (default: LBT_EXCHANGE_KEEP_DAYS, 90).",
)
@with_appcontext
def exchange_prune(days: int | None) -> None:
    """Delete our messages the partner confirmed, the partner's messages applied here and the refusals,
    older than the days kept (the worker does it daily); what waits, and what a record names, stays."""
    from datetime import timedelta

    from lbt.exchange.pruning import prune

    state = _state()
    keep = timedelta(days=days if days is not None else state.settings.exchange_keep_days)
    with state.database.transaction(_cli_actor()) as session:
        pruned = prune(session, now=state.clock(), keep=keep)
    click.echo(
        f"Deleted {pruned.sent} message(s) sent, {pruned.received} received and {pruned.refusals} "
        f"refusal(s) older than {keep.days} days."
    )


@exchange_group.command("rotate-key")
@with_appcontext
def exchange_rotate_key() -> None:
    """Make a new exchange key; every link announces it in a message signed with the old key and signs
    with the new one from then on (the old key is kept until the partner has applied that message)."""
    from lbt.exchange.rotation import rotate

    state = _state()
    with state.database.transaction(_cli_actor()) as session:
        key, told = rotate(session, _keys(), now=state.clock())
    click.echo(f"New exchange key {key.kid}; {told} link(s) will announce it at the next sync.")
