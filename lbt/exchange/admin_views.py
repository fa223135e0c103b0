"""The administrator's page of partner links (``/admin/exchange``): make a link from the partner's key
file, send a link's traffic to a new address, deactivate and reactivate a link, download this
instance's exchange key. Every change is audited (the link is an audited record)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from lbt.accounts.models import Role
from lbt.core.errors import ValidationFailed
from lbt.exchange import links as link_services
from lbt.exchange.forms import MAX_KEY_FILE, AddressForm, LinkForm, LinkStateForm
from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.links import LinkRefused, make_link
from lbt.exchange.models import ExchangeLink
from lbt.reference.models import Agreement
from lbt.web.actions import run_action
from lbt.web.forms import BaseForm
from lbt.web.security import roles
from lbt.web.state import find_service, get_session, now, settings

PageResult = Response | tuple[str, int]


def _link_form() -> LinkForm:
    form = LinkForm()
    session = get_session()
    linked = set(session.scalars(select(ExchangeLink.agreement_id)))
    home = settings().home_state
    form.agreement.choices = [
        (agreement.code, f"{agreement.code} — {agreement.name}")
        for agreement in session.scalars(select(Agreement).order_by(Agreement.code))
        if agreement.id not in linked and agreement.party(home) is not None
    ]
    return form


def _address_form(link_id: int, **kwargs: object) -> AddressForm:
    """One address form per link on the page, its field named apart by the link's id."""
    return AddressForm(prefix=f"link-{link_id}", **kwargs)


def _state_form(link_id: int, **kwargs: object) -> LinkStateForm:
    return LinkStateForm(prefix=f"link-{link_id}-state", **kwargs)


def _page(
    form: LinkForm, refused: BaseForm | None = None, refused_link: int | None = None
) -> tuple[str, int]:
    """The page; a form that was refused is shown with its errors (answered 400)."""
    session = get_session()
    keys = find_service(ExchangeKeyStore)
    own = keys.public_keys()
    statuses = link_services.link_statuses(session, now=now())
    address_forms: dict[int, BaseForm] = {}
    state_forms: dict[int, BaseForm] = {}
    for status in statuses:
        link = status.link
        address_forms[link.id] = _address_form(link.id, formdata=None, data={"partner_url": link.partner_url})
        state_forms[link.id] = _state_form(link.id, formdata=None)
    if refused is not None and refused_link is not None:
        (address_forms if isinstance(refused, AddressForm) else state_forms)[refused_link] = refused
    failed = bool(form.errors) or (refused is not None and bool(refused.errors))
    return render_template(
        "exchange/admin.html",
        form=form,
        statuses=statuses,
        address_forms=address_forms,
        state_forms=state_forms,
        refusals=link_services.recent_refusals(session),
        own_key=own[0] if own else None,
    ), (400 if failed else 200)


def _link(link_id: int) -> ExchangeLink:
    link = get_session().get(ExchangeLink, link_id)
    if link is None:
        abort(404)
    return link


def register_admin(bp: Blueprint) -> None:
    @bp.get("/admin/exchange")
    @roles(Role.ADMIN)
    def admin() -> tuple[str, int]:
        return _page(_link_form())

    @bp.post("/admin/exchange/links")
    @roles(Role.ADMIN)
    def create_link() -> PageResult:
        form = _link_form()
        key_file = form.partner_key.data

        def action() -> ExchangeLink:
            return make_link(
                get_session(),
                agreement_code=form.agreement.data or "",
                partner_url=form.partner_url.data or "",
                key_file=key_file.read(MAX_KEY_FILE + 1) if key_file else b"",
                home_state=settings().home_state,
                keys=find_service(ExchangeKeyStore),
                actor=current_user._get_current_object(),  # type: ignore[attr-defined]
                now=now(),
            )

        outcome = run_action(
            form,
            action,
            lambda link: _(
                "Agreement %(code)s is linked to %(url)s.", code=link.agreement.code, url=link.partner_url
            ),
        )
        if outcome.done:
            return redirect(url_for("exchange.admin"))
        return _page(form)

    def _on_link(
        link_id: int,
        form: BaseForm,
        action: Callable[[ExchangeLink], ExchangeLink],
        said: Callable[[ExchangeLink], str],
    ) -> PageResult:
        link = _link(link_id)
        outcome = run_action(form, lambda: action(link), said, refusals=(LinkRefused, ValidationFailed))
        if outcome.done:
            return redirect(url_for("exchange.admin"))
        return _page(_link_form(), form, link_id)

    @bp.post("/admin/exchange/links/<int:link_id>/address")
    @roles(Role.ADMIN)
    def repoint_link(link_id: int) -> PageResult:
        form = _address_form(link_id)
        return _on_link(
            link_id,
            form,
            lambda link: link_services.repoint_link(get_session(), link, form.partner_url.data or ""),
            lambda link: _(
                "The link of %(code)s goes to %(url)s now; the partner's key is unchanged.",
                code=link.agreement.code,
                url=link.partner_url,
            ),
        )

    @bp.post("/admin/exchange/links/<int:link_id>/deactivate")
    @roles(Role.ADMIN)
    def deactivate_link(link_id: int) -> PageResult:
        return _on_link(
            link_id,
            _state_form(link_id),
            lambda link: link_services.deactivate_link(get_session(), link, now=now()),
            lambda link: _(
                "The link of %(code)s is inactive: nothing is sent or taken until it is reactivated; "
                "changes still queue on it.",
                code=link.agreement.code,
            ),
        )

    @bp.post("/admin/exchange/links/<int:link_id>/reactivate")
    @roles(Role.ADMIN)
    def reactivate_link(link_id: int) -> PageResult:
        return _on_link(
            link_id,
            _state_form(link_id),
            lambda link: link_services.reactivate_link(get_session(), link),
            lambda link: _(
                "The link of %(code)s is active again: the next sync sends what waited, in order.",
                code=link.agreement.code,
            ),
        )

    @bp.get("/admin/exchange/key.json")
    @roles(Role.ADMIN)
    def own_key() -> Response:
        """This instance's exchange public key, to hand to the partner (as ``lbt exchange key`` writes it)."""
        key = find_service(ExchangeKeyStore).ensure_key(now())
        response = jsonify({"keys": [key.public_jwk()]})
        response.headers["Content-Disposition"] = (
            f'attachment; filename="exchange-key-{settings().home_state}.json"'
        )
        return response
