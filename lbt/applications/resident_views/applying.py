"""Applying: the form with its choices from the reference data, and the page that shows the reference and
the access code once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from flask import redirect, render_template, request, url_for
from flask import session as web_session
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from lbt.applications import notify, submission
from lbt.applications.models import ApplicationKind, Sex, TravelDocumentType
from lbt.applications.resident_forms import (
    ApplyForm,
    Kept,
    error_list,
    take_documents,
    take_photo,
    upload_limits,
)
from lbt.applications.resident_views.common import APPLY_LIMIT, bp, open_status
from lbt.core.errors import ValidationFailed
from lbt.reference.area import applicant_localities
from lbt.reference.models import Agreement, CrossingReason, FeeExemption, State
from lbt.web.labels import CROSSING_REASON_LABELS, FEE_EXEMPTION_LABELS
from lbt.web.names import both_place_names, state_name
from lbt.web.security import public
from lbt.web.state import get_session, limiter, now, settings

CONFIRMATION_KEY = "lbt_apply_submitted"
STATELESS = "XXA"  # ICAO Doc 9303 code for a stateless person


# --- choices from the reference data ----------------------------------------------------------


def _accepting(agreements: Sequence[Agreement], accepts: Callable[[Agreement], bool]) -> dict[str, str]:
    """The agreements that accept a choice, for the script that hides what the chosen locality's agreement
    does not accept (the service refuses it anyway)."""
    return {"data-agreements": " ".join(str(a.id) for a in agreements if accepts(a))}


def _fill_choices(db: Session, form: ApplyForm, today: date) -> None:
    home = settings().home_state
    agreements = [
        a
        for a in db.scalars(select(Agreement).where(Agreement.is_active))
        if a.in_force_on(today) and a.partner_of(home) is not None
    ]
    localities = applicant_localities(db, agreements, home)
    choose = SelectChoice("", _("Choose…"))
    form.locality_id.choices = [choose] + [
        SelectChoice(
            str(locality.id),
            both_place_names(locality),
            {"data-agreement": str(locality.agreement_id)},
            optgroup=(f"{locality.agreement.code}: " if len(agreements) > 1 else "")
            + f"{state_name(locality.state)} · {locality.district}",
        )
        for locality in sorted(
            localities, key=lambda x: (x.agreement.code, state_name(x.state), x.district, x.name_latin)
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
    states = sorted(db.scalars(select(State).where(State.is_active)), key=state_name)
    form.document_issuing_state.choices = [choose] + [SelectChoice(s.alpha3, state_name(s)) for s in states]
    form.nationality.choices = [
        *form.document_issuing_state.choices,
        SelectChoice(STATELESS, _("Stateless person")),
    ]


# --- applying ---------------------------------------------------------------------------------


def _input(form: ApplyForm) -> submission.ApplicationInput:
    kind = ApplicationKind(form.kind.data)
    relationship = form.family_relationship.data or ""
    return submission.ApplicationInput(
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
                submitted = submission.submit(
                    db,
                    _input(form),
                    photo=photo,
                    documents=documents,
                    now=moment,
                    home_state=settings().home_state,
                )
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
                open_status(application)
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
