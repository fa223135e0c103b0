"""Reference data pages: the administrator's lists (editing pages: ``lbt.reference.edit_views``) and the
detail pages that officers, border guards and representatives open for the records in their scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from lbt.accounts import policy
from lbt.accounts.models import Role
from lbt.core.pagination import Page
from lbt.reference import queries
from lbt.reference.edit_views import register_editing
from lbt.reference.forms import PlacedFilterForm, ReferenceFilterForm
from lbt.reference.labels import LANGUAGE_LABELS
from lbt.reference.queries import ReferenceFilter
from lbt.web.links import page_url
from lbt.web.names import reader_locale
from lbt.web.security import require, roles
from lbt.web.state import get_session

bp = Blueprint("reference", __name__, url_prefix="/reference")
register_editing(bp)

Lister = Callable[..., Page[Any]]


def _page_url(number: int) -> str:
    return page_url(request.endpoint or "", number, **(request.view_args or {}))


def _list_page(template: str, lister: Lister, form: ReferenceFilterForm) -> tuple[str, int] | str:
    """A filtered list, 50 rows a page; a filter that does not validate answers 400 with its message."""
    session = get_session()
    if isinstance(form, PlacedFilterForm):
        form.agreement.choices = [("", _("All agreements")), *queries.agreement_options(session)]
        form.state.choices = [("", _("All states")), *queries.state_options(session, reader_locale())]
    if request.args and not form.validate():
        empty: Page[Any] = Page((), 1, queries.PER_PAGE, 0)
        return render_template(template, form=form, page=empty, page_url=_page_url), 400
    filters = ReferenceFilter(
        search=form.q.data or "",
        active_only=bool(form.active.data),
        agreement_code=(form.agreement.data or "") if isinstance(form, PlacedFilterForm) else "",
        state_code=(form.state.data or "") if isinstance(form, PlacedFilterForm) else "",
    )
    page = lister(session, filters, page=form.page.data or 1)
    return render_template(template, form=form, page=page, page_url=_page_url)


@bp.get("/states")
@roles(Role.ADMIN)
def states() -> tuple[str, int] | str:
    return _list_page("reference/states.html", queries.list_states, ReferenceFilterForm(request.args))


@bp.get("/agreements")
@roles(Role.ADMIN)
def agreements() -> tuple[str, int] | str:
    return _list_page("reference/agreements.html", queries.list_agreements, ReferenceFilterForm(request.args))


@bp.get("/localities")
@roles(Role.ADMIN)
def localities() -> tuple[str, int] | str:
    return _list_page("reference/localities.html", queries.list_localities, PlacedFilterForm(request.args))


@bp.get("/crossing-points")
@roles(Role.ADMIN)
def crossing_points() -> tuple[str, int] | str:
    return _list_page(
        "reference/crossing_points.html", queries.list_crossing_points, PlacedFilterForm(request.args)
    )


@bp.get("/border-sections")
@roles(Role.ADMIN)
def border_sections() -> tuple[str, int] | str:
    return _list_page(
        "reference/border_sections.html", queries.list_border_sections, ReferenceFilterForm(request.args)
    )


@bp.get("/agreements/<int:agreement_id>")
@roles(Role.ADMIN, Role.OFFICER, Role.SUPERVISOR)
def agreement_detail(agreement_id: int) -> str:
    overview = queries.agreement_overview(get_session(), agreement_id)
    if overview is None:
        abort(404)
    require(policy.can_see_agreement(current_user, overview.agreement.id))
    return render_template(
        "reference/agreement_detail.html",
        overview=overview,
        agreement=overview.agreement,
        is_admin=_is_admin(),
    )


@bp.get("/crossing-points/<int:crossing_point_id>")
@roles(Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.BORDER_GUARD)
def crossing_point_detail(crossing_point_id: int) -> str:
    point = queries.get_crossing_point(get_session(), crossing_point_id)
    if point is None:
        abort(404)
    require(policy.can_see_crossing_point(current_user, point))
    agreement = point.agreement
    return render_template(
        "reference/crossing_point_detail.html",
        point=point,
        agreement=agreement,
        lbt_may_use=queries.permit_holders_may_use(agreement, point),
        agreement_link=policy.can_see_agreement(current_user, agreement.id),
        is_admin=_is_admin(),
    )


@bp.get("/border-sections/<int:section_id>")
@roles(Role.ADMIN, Role.REPRESENTATIVE)
def border_section_detail(section_id: int) -> str:
    section = queries.get_border_section(get_session(), section_id)
    if section is None:
        abort(404)
    require(policy.can_see_border_section(current_user, section))
    return render_template(
        "reference/border_section_detail.html",
        section=section,
        language_labels=LANGUAGE_LABELS,
        is_admin=_is_admin(),
    )


def _is_admin() -> bool:
    return bool(current_user.role is Role.ADMIN)
