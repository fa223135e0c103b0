"""The ``lbt`` command."""

from lbt.cli import operations  # noqa: F401 - registers its commands on main
from lbt.cli import reports  # noqa: F401 - registers its commands on main
from lbt.cli.core import main

__all__ = ["main"]
