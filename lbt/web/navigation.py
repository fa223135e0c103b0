"""The menu of each role, built from the endpoints' own access rules so the two cannot disagree."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lbt.web.security import AUTHENTICATED, PUBLIC, access_of

MENU = (
    ("home.index", _l("Home")),
    ("applications.queue", _l("Applications")),
    ("permits.index", _l("Permits")),
    ("alerts.index", _l("Alert list")),
    ("crossings.verify", _l("Check a permit")),
    ("crossings.log", _l("Crossings")),
    ("crossing_reviews.index", _l("Held crossings")),
    ("representatives.index", _l("Meetings")),
    ("reports.index", _l("Reports")),
    ("exchange_received.misuse_cases", _l("From the partner")),
    ("jobs.mine", _l("My jobs")),
    ("accounts.users", _l("Users")),
    ("reference.states", _l("States")),
    ("reference.agreements", _l("Agreements")),
    ("reference.localities", _l("Localities")),
    ("reference.crossing_points", _l("Crossing points")),
    ("reference.border_sections", _l("Border sections")),
    ("exchange.admin", _l("Partner exchange")),
    ("audit.entries", _l("Audit log")),
)


def menu_for_current_user() -> list[dict[str, Any]]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label in MENU:
        view = current_app.view_functions.get(endpoint)
        if view is None:  # an area not installed in this build
            continue
        access = access_of(view)
        if access in (PUBLIC, AUTHENTICATED) or (access and current_user.role in access):
            items.append({"url": url_for(endpoint), "label": label, "active": request.endpoint == endpoint})
    return items


def init_navigation(app: Flask) -> None:
    @app.context_processor
    def navigation_context() -> dict[str, Any]:
        return {"menu": menu_for_current_user}
