"""The home page of each role and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from lbt.accounts.models import Role
from lbt.accounts.services import set_locale
from lbt.home import counts
from lbt.home.services import home_summary
from lbt.web.forms import ActionForm
from lbt.web.i18n import LOCALE_COOKIE, LOCALES
from lbt.web.security import is_safe_next, public
from lbt.web.state import get_session, now, settings

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index() -> Response | str:
    if not current_user.is_authenticated:
        return render_template("home/public.html")
    session = get_session()
    summary = home_summary(session, current_user)
    public_url = settings().public_url
    return render_template(
        f"home/{Role(current_user.role).value}.html",
        summary=summary,
        figures=counts.figures(session, current_user, now(), settings().home_state),
        public_url=public_url,
        public_url_elsewhere=current_user.role == Role.ADMIN and not _names_this_host(public_url),
    )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _names_this_host(url: str) -> bool:
    """Whether the public address (LBT_PUBLIC_URL, put in cards' QR codes and in mails) names the
    host and port this request came to."""
    public, here = urlsplit(url), urlsplit(f"{request.scheme}://{request.host}")
    try:
        public_port = public.port or _DEFAULT_PORTS.get(public.scheme)
        here_port = here.port or _DEFAULT_PORTS.get(here.scheme)
    except ValueError:  # a port that is not a number
        return False
    return (public.hostname or "") == (here.hostname or "") and public_port == here_port


@bp.post("/language")
@public
def set_language() -> Response:
    """Remember the chosen language in a cookie, and in the account when logged in."""
    form = ActionForm()
    locale = request.form.get("locale", "")
    target = request.form.get("next", "")
    if not is_safe_next(target):
        target = request.referrer if is_safe_next(_local(request.referrer)) else url_for("home.index")
        target = _local(target) or url_for("home.index")
    response = make_response(redirect(target))
    if form.validate() and locale in LOCALES:
        response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        if current_user.is_authenticated:
            session = get_session()
            set_locale(session, current_user, locale)
            session.commit()
    return response


def _local(url: str | None) -> str:
    """The path, query and fragment of a URL on this site ("" for another site)."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return ""
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))
