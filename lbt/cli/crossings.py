"""``lbt crossings``: upkeep of the crossing summaries (issue 11)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from lbt.cli.core import _cli_actor, main
from lbt.web.state import state as _state


@main.group("crossings")
def crossings_group() -> None:
    """Crossings and their summaries."""


@crossings_group.command("rebuild-summaries")
@with_appcontext
def rebuild_summaries() -> None:
    """Recompute who is inside (permit_presence) and the day counts (crossing_day_counts) from the
    crossings, and say how many rows differed (0 and 0: they were right). Safe to run at any time;
    crossings recorded meanwhile wait for it (the tables are rewritten in one transaction)."""
    from lbt.crossings.summaries import rebuild

    with _state().database.transaction(_cli_actor()) as session:
        differences = rebuild(session)
    click.echo(
        f"permit_presence: {differences.presence} row(s) differed; "
        f"crossing_day_counts: {differences.day_counts} row(s) differed."
        + (" Both rebuilt." if differences.presence or differences.day_counts else " Nothing to change.")
    )
