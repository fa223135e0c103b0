"""The ``lbt`` command."""

from lbt.cli import crossings, operations, reports  # noqa: F401 - register their commands on main
from lbt.cli.core import main

__all__ = ["main"]
