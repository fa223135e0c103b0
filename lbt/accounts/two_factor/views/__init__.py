"""Pages of two-factor login: the login's second step and enrolment right after the password
(``login``), the user's own page (``account``), the administrator's roles and resets (``admin``)."""

from flask import Blueprint

bp = Blueprint("two_factor", __name__)

from lbt.accounts.two_factor.views import account, admin, keys, login  # noqa: E402, F401 - register the routes
