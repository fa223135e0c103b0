"""Permit pages for officers, the card PDF, and the published signing keys (JWKS)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import NamedTuple

from flask import Blueprint, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from lbt.accounts.models import Role, User
from lbt.accounts.queries import people
from lbt.core.errors import N_, ValidationFailed
from lbt.core.pagination import Page
from lbt.crossings.queries import PER_PAGE as CROSSINGS_PER_PAGE
from lbt.crossings.queries import permit_crossings
from lbt.exchange.received import recorded_by_partner
from lbt.permits import queries, services, usage
from lbt.permits.card import CardError
from lbt.permits.forms import (
    ANNUL,
    PERMIT_STATUS_LABELS,
    REINSTATE,
    REPLACE,
    REVOKE,
    SUSPEND,
    PermitChangeForm,
    PermitFilterForm,
    change_choices,
)
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.print_views import register_printing
from lbt.permits.printing import card_pdf
from lbt.permits.signing import KeyStore
from lbt.storage.uploads import FileStore
from lbt.web.actions import run_action
from lbt.web.links import page_url
from lbt.web.security import public, roles
from lbt.web.state import find_service, get_session, local_today, now, settings

bp = Blueprint("permits", __name__)
register_printing(bp)  # the print batch page (print_views.py)

STAFF = (Role.OFFICER, Role.SUPERVISOR)
PageResult = Response | str | tuple[str, int]
Change = Callable[..., None]

STATUS_CHANGES: dict[str, tuple[Change, str]] = {
    SUSPEND: (services.suspend, N_("Permit %(number)s was suspended.")),
    REINSTATE: (services.reinstate, N_("Permit %(number)s was reinstated.")),
    REVOKE: (services.revoke, N_("Permit %(number)s was revoked.")),
    ANNUL: (services.annul, N_("Permit %(number)s was annulled.")),
}


@bp.context_processor
def permit_labels() -> dict[str, object]:
    return {"permit_status_labels": PERMIT_STATUS_LABELS}


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _page_url(number: int) -> str:
    return page_url("permits.index", number)


@bp.get("/permits/")
@roles(*STAFF)
def index() -> tuple[str, int] | str:
    session = get_session()
    today = local_today()
    form = PermitFilterForm(request.args)
    context = {"form": form, "today": today, "page_url": _page_url}
    if request.args and not form.validate():
        return render_template("permits/index.html", page=Page((), 1, queries.PER_PAGE, 0), **context), 400
    filters = queries.PermitFilter(
        search=form.q.data or "",
        status=PermitStatus(form.status.data) if form.status.data else None,
        to_print=bool(form.to_print.data),
    )
    page = queries.permits(session, _user(), filters, today=today, page=form.page.data or 1)
    return render_template("permits/index.html", page=page, **context)


def _permit(permit_id: int) -> Permit:
    """The permit, if it belongs to an agreement the user serves (else 404 or 403)."""
    return services.get_for_staff(get_session(), permit_id, _user())


MAX_PAGE = 100_000  # a page number past every list (a larger one is this one)
DETAIL_PAGES = ("crossings_page", "partner_page", "cases_page")  # the permit page's paged lists


def _page_arg(name: str) -> int:
    return min(max(request.args.get(name, 1, type=int) or 1, 1), MAX_PAGE)


def _detail_page_url(permit: Permit, name: str) -> Callable[[int], str]:
    """The permit page with one of its lists at another page, the others' pages kept."""

    def page_url(number: int) -> str:
        # only the lists' pages are carried over: any other name (permit_id, url_for's _anchor or
        # _method) would be taken by url_for and break the page (500)
        args = {key: value for key, value in request.args.items() if key in DETAIL_PAGES}
        args[name] = str(number)
        return url_for("permits.detail", permit_id=permit.id, _anchor="crossings-heading", **args)

    return page_url


def _usage_context(session: Session, permit: Permit) -> dict[str, object]:
    """How the permit was used (permits/_usage.html): where the holder stands, its crossings, the
    partner's records of it and its misuse cases, each list paged on its own."""
    return {
        "usage": usage.usage(session, permit, now()),
        "crossings": permit_crossings(session, permit.id, page=_page_arg("crossings_page")),
        "by_partner": recorded_by_partner(
            session, permit.id, page=_page_arg("partner_page"), per_page=CROSSINGS_PER_PAGE
        ),
        "cases": usage.misuse_cases(session, permit.id, page=_page_arg("cases_page")),
        "crossings_url": _detail_page_url(permit, "crossings_page"),
        "partner_url": _detail_page_url(permit, "partner_page"),
        "cases_url": _detail_page_url(permit, "cases_page"),
    }


def _detail(permit: Permit, form: PermitChangeForm | None = None) -> tuple[str, int]:
    session = get_session()
    today = local_today()
    if form is None:
        form = PermitChangeForm(formdata=None)
        form.change.choices = change_choices(permit, today)
    return render_template(
        "permits/detail.html",
        permit=permit,
        form=form,
        today=today,
        effective=permit.effective_status(today),
        replacement=queries.replacement_of(session, permit),
        people=people(session, [permit.issued_by_id]),
        apply_url=settings().public_url + "/apply/",
        **_usage_context(session, permit),
    ), 400 if form.errors else 200


@bp.get("/permits/<int:permit_id>")
@roles(*STAFF)
def detail(permit_id: int) -> tuple[str, int]:
    return _detail(_permit(permit_id))


class Changed(NamedTuple):
    """What a change did: the permit to show next (the new one after a replacement) and what to say."""

    shown: Permit
    message: str


def _make_change(
    session: Session, permit: Permit, change: str, reason: str, user: User, moment: datetime
) -> Changed:
    """Do the chosen change."""
    if change == REPLACE:
        key = find_service(KeyStore).active_key()
        new = services.replace(session, permit, officer=user, reason=reason, key=key, now=moment)
        return Changed(new, _("Permit %(new)s replaces %(old)s.", new=new.number, old=permit.number))
    act, message = STATUS_CHANGES[change]
    act(session, permit, officer=user, reason=reason, now=moment)
    return Changed(permit, _(message, number=permit.number))


@bp.post("/permits/<int:permit_id>/change")
@roles(*STAFF)
def change(permit_id: int) -> PageResult:
    """Suspend, reinstate, revoke, annul or replace, always with a reason (the audit log keeps it)."""
    session = get_session()
    permit = _permit(permit_id)
    form = PermitChangeForm()
    form.change.choices = change_choices(permit, local_today())
    make = partial(
        _make_change, session, permit, form.change.data or "", form.reason.data or "", _user(), now()
    )
    outcome = run_action(
        form, make, lambda changed: changed.message, refusals=(ValidationFailed, services.PermitWithdrawn)
    )
    if outcome.done:
        return redirect(url_for("permits.detail", permit_id=outcome.result.shown.id))
    return _detail(permit, form)


@bp.get("/permits/<int:permit_id>/card.pdf")
@roles(*STAFF)
def card(permit_id: int) -> Response:
    """The printable card (ID-1, both sides) of one valid permit."""
    session = get_session()
    permit = _permit(permit_id)
    if permit.effective_status(local_today()) is not PermitStatus.ACTIVE:
        flash(_("Only a valid permit can be printed."), "error")
        return redirect(url_for("permits.detail", permit_id=permit.id))
    try:
        pdf = card_pdf(session, permit, settings=settings(), files=find_service(FileStore))
    except CardError as error:
        flash(_("The card cannot be printed: %(problem)s", problem=str(error)), "error")
        return redirect(url_for("permits.detail", permit_id=permit.id))
    except FileNotFoundError:
        flash(_("The card cannot be printed: the holder's photo is missing from the file store."), "error")
        return redirect(url_for("permits.detail", permit_id=permit.id))
    if permit.card_printed_at is None:  # no longer among the officers' "to print"
        permit.card_printed_at = now()
        session.commit()
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f"attachment; filename={permit.number}.pdf"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/.well-known/jwks.json")
@public
def jwks_document() -> Response:
    """RFC 7517 JWK Set of the permit signing keys; cached briefly by phones and crossing points."""
    response = jsonify(services.published_jwks(get_session(), find_service(KeyStore), now().date()))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
