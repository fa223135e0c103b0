"""Reference data pages. (Being completed: list/create/edit/deactivate and CSV import.)"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from lbt.accounts import policy
from lbt.accounts.models import Role
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, Locality, State
from lbt.security import require, roles
from lbt.web import get_session

bp = Blueprint("reference", __name__, url_prefix="/reference")


def _list(model: type, title: str) -> str:
    rows = get_session().scalars(select(model)).all()
    return render_template("reference/list.html", rows=rows, title=title)


@bp.get("/states")
@roles(Role.ADMIN)
def states() -> str:
    return _list(State, "States")


@bp.get("/agreements")
@roles(Role.ADMIN)
def agreements() -> str:
    return _list(Agreement, "Agreements")


@bp.get("/localities")
@roles(Role.ADMIN)
def localities() -> str:
    return _list(Locality, "Localities")


@bp.get("/crossing-points")
@roles(Role.ADMIN)
def crossing_points() -> str:
    return _list(CrossingPoint, "Crossing points")


@bp.get("/border-sections")
@roles(Role.ADMIN)
def border_sections() -> str:
    return _list(BorderSection, "Border sections")


@bp.get("/agreements/<int:agreement_id>")
@roles(Role.ADMIN, Role.OFFICER, Role.SUPERVISOR)
def agreement_detail(agreement_id: int) -> str:
    agreement = get_session().get(Agreement, agreement_id) or abort(404)
    require(policy.can_see_agreement(current_user, agreement.id))
    return render_template("reference/list.html", rows=[agreement], title=agreement.code)


@bp.get("/crossing-points/<int:crossing_point_id>")
@roles(Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.BORDER_GUARD)
def crossing_point_detail(crossing_point_id: int) -> str:
    point = get_session().get(CrossingPoint, crossing_point_id) or abort(404)
    require(policy.can_see_crossing_point(current_user, point))
    return render_template("reference/list.html", rows=[point], title=point.code)


@bp.get("/border-sections/<int:section_id>")
@roles(Role.ADMIN, Role.REPRESENTATIVE)
def border_section_detail(section_id: int) -> str:
    section = get_session().get(BorderSection, section_id) or abort(404)
    require(policy.can_see_border_section(current_user, section))
    return render_template("reference/list.html", rows=[section], title=section.code)
