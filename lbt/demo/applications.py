"""Demo applications in every status and issued permits, with drawn (not real) photos. Run by
``lbt demo`` after the reference data; skipped when any application exists (idempotent)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.alerts.services import AlertInput, create_alert
from lbt.applications import services, submission
from lbt.applications.models import (
    Application,
    ApplicationKind,
    FeeStatus,
    TravelDocumentType,
)
from lbt.core.dates import state_today
from lbt.demo.reference import demo_side
from lbt.permits import services as permits
from lbt.permits.services import PermitIssuer
from lbt.permits.signing import KeyStore
from lbt.reference.models import Locality, State
from lbt.storage.uploads import FileStore, check_photo

COLOURS = [(214, 226, 240), (236, 224, 208), (220, 236, 220), (240, 220, 226)]


def demo_photo(initials: str, index: int) -> bytes:
    """A drawn passport-style portrait (no real person): a head and shoulders with initials."""
    image = Image.new("RGB", (360, 460), COLOURS[index % len(COLOURS)])
    draw = ImageDraw.Draw(image)
    draw.ellipse((110, 80, 250, 250), fill=(196, 160, 130))
    draw.rounded_rectangle((60, 270, 300, 460), radius=90, fill=(70, 90, 120))
    draw.text((165, 150), initials, fill=(60, 40, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def load_demo_applications(
    session: Session, *, files: FileStore, keystore: KeyStore, home_state: str, now: datetime
) -> int:
    """Create the demo applications unless there are any; return how many were created."""
    if session.scalar(select(func.count()).select_from(Application)):
        return 0
    officer = session.scalar(select(User).where(User.username == "officer"))
    supervisor = session.scalar(select(User).where(User.username == "supervisor"))
    partner_side = select(Locality).join(Locality.state).where(State.code == demo_side(home_state).partner)
    localities = {loc.name_latin: loc for loc in session.scalars(partner_side)}
    if officer is None or supervisor is None or not localities:
        return 0
    side = demo_side(home_state)
    issuer = PermitIssuer(home_state, keystore.ensure_key(now))
    surname, given, born = side.alert
    create_alert(
        session,
        AlertInput(surname, given, born, "", "Entry ban until 2027 (demo)", date(2027, 12, 31)),
        supervisor=supervisor,
        now=now - timedelta(days=60),  # on the list before anyone applied
        today=state_today(home_state, now - timedelta(days=60)),
    )
    for index, (surname, given, sex, born, place, goal) in enumerate(side.applicants):
        photo = files.save(check_photo(demo_photo(surname[0] + given[0], index), "photo.jpg"))
        session.add(photo)
        locality = localities[place]
        submitted_at = now - timedelta(days=40 if goal == "overdue" else 3 + index)
        data = submission.ApplicationInput(
            locality_id=locality.id,
            kind=ApplicationKind.FIRST,
            surname_national=surname,
            given_names_national=given,
            surname_latin=surname,
            given_names_latin=given,
            sex=sex,
            birth_date=born,
            birth_place=locality.name_latin,
            nationality=side.partner_alpha3,
            phone=f"{side.phone_prefix} {100000 + index * 7919:06d}",
            document_type=TravelDocumentType.PASSPORT,
            document_number=f"{side.document_prefix}{4710000 + index * 37:07d}",
            document_issuing_state=side.partner_alpha3,
            document_expiry=date(2030 + index % 4, 6, 30),
            address=f"{locality.name_latin}, {10 + index} {side.street}",
            resident_since=born if born.year > 2000 else date(2004, 5, 1),
            reason="family" if index % 2 else "economic",
            reason_text="Visiting relatives across the border."
            if index % 2
            else "Selling produce at the market.",
            declaration_accepted=True,
            preferred_locale=side.applicant_locale if index % 3 else "ru",
        )
        application = submission.submit(
            session, data, photo=photo, documents=[], now=submitted_at, home_state=home_state
        ).application
        _advance(session, application, goal, officer=officer, supervisor=supervisor, issuer=issuer, now=now)
    session.flush()
    return len(side.applicants)


def _advance(
    session: Session,
    application: Application,
    goal: str,
    *,
    officer: User,
    supervisor: User,
    issuer: PermitIssuer,
    now: datetime,
) -> None:
    if goal in ("info_requested", "answered"):
        services.request_information(
            session,
            application,
            officer=officer,
            message="Please send a certificate of residence from the village council.",
            now=now - timedelta(days=2),
        )
        if goal == "answered":
            services.answer_information(
                session,
                application,
                text="The certificate is attached.",
                documents=[],
                now=now - timedelta(days=1),
            )
    if goal in ("approved", "suspended", "revoked"):
        start = services.local_today(application, now)  # the home state's day, not UTC's
        permit = services.approve(
            session,
            application,
            officer=officer,
            valid_from=start,
            valid_until=services.validity_bounds(application, start).max_until,
            fee_status=FeeStatus.PAID,
            issue=issuer,
            now=now,
        )
        if goal == "suspended":
            permits.suspend(session, permit, officer=officer, reason="Overstay under investigation.", now=now)  # type: ignore[arg-type]
        if goal == "revoked":
            permits.revoke(
                session, permit, officer=officer, reason="Resale trade found at the market.", now=now
            )  # type: ignore[arg-type]
    if goal in ("refused", "reconsideration", "upheld"):
        services.refuse(
            session,
            application,
            officer=officer,
            reasons=["residence_not_proven"],
            text="The address could not be confirmed with the village council.",
            now=now - timedelta(days=1),
        )
        if goal in ("reconsideration", "upheld"):
            services.request_reconsideration(
                session,
                application,
                text="I have lived there since 2004; the village council can confirm it.",
                documents=[],
                now=now,
            )
        if goal == "upheld":
            services.decide_reconsideration(
                session,
                application,
                supervisor=supervisor,
                uphold=True,
                text="The letter does not prove the residence.",
                now=now,
            )
