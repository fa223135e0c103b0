"""`lbt`: local border traffic permits and border-representative cooperation."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from lbt.core.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """The WSGI app (``gunicorn 'lbt:create_app()'``); built in `lbt.app`, the composition root."""
    from lbt.app import create_app as build

    return build(settings)
