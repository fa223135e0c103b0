"""The border guard's pages: the verification page and the crossing logs."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("crossings", __name__, url_prefix="/crossings")
