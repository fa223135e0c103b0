"""Pages for residents (no account): apply, follow the application, answer, ask for reconsideration.

Access to an application is by its reference and access code; a successful check keeps the application's
id in the signed session cookie for a short while (one application per browser).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask import session as web_session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from lbt.applications import notify, services
from lbt.applications.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    EventKind,
    FeeStatus,
    RefusalReason,
    Sex,
    TravelDocumentType,
)
from lbt.applications.resident_forms import (
    DOCUMENT_KIND_LABELS,
    AnswerForm,
    ApplyForm,
    Kept,
    ReconsiderationForm,
    StatusLoginForm,
    error_list,
    take_documents,
    take_photo,
    upload_limits,
)
from lbt.core.errors import NotFound, ValidationFailed
from lbt.permits.card import CardError
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.printing import card_pdf
from lbt.permits.services import permits_of_application
from lbt.reference.models import Agreement, CrossingReason, FeeExemption, Locality, State
from lbt.storage.uploads import FileStore
from lbt.web.forms import ActionForm
from lbt.web.i18n import translate_error
from lbt.web.labels import CROSSING_REASON_LABELS, FEE_EXEMPTION_LABELS
from lbt.web.security import public
from lbt.web.state import find_service, get_session, limiter, now, settings

bp = Blueprint("apply", __name__, url_prefix="/apply")
log = logging.getLogger(__name__)

APPLY_LIMIT = "20 per minute; 200 per hour"  # generous: a village may share one mobile-network address
STATUS_LOGIN_LIMIT = "10 per minute; 50 per hour"
STATUS_MINUTES = 30  # the application page closes after this long without activity
STATUS_KEY = "lbt_apply_status"
CONFIRMATION_KEY = "lbt_apply_submitted"
STATELESS = "XXA"  # ICAO Doc 9303 code for a stateless person

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
FEE_STATUS_LABELS = {
    FeeStatus.DUE: _l("to be paid"),
    FeeStatus.PAID: _l("paid"),
    FeeStatus.WAIVED: _l("waived"),
}
# a state's own name is shown to readers of its national language; other readers of Cyrillic get the Russian one
NATIONAL_NAME_LOCALE = {"TJ": "tg"}


@bp.after_request
def _no_store(response: Response) -> Response:
    """Every page here shows personal data, often on a shared phone: never keep it in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


# --- choices from the reference data ----------------------------------------------------------


def _state_name(record: State) -> str:
    locale = str(get_locale())
    if NATIONAL_NAME_LOCALE.get(record.code) == locale:
        return record.name_national
    return record.name_ru if locale in ("ru", "tg") else record.name_en


def _accepting(agreements: Sequence[Agreement], accepts: Callable[[Agreement], bool]) -> dict[str, str]:
    """The agreements that accept a choice, for the script that hides what the chosen locality's agreement
    does not accept (the service refuses it anyway)."""
    return {"data-agreements": " ".join(str(a.id) for a in agreements if accepts(a))}


def _fill_choices(db: Session, form: ApplyForm, today: date) -> None:
    agreements = [a for a in db.scalars(select(Agreement).where(Agreement.is_active)) if a.in_force_on(today)]
    localities = db.scalars(
        select(Locality)
        .where(Locality.is_active, Locality.agreement_id.in_([a.id for a in agreements]))
        .options(joinedload(Locality.state), joinedload(Locality.agreement))
    ).all()
    choose = SelectChoice("", _("Choose…"))
    form.locality_id.choices = [choose] + [
        SelectChoice(
            str(locality.id),
            f"{locality.name_latin} — {locality.name_national}",
            {"data-agreement": str(locality.agreement_id)},
            optgroup=(f"{locality.agreement.code}: " if len(agreements) > 1 else "")
            + f"{_state_name(locality.state)} · {locality.district}",
        )
        for locality in sorted(
            localities, key=lambda x: (x.agreement.code, _state_name(x.state), x.district, x.name_latin)
        )
    ]
    form.reason.choices = [choose] + [
        SelectChoice(
            reason.value,
            CROSSING_REASON_LABELS[reason],
            _accepting(agreements, lambda a, r=reason: r is CrossingReason.OTHER or r.value in a.reasons),
        )
        for reason in CrossingReason
        if reason is CrossingReason.OTHER or any(reason.value in a.reasons for a in agreements)
    ]
    form.fee_exemption.choices = [SelectChoice("", _("No"))] + [
        SelectChoice(
            exemption.value,
            FEE_EXEMPTION_LABELS[exemption],
            _accepting(agreements, lambda a, e=exemption: e.value in a.fee_exemptions),
        )
        for exemption in FeeExemption
        if any(exemption.value in a.fee_exemptions for a in agreements)
    ]
    states = sorted(db.scalars(select(State).where(State.is_active)), key=_state_name)
    form.document_issuing_state.choices = [choose] + [SelectChoice(s.alpha3, _state_name(s)) for s in states]
    form.nationality.choices = [
        *form.document_issuing_state.choices,
        SelectChoice(STATELESS, _("Stateless person")),
    ]


# --- applying ---------------------------------------------------------------------------------


def _input(form: ApplyForm) -> services.ApplicationInput:
    kind = ApplicationKind(form.kind.data)
    relationship = form.family_relationship.data or ""
    return services.ApplicationInput(
        locality_id=int(form.locality_id.data),
        kind=kind,
        surname_national=form.surname_national.data or "",
        given_names_national=form.given_names_national.data or "",
        surname_latin=form.surname_latin.data or "",
        given_names_latin=form.given_names_latin.data or "",
        sex=Sex(form.sex.data),
        birth_date=form.birth_date.data,
        birth_place=form.birth_place.data or "",
        nationality=form.nationality.data or "",
        phone=form.phone.data or "",
        email=form.email.data or "",
        document_type=TravelDocumentType(form.document_type.data),
        document_number=form.document_number.data or "",
        document_issuing_state=form.document_issuing_state.data or "",
        document_expiry=form.document_expiry.data,
        address=form.address.data or "",
        resident_since=form.resident_since.data,
        previous_permit_number=(form.previous_permit_number.data or "")
        if kind is ApplicationKind.RENEWAL
        else "",
        family_relationship=relationship,
        family_reference=(form.family_reference.data or "") if relationship else "",
        reason=form.reason.data or "",
        reason_text=form.reason_text.data or "",
        fee_exemption=form.fee_exemption.data or None,
        declaration_accepted=bool(form.declaration_accepted.data and form.consent.data),
        preferred_locale=str(get_locale()),
    )


def _status_url() -> str:
    return settings().public_url.rstrip("/") + url_for("apply.status_login")


@bp.route("/", methods=["GET", "POST"])
@public
@limiter.limit(APPLY_LIMIT, methods=["POST"])
def index() -> Response | tuple[str, int]:
    db = get_session()
    moment = now()
    form = ApplyForm()
    _fill_choices(db, form, moment.date())
    uploads: dict[str, Kept] = {}
    if request.method == "POST":  # CSRF was checked before the view
        form.validate()
        photo = take_photo(db, form, uploads)
        documents = take_documents(db, form.documents, uploads)
        if photo is not None and not error_list(form):
            try:
                submitted = services.submit(db, _input(form), photo=photo, documents=documents, now=moment)
            except ValidationFailed as error:
                form.show_error(error)
            else:
                application = submitted.application
                notify.submitted(db, application, submitted.access_code, _status_url(), moment)
                db.commit()
                web_session[CONFIRMATION_KEY] = {
                    "reference": application.reference,
                    "code": submitted.access_code,
                    "emailed": bool(application.email),
                    "due": application.decision_due.isoformat(),
                }
                _open_status(application)
                return redirect(url_for("apply.submitted"))
        db.commit()  # keep the uploads that passed their checks
    errors = error_list(form)
    page = render_template(
        "apply/form.html", form=form, uploads=uploads, errors=errors, limits=upload_limits()
    )
    return page, 400 if errors or form.form_errors else 200


@bp.get("/submitted")
@public
def submitted() -> Response | str:
    """The reference and the access code, shown once: the code is dropped from the session now."""
    shown = web_session.pop(CONFIRMATION_KEY, None)
    if not isinstance(shown, dict):
        return redirect(url_for("apply.status_view"))
    return render_template(
        "apply/submitted.html",
        reference=shown.get("reference"),
        code=shown.get("code"),
        emailed=shown.get("emailed"),
        due=date.fromisoformat(shown["due"]),
    )


# --- following the application ----------------------------------------------------------------


def _open_status(application: Application) -> None:
    web_session[STATUS_KEY] = {"id": application.id, "until": now().timestamp() + STATUS_MINUTES * 60}


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
    _open_status(application)  # the time limit counts from the last activity
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
            application = services.find_for_applicant(
                get_session(), form.reference.data or "", form.access_code.data or ""
            )
        except NotFound as error:  # one message for a wrong reference and a wrong code
            form.form_errors.append(translate_error(error))
        else:
            _open_status(application)
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
    today = now().date()
    permit = _current_permit(db, application)
    events = [event for event in application.events if event.is_public]
    requests = [event for event in events if event.kind is EventKind.INFO_REQUESTED]
    answer_form = answer_form or AnswerForm(formdata=None)
    reconsider_form = reconsider_form or ReconsiderationForm(formdata=None)
    errors = error_list(answer_form) + error_list(reconsider_form)
    page = render_template(
        "apply/status.html",
        application=application,
        events=events,
        open_request=requests[-1]
        if requests and application.status is ApplicationStatus.INFO_REQUESTED
        else None,
        can_reconsider=services.can_ask_reconsideration(application, today),
        permit=permit,
        permit_status=permit.effective_status(today) if permit else None,
        answer_form=answer_form,
        reconsider_form=reconsider_form,
        uploads=uploads or {},
        errors=errors,
        limits=upload_limits(),
        status_labels=STATUS_LABELS,
        event_labels=EVENT_LABELS,
        refusal_labels=REFUSAL_REASON_LABELS,
        permit_status_labels=PERMIT_STATUS_LABELS,
        fee_status_labels=FEE_STATUS_LABELS,
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
