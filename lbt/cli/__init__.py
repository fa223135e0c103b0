"""The ``lbt`` command."""

from lbt.cli import backup, crossings, exchange, jobs, operations, reports, representatives, two_factor  # noqa: F401 - register their commands on main
from lbt.cli.core import main

__all__ = ["main"]
