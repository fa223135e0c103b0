"""``lbt users reset-two-factor``: the way back in when the only administrator lost their phone and
their recovery codes (an administrator's page does it for everyone else); and the demo accounts as
``lbt serve --demo`` and ``lbt demo`` print them, each with its second factor."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from lbt.cli.core import _cli_actor, _fail, users_group
from lbt.web.state import state as _state


@users_group.command("reset-two-factor")
@click.argument("username")
@with_appcontext
def users_reset_two_factor(username: str) -> None:
    """Remove a user's two-factor login (a lost phone): audited, their logins end, they are told by mail;
    at the next login a role that needs it sets it up again."""
    from lbt.accounts.services import find_user
    from lbt.accounts.two_factor.policy import reset
    from lbt.core.errors import DomainError

    state = _state()
    settings = state.settings
    try:
        with state.database.transaction(_cli_actor()) as session:
            user = find_user(session, username)
            if user is None:
                _fail(f"no user named {username!r}")
                return
            reset(
                session,
                user,
                now=state.clock(),
                public_url=settings.public_url,
                zone_name=settings.instance_zone,
            )
            click.echo(f"Two-factor login of {user.username} reset; their logins ended.")
    except DomainError as error:
        _fail(str(error))


def echo_demo_accounts(instance_path: Path) -> None:
    from lbt.demo.reference import read_demo_logins
    from lbt.demo.two_factor import code_command

    accounts = read_demo_logins(instance_path)
    if not accounts:
        return
    click.echo("Demo accounts (username / password / role), each with its two-factor key:")
    for account in accounts:
        click.echo(f"  {account.username:<16} {account.password:<24} {account.role}")
        if account.totp_secret:
            click.echo(f"    key {account.totp_secret}  code now: {code_command(account.totp_secret)}")
            click.echo(f"    {account.totp_uri}")
            click.echo(f"    recovery codes: {' '.join(account.recovery_codes)}")
    click.echo(
        "After the password, type the code of an authenticator app to which the key (or the otpauth "
        "address) was added, or the one the python3 line prints; each recovery code works once."
    )
