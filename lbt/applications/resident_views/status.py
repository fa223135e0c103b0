"""Following the application: opening it with the reference and access code, its status and history,
answering a request for information, asking for reconsideration, the photo and the permit's copy."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask import session as web_session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from lbt.applications import services, submission
from lbt.applications.fees import FeeKind, fee_state, fee_text, payment_instructions
from lbt.applications.models import Application, ApplicationStatus, EventKind, RefusalReason
from lbt.applications.resident_forms import (
    DOCUMENT_KIND_LABELS,
    AnswerForm,
    Kept,
    ReconsiderationForm,
    StatusLoginForm,
    error_list,
    take_documents,
    upload_limits,
)
from lbt.applications.resident_views.common import APPLY_LIMIT, STATUS_KEY, bp, open_status
from lbt.core.errors import NotFound, ValidationFailed
from lbt.permits.card import CardError
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.printing import card_pdf
from lbt.permits.services import permits_of_application
from lbt.reference.area import home_area
from lbt.storage.uploads import FileStore
from lbt.web.forms import ActionForm
from lbt.web.i18n import translate_error
from lbt.web.security import public
from lbt.web.state import find_service, get_session, limiter, now, settings

log = logging.getLogger(__name__)

STATUS_LOGIN_LIMIT = "10 per minute; 50 per hour"

STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("Submitted: waiting for a decision"),
    ApplicationStatus.INFO_REQUESTED: _l("More information is needed from you"),
    ApplicationStatus.APPROVED: _l("Approved: your permit was issued"),
    ApplicationStatus.REFUSED: _l("Refused"),
    ApplicationStatus.RECONSIDERATION: _l("Reconsideration asked: waiting for a decision"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
}
EVENT_LABELS = {
    EventKind.SUBMITTED: _l("Application received"),
    EventKind.INFO_REQUESTED: _l("More information requested"),
    EventKind.INFO_ANSWERED: _l("You answered"),
    EventKind.APPROVED: _l("Approved"),
    EventKind.REFUSED: _l("Refused"),
    EventKind.RECONSIDERATION_REQUESTED: _l("You asked for reconsideration"),
    EventKind.UPHELD: _l("Refusal upheld after reconsideration"),
    EventKind.OVERTURNED: _l("Refusal overturned after reconsideration"),
    EventKind.ALERT_CLEARED: _l("Check completed"),
    EventKind.FEE_RECORDED: _l("Fee recorded"),
    EventKind.WITHDRAWN: _l("Withdrawn"),
}
REFUSAL_REASON_LABELS = {
    RefusalReason.NO_VALID_TRAVEL_DOCUMENT: _l("No valid travel document"),
    RefusalReason.RESIDENCE_NOT_PROVEN: _l("Residence in the border area was not proven"),
    RefusalReason.RESIDENCE_TOO_SHORT: _l(
        "Residence in the border area is shorter than the agreement requires"
    ),
    RefusalReason.OUTSIDE_BORDER_AREA: _l("The place of residence is outside the border area"),
    RefusalReason.NO_LEGITIMATE_REASON: _l("No legitimate reason to cross the border often"),
    RefusalReason.ENTRY_BAN: _l("An entry ban or alert concerns you"),
    RefusalReason.PUBLIC_ORDER: _l("A threat to public order, internal security or public health"),
    RefusalReason.FALSE_INFORMATION: _l("False or incomplete information"),
    RefusalReason.OTHER: _l("Other reason (see the explanation)"),
}
PERMIT_STATUS_LABELS = {
    PermitStatus.ACTIVE: _l("Valid"),
    PermitStatus.SUSPENDED: _l("Suspended"),
    PermitStatus.EXPIRED: _l("Expired"),
}


def _current_application() -> Application | None:
    """The one application this browser opened with its reference and code, while the time lasts."""
    opened = web_session.get(STATUS_KEY)
    if not isinstance(opened, dict):
        return None
    moment = now().timestamp()
    application = (
        get_session().get(Application, opened.get("id")) if isinstance(opened.get("id"), int) else None
    )
    if application is None or not isinstance(opened.get("until"), int | float) or opened["until"] < moment:
        web_session.pop(STATUS_KEY, None)
        flash(
            _("For your safety the application page was closed. Enter the reference and access code again."),
            "info",
        )
        return None
    open_status(application)  # the time limit counts from the last activity
    return application


def _to_login() -> Response:
    return redirect(url_for("apply.status_login"))


@bp.route("/status", methods=["GET", "POST"])
@public
@limiter.limit(STATUS_LOGIN_LIMIT, methods=["POST"], deduct_when=lambda response: response.status_code != 302)
def status_login() -> Response | tuple[str, int]:
    form = StatusLoginForm()
    if form.validate_on_submit():
        try:
            application = submission.find_for_applicant(
                get_session(), form.reference.data or "", form.access_code.data or ""
            )
        except NotFound as error:  # one message for a wrong reference and a wrong code
            form.form_errors.append(translate_error(error))
        else:
            open_status(application)
            return redirect(url_for("apply.status_view"))
    errors = error_list(form)
    page = render_template("apply/status_login.html", form=form, errors=errors)
    return page, 400 if errors or form.form_errors else 200


def _current_permit(db: Session, application: Application) -> Permit | None:
    usable = [
        p
        for p in permits_of_application(db, application)
        if p.status in (PermitStatus.ACTIVE, PermitStatus.SUSPENDED)
    ]
    return usable[-1] if usable else None


def _status_page(
    application: Application,
    *,
    answer_form: AnswerForm | None = None,
    reconsider_form: ReconsiderationForm | None = None,
    uploads: dict[str, Kept] | None = None,
) -> tuple[str, int]:
    db = get_session()
    today = services.local_today(application, now())
    permit = _current_permit(db, application)
    events = [event for event in application.events if event.is_public]
    requests = [event for event in events if event.kind is EventKind.INFO_REQUESTED]
    answer_form = answer_form or AnswerForm(formdata=None)
    reconsider_form = reconsider_form or ReconsiderationForm(formdata=None)
    errors = error_list(answer_form) + error_list(reconsider_form)
    fee = fee_state(application, today)
    locale = str(get_locale())
    page = render_template(
        "apply/status.html",
        application=application,
        fee=fee,
        fee_line=fee_text(fee, locale),
        payment_instructions=payment_instructions(application.agreement, locale)
        if fee.kind is FeeKind.DUE
        else "",
        events=events,
        open_request=requests[-1]
        if requests and application.status is ApplicationStatus.INFO_REQUESTED
        else None,
        can_reconsider=services.can_ask_reconsideration(application, today),
        permit=permit,
        permit_status=permit.effective_status(today) if permit else None,
        area=home_area(db, permit.agreement, permit.issuing_state) if permit else None,
        answer_form=answer_form,
        reconsider_form=reconsider_form,
        uploads=uploads or {},
        errors=errors,
        limits=upload_limits(),
        status_labels=STATUS_LABELS,
        event_labels=EVENT_LABELS,
        refusal_labels=REFUSAL_REASON_LABELS,
        permit_status_labels=PERMIT_STATUS_LABELS,
        document_kind_labels=DOCUMENT_KIND_LABELS,
    )
    return page, 400 if errors or answer_form.form_errors or reconsider_form.form_errors else 200


@bp.get("/status/view")
@public
def status_view() -> Response | tuple[str, int]:
    application = _current_application()
    if application is None:
        return _to_login()
    return _status_page(application)


def _send(
    form: AnswerForm | ReconsiderationForm, action: Callable[..., object], done: str
) -> Response | tuple[str, int]:
    """An answer or a reconsideration request: text and documents; accepted uploads survive an error."""
    application = _current_application()
    if application is None:
        return _to_login()
    db = get_session()
    form.validate()
    uploads: dict[str, Kept] = {}
    documents = take_documents(db, form.documents, uploads)
    if not error_list(form):
        try:
            action(db, application, text=form.text.data or "", documents=documents, now=now())
        except ValidationFailed as error:
            form.show_error(error)
        except services.WrongState as error:
            db.rollback()
            flash(translate_error(error), "error")
            return redirect(url_for("apply.status_view"))
        else:
            db.commit()
            flash(done, "success")
            return redirect(url_for("apply.status_view"))
    db.commit()  # keep the uploads that passed their checks
    if isinstance(form, AnswerForm):
        return _status_page(application, answer_form=form, uploads=uploads)
    return _status_page(application, reconsider_form=form, uploads=uploads)


@bp.post("/status/answer")
@public
@limiter.limit(APPLY_LIMIT)
def answer() -> Response | tuple[str, int]:
    return _send(AnswerForm(), services.answer_information, _("Your answer was sent."))


@bp.post("/status/reconsideration")
@public
@limiter.limit(APPLY_LIMIT)
def reconsideration() -> Response | tuple[str, int]:
    return _send(
        ReconsiderationForm(),
        services.request_reconsideration,
        _("Your request for reconsideration was sent."),
    )


@bp.post("/status/logout")
@public
def status_logout() -> Response:
    ActionForm().validate_on_submit()  # CSRF is checked globally; the form only carries the token
    web_session.pop(STATUS_KEY, None)
    flash(_("The application page is closed."), "info")
    return _to_login()


@bp.get("/status/photo")
@public
def status_photo() -> Response:
    application = _current_application()
    if application is None:
        abort(404)
    photo = application.photo
    return Response(find_service(FileStore).read(photo), mimetype=photo.content_type)


@bp.get("/status/permit.pdf")
@public
def permit_pdf() -> Response:
    application = _current_application()
    if application is None:
        return _to_login()
    db = get_session()
    permit = _current_permit(db, application)
    if permit is None:
        abort(404)
    try:
        pdf = card_pdf(db, permit, settings=settings(), files=find_service(FileStore))
    except (CardError, FileNotFoundError):
        log.exception("permit %s of %s could not be rendered", permit.number, application.reference)
        flash(_("The copy of your permit cannot be made just now. Please try again later."), "error")
        return redirect(url_for("apply.status_view"))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="permit-{permit.number}.pdf"'
    return response
