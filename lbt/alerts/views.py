"""The alert list for supervisors, and clearing alert-list hits."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("alerts", __name__, url_prefix="/alerts")
