"""Pages for officers and supervisors: the review queue, an application, decisions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("applications", __name__, url_prefix="/applications")
