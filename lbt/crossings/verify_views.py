"""The public check at /v: what a phone opens when anyone scans a permit card. The token stays in the
URL fragment (never sent to the server); the page checks its signature in the browser against the
published keys and shows what the QR itself carries, nothing from the database."""

from __future__ import annotations

from flask import Blueprint, render_template

from lbt.web.security import public

bp = Blueprint("verify", __name__)


@bp.get("/v")
@public
def check() -> str:
    return render_template("crossings/public_check.html")
