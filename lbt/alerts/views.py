"""The alert list for supervisors (officers may read it), and clearing alert-list hits."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from lbt.accounts import queries as accounts_queries
from lbt.accounts.models import Role, User
from lbt.alerts import queries, services
from lbt.alerts.forms import ALERT_STATE_LABELS, AlertFilterForm, AlertForm, ClearHitForm
from lbt.alerts.models import Alert, AlertHit
from lbt.applications.services import get_for_staff
from lbt.core.pagination import Page
from lbt.web.actions import run_action
from lbt.web.forms import ActionForm
from lbt.web.links import page_url
from lbt.web.security import roles
from lbt.web.state import form_page, get_session, local_today, now

bp = Blueprint("alerts", __name__, url_prefix="/alerts")

PageResult = Response | str | tuple[str, int]


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _name(alert: Alert) -> str:
    return f"{alert.surname_latin} {alert.given_names_latin}".strip() or alert.document_number


def _page_url(number: int) -> str:
    return page_url("alerts.index", number)


@bp.get("/")
@roles(Role.OFFICER, Role.SUPERVISOR)
def index() -> tuple[str, int] | str:
    session = get_session()
    user = _user()
    form = AlertFilterForm(request.args)
    context = {
        "form": form,
        "today": local_today(),
        "page_url": _page_url,
        "state_of": queries.alert_state,
        "state_labels": ALERT_STATE_LABELS,
        "can_manage": user.role is Role.SUPERVISOR,
        "open_hits": queries.open_hits(session, user),
    }
    if request.args and not form.validate():
        empty: Page[object] = Page((), 1, queries.PER_PAGE, 0)
        return render_template("alerts/index.html", page=empty, people={}, **context), 400
    filters = queries.AlertFilter(search=form.q.data or "", include_lifted=bool(form.lifted.data))
    page = queries.alerts(session, filters, page=form.page.data or 1)
    people = accounts_queries.people(session, [alert.created_by_id for alert in page.items])
    return render_template("alerts/index.html", page=page, people=people, **context)


@bp.route("/new", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def new() -> PageResult:
    form = AlertForm()

    def create() -> Alert:
        data = services.AlertInput(
            surname=form.surname.data or "",
            given_names=form.given_names.data or "",
            birth_date=form.birth_date.data,
            document_number=form.document_number.data or "",
            reason=form.reason.data or "",
            valid_until=form.valid_until.data,
        )
        return services.create_alert(get_session(), data, supervisor=_user(), now=now(), today=local_today())

    outcome = run_action(
        form, create, lambda alert: _("%(name)s was added to the alert list.", name=_name(alert))
    )
    if outcome.done:
        return redirect(url_for("alerts.index"))
    return form_page("alerts/form.html", form)


@bp.post("/<int:alert_id>/deactivate")
@roles(Role.SUPERVISOR)
def deactivate(alert_id: int) -> Response:
    """Lift an alert: it no longer matches new applications (the hits it gave stay on record)."""
    session = get_session()
    alert = services.get_alert(session, alert_id)
    lift = partial(services.deactivate_alert, session, alert, supervisor=_user())
    lifted = _("The alert on %(name)s was lifted.", name=_name(alert))
    if not run_action(ActionForm(), lift, lifted, refusals=()).done:
        abort(400)
    return redirect(url_for("alerts.index"))


@bp.route("/hits/<int:hit_id>/clear", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def clear_hit(hit_id: int) -> PageResult:
    """A supervisor of the application's agreement clears a hit (e.g. a namesake), with a reason."""
    session = get_session()
    hit = session.get(AlertHit, hit_id)
    if hit is None:
        abort(404)
    application = get_for_staff(session, hit.application_id, _user())
    form = ClearHitForm()
    clear = partial(
        services.clear_hit, session, hit, supervisor=_user(), reason=form.reason.data or "", now=now()
    )
    message = _("The alert-list hit on %(reference)s was cleared.", reference=application.reference)
    if run_action(form, clear, message).done:
        return redirect(url_for("applications.detail", application_id=application.id))
    return form_page("alerts/clear_hit.html", form, hit=hit, application=application)
