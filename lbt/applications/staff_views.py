"""Pages for officers and supervisors: the review queue, an application, decisions."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any, NamedTuple

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from lbt.accounts.models import Role, User
from lbt.applications import notify, queries, services
from lbt.applications.fees import FeeKind, fee_text
from lbt.applications.models import Application, ApplicationDocument, ApplicationStatus, FeeStatus
from lbt.applications.services import WrongState
from lbt.applications.staff_forms import (
    ALL,
    APPLICATION_KIND_LABELS,
    APPLICATION_STATUS_LABELS,
    CHECK_LABELS,
    DOCUMENT_KIND_LABELS,
    EVENT_KIND_LABELS,
    FEE_STATUS_LABELS,
    REFUSAL_REASON_LABELS,
    SEX_LABELS,
    TRAVEL_DOCUMENT_TYPE_LABELS,
    UPHOLD,
    ApproveForm,
    PaymentForm,
    QueueFilterForm,
    ReconsiderationForm,
    RefuseForm,
    RequestInformationForm,
)
from lbt.core.dates import local_day, state_time_zone
from lbt.core.errors import AccessDenied, DomainError, ValidationFailed
from lbt.core.pagination import Page
from lbt.permits.services import PermitIssuer
from lbt.permits.signing import KeyStore
from lbt.storage.models import StoredFile
from lbt.storage.uploads import FileStore
from lbt.web.actions import run_action
from lbt.web.dates import day_filter
from lbt.web.forms import BaseForm
from lbt.web.links import page_url
from lbt.web.security import roles
from lbt.web.state import find_service, get_session, now, settings

bp = Blueprint("applications", __name__, url_prefix="/applications")

STAFF = (Role.OFFICER, Role.SUPERVISOR)
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
PageResult = Response | str | tuple[str, int]


@bp.context_processor
def application_labels() -> dict[str, Any]:
    return {
        "status_labels": APPLICATION_STATUS_LABELS,
        "kind_labels": APPLICATION_KIND_LABELS,
        "refusal_labels": REFUSAL_REASON_LABELS,
        "document_labels": DOCUMENT_KIND_LABELS,
        "event_labels": EVENT_KIND_LABELS,
        "fee_labels": FEE_STATUS_LABELS,
        "sex_labels": SEX_LABELS,
        "document_type_labels": TRAVEL_DOCUMENT_TYPE_LABELS,
        "check_labels": CHECK_LABELS,
    }


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _status_url() -> str:
    """Where the applicant follows the application (named in the mails)."""
    return settings().public_url + "/apply/status"


def _page_url(number: int) -> str:
    return page_url("applications.queue", number)


# --- the queue ------------------------------------------------------------------------------------


@bp.get("/")
@roles(*STAFF)
def queue() -> tuple[str, int] | str:
    session = get_session()
    user = _user()
    today = local_day(now(), state_time_zone(settings().home_state))  # as the services count days
    form = QueueFilterForm(request.args)
    form.locality.choices = [form.locality.choices[0], *queries.locality_options(session, user)]
    context = {"form": form, "today": today, "is_overdue": queries.is_overdue, "page_url": _page_url}
    if request.args and not form.validate():
        return render_template(
            "applications/queue.html", page=Page((), 1, queries.PER_PAGE, 0), **context
        ), 400
    status = form.status.data or ""
    filters = queries.QueueFilter(
        search=form.q.data or "",
        status=ApplicationStatus(status) if status not in ("", ALL) else None,
        every_status=status == ALL,
        locality_id=int(form.locality.data) if form.locality.data else None,
        reason=form.reason.data or "",
        overdue=bool(form.overdue.data),
    )
    page = queries.queue(session, user, filters, today=today, page=form.page.data or 1)
    return render_template("applications/queue.html", page=page, **context)


# --- one application ------------------------------------------------------------------------------


def _application(application_id: int) -> Application:
    """The application, if it belongs to an agreement the user serves (else 404 or 403)."""
    return services.get_for_staff(get_session(), application_id, _user())


def _approve_defaults(application: Application, today: date, fee: FeeKind) -> dict[str, Any]:
    bounds = services.validity_bounds(application, today)
    chosen = {FeeKind.WAIVED: FeeStatus.WAIVED.value, FeeKind.PAID: FeeStatus.PAID.value}
    return {"valid_from": today, "valid_until": bounds.max_until, "fee_status": chosen.get(fee, "")}


def _show_validity_bounds(application: Application, form: ApproveForm, today: date) -> None:
    """Beside the end date, the bounds for the start date shown (the one entered, or today)."""
    start = form.valid_from.data if isinstance(form.valid_from.data, date) else today
    bounds = services.validity_bounds(application, max(start, today))
    form.valid_until.description = _(
        "For a permit from %(start)s: until %(earliest)s at the earliest, %(latest)s at the latest "
        "(the travel document expires on %(expiry)s).",
        start=day_filter(bounds.earliest_from),
        earliest=day_filter(bounds.min_until),
        latest=day_filter(bounds.max_until),
        expiry=day_filter(application.document_expiry),
    )


def _detail(application: Application, status: int = 200, **posted: BaseForm) -> tuple[str, int]:
    """The application page; ``posted`` holds the form that was sent (with its errors), the others are empty."""
    session = get_session()
    today = services.local_today(application, now())
    file = queries.application_file(session, application, today, home_state=settings().home_state)
    approve_form = posted.get("approve_form") or ApproveForm(
        formdata=None, data=_approve_defaults(application, today, file.fee.kind)
    )
    _show_validity_bounds(application, approve_form, today)  # type: ignore[arg-type]
    forms = {
        "info_form": posted.get("info_form") or RequestInformationForm(formdata=None),
        "approve_form": approve_form,
        "refuse_form": posted.get("refuse_form") or RefuseForm(formdata=None),
        "reconsider_form": posted.get("reconsider_form") or ReconsiderationForm(formdata=None),
        "payment_form": posted.get("payment_form") or PaymentForm(formdata=None, data={"paid_on": today}),
    }
    if any(form.errors for form in posted.values()):
        status = max(status, 400)
    return render_template(
        "applications/detail.html",
        application=application,
        file=file,
        fee_line=fee_text(file.fee, str(get_locale())),
        today=today,
        overdue=queries.is_overdue(application, today),
        events_by_id={event.id: event for event in application.events},
        is_supervisor=_user().role is Role.SUPERVISOR,
        **forms,
    ), status


@bp.get("/<int:application_id>")
@roles(*STAFF)
def detail(application_id: int) -> tuple[str, int]:
    return _detail(_application(application_id))


def _send(stored: StoredFile, *, download_name: str | None = None) -> Response:
    """An upload, never cached (personal data); a document is always downloaded, never shown inline."""
    try:
        data = find_service(FileStore).read(stored)
    except FileNotFoundError:
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype=stored.content_type,
        as_attachment=download_name is not None,
        download_name=download_name,
        conditional=False,
        etag=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<int:application_id>/photo")
@roles(*STAFF)
def photo(application_id: int) -> Response:
    return _send(_application(application_id).photo)


@bp.get("/<int:application_id>/documents/<int:document_id>")
@roles(*STAFF)
def document(application_id: int, document_id: int) -> Response:
    application = _application(application_id)
    found = get_session().get(ApplicationDocument, document_id)
    if found is None or found.application_id != application.id:
        abort(404)  # a document of another application is not reached by changing the id
    extension = EXTENSIONS.get(found.file.content_type, "")
    return _send(
        found.file, download_name=f"{application.reference}-{found.kind.value}-{found.id}{extension}"
    )


# --- decisions ------------------------------------------------------------------------------------


class Step(NamedTuple):
    """What a decision did: the message to flash and the page to go to."""

    message: str
    target: str


# does the step (service and mail) as this user at this moment
Action = Callable[[User, datetime], Step]


def _decide(
    application: Application, name: str, form: BaseForm, act: Action, *refusals: type[DomainError]
) -> PageResult:
    """Validate the form, do the step and queue its mail, commit once; a refusal is shown beside its field."""
    outcome = run_action(
        form,
        partial(act, _user(), now()),
        lambda step: step.message,
        refusals=(ValidationFailed, WrongState, *refusals),
    )
    if outcome.done:
        return redirect(outcome.result.target)
    return _detail(application, outcome.status, **{name: form})


def _back(application: Application) -> str:
    return url_for("applications.detail", application_id=application.id)


@bp.post("/<int:application_id>/request-information")
@roles(*STAFF)
def request_information(application_id: int) -> PageResult:
    application = _application(application_id)
    form = RequestInformationForm()

    def act(user: User, moment: datetime) -> Step:
        message = form.message.data or ""
        services.request_information(get_session(), application, officer=user, message=message, now=moment)
        notify.information_requested(get_session(), application, message.strip(), _status_url(), moment)
        return Step(_("The applicant was asked for more information."), _back(application))

    return _decide(application, "info_form", form, act)


@bp.post("/<int:application_id>/approve")
@roles(*STAFF)
def approve(application_id: int) -> PageResult:
    application = _application(application_id)
    form = ApproveForm()

    def act(user: User, moment: datetime) -> Step:
        session = get_session()
        issue = PermitIssuer(settings().home_state, find_service(KeyStore).active_key())
        permit = services.approve(
            session,
            application,
            officer=user,
            valid_from=form.valid_from.data,  # type: ignore[arg-type]
            valid_until=form.valid_until.data,  # type: ignore[arg-type]
            fee_status=FeeStatus(form.fee_status.data),
            issue=issue,
            now=moment,
        )
        notify.approved(session, application, permit.number, _status_url(), moment)
        return Step(
            _("The application was approved: permit %(number)s was issued.", number=permit.number),
            url_for("permits.detail", permit_id=permit.id),
        )

    return _decide(application, "approve_form", form, act)


@bp.post("/<int:application_id>/payment")
@roles(*STAFF)
def record_payment(application_id: int) -> PageResult:
    application = _application(application_id)
    form = PaymentForm()

    def act(user: User, moment: datetime) -> Step:
        receipt = form.receipt_number.data or ""
        paid_on: date = form.paid_on.data  # type: ignore[assignment]
        services.record_payment(
            get_session(), application, officer=user, receipt_number=receipt, paid_on=paid_on, now=moment
        )
        return Step(_("The payment was recorded."), _back(application))

    return _decide(application, "payment_form", form, act)


@bp.post("/<int:application_id>/refuse")
@roles(*STAFF)
def refuse(application_id: int) -> PageResult:
    application = _application(application_id)
    form = RefuseForm()

    def act(user: User, moment: datetime) -> Step:
        session = get_session()
        reasons = form.reasons.data or []
        services.refuse(
            session, application, officer=user, reasons=reasons, text=form.text.data or "", now=moment
        )
        notify.refused(session, application, _status_url(), moment)
        return Step(_("The application was refused; the applicant can read the reasons."), _back(application))

    return _decide(application, "refuse_form", form, act)


@bp.post("/<int:application_id>/reconsideration")
@roles(Role.SUPERVISOR)
def reconsider(application_id: int) -> PageResult:
    application = _application(application_id)
    form = ReconsiderationForm()

    def act(user: User, moment: datetime) -> Step:
        session = get_session()
        upheld = form.decision.data == UPHOLD
        text = form.text.data or ""
        services.decide_reconsideration(
            session, application, supervisor=user, uphold=upheld, text=text, now=moment
        )
        notify.reconsidered(session, application, upheld, text.strip(), _status_url(), moment)
        message = (
            _("The refusal was upheld.")
            if upheld
            else _("The refusal was overturned: the application is back in the queue for the permit.")
        )
        return Step(message, _back(application))

    return _decide(application, "reconsider_form", form, act, AccessDenied)
