"""Pages for residents (no account): apply, follow the application, answer, ask for reconsideration."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("apply", __name__, url_prefix="/apply")
