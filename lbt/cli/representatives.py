"""``lbt representatives resend``: the move from the single-instance pilot to two linked instances
(docs/exchange.md, "From the pilot to two linked instances")."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from lbt.cli.core import _cli_actor, _fail
from lbt.cli.operations import representatives_group
from lbt.web.state import state as _state


@representatives_group.command("resend")
@click.option(
    "--agreement", "agreement_code", required=True, help="The linked agreement's code, e.g. TJ-KG-LBT."
)
@with_appcontext
def representatives_resend(agreement_code: str) -> None:
    """Queue this side's register, shared incidents and hand-over acts for the partner, whole (run once
    on each side after linking; `lbt exchange sync` sends them)."""
    from sqlalchemy import select

    from lbt.exchange.outbox import link_for
    from lbt.reference.models import Agreement
    from lbt.representatives.sharing.resend import resend

    state = _state()
    with state.database.transaction(_cli_actor()) as session:
        agreement = session.scalar(select(Agreement).where(Agreement.code == agreement_code))
        link = link_for(session, agreement.id, lock=True) if agreement is not None else None
        if link is None:
            _fail(f"The agreement {agreement_code} has no link: make one with `lbt exchange link` first.")
            return
        sent = resend(session, link, now=state.clock())
    click.echo(
        f"Queued for {link.partner_state}: {sent.appointments} register entries, {sent.incidents} shared "
        f"incidents, {sent.hand_overs} hand-over acts. Run `lbt exchange sync` to send them."
    )
