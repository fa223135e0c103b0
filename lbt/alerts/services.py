"""The alert list: supervisors add and lift entries; applications are screened against it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, literal, or_, select
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.alerts.models import Alert, AlertHit
from lbt.applications.models import OPEN_STATUSES, Application, ApplicationEvent, EventKind
from lbt.core.dates import state_today
from lbt.core.errors import N_, AccessDenied, NotFound, ValidationFailed
from lbt.core.search import normalise_document_number
from lbt.core.transliteration import search_key, to_latin


@dataclass(frozen=True)
class AlertInput:
    surname: str
    given_names: str
    birth_date: date | None
    document_number: str
    reason: str
    valid_until: date | None


def _require_supervisor(user: User) -> None:
    if user.role is not Role.SUPERVISOR:
        raise AccessDenied(N_("Only a supervisor may do this."))


def _validate(data: AlertInput, today: date) -> None:
    if not to_latin(data.surname) and not normalise_document_number(data.document_number):
        raise ValidationFailed(N_("Give at least a surname or a travel document number."), "surname")
    if not data.reason.strip():
        raise ValidationFailed(N_("Give the reason for the alert."), "reason")
    if data.valid_until is not None and data.valid_until < today:
        raise ValidationFailed(N_("The end date is already past."), "valid_until")
    if data.birth_date is not None and data.birth_date > today:
        raise ValidationFailed(N_("The date of birth is in the future."), "birth_date")


def create_alert(
    session: Session, data: AlertInput, *, supervisor: User, now: datetime, today: date
) -> Alert:
    """Supervisors keep the alert list (entry bans). ``today``: the home state's calendar day, which
    the end date and the date of birth are compared with (not UTC's)."""
    _require_supervisor(supervisor)
    _validate(data, today)
    alert = Alert(
        surname_latin=to_latin(data.surname),
        given_names_latin=to_latin(data.given_names),
        search_name=search_key(data.surname, data.given_names),
        birth_date=data.birth_date,
        document_number=normalise_document_number(data.document_number),
        reason=data.reason.strip(),
        valid_until=data.valid_until,
        created_at=now,
        created_by_id=supervisor.id,
    )
    session.add(alert)
    session.flush()
    screen_open_applications(session, alert, now)
    return alert


def screen_open_applications(session: Session, alert: Alert, now: datetime) -> list[AlertHit]:
    """A new alert also catches applications already waiting for a decision."""
    match = and_(
        Application.search_name == alert.search_name,
        or_(literal(alert.birth_date is None), Application.birth_date == alert.birth_date),
    )
    if alert.document_number:
        match = or_(match, Application.document_number == alert.document_number)
    open_ones = session.scalars(
        select(Application.id).where(Application.status.in_(OPEN_STATUSES), match)
    ).all()
    hits = [
        AlertHit(application_id=application_id, alert_id=alert.id, found_at=now)
        for application_id in open_ones
    ]
    session.add_all(hits)
    session.flush()
    return hits


def deactivate_alert(session: Session, alert: Alert, *, supervisor: User) -> None:
    _require_supervisor(supervisor)
    alert.is_active = False


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(N_("No such alert."))
    return alert


def list_alerts(
    session: Session, *, search: str = "", active_only: bool = True, limit: int = 200
) -> Sequence[Alert]:
    query = select(Alert)
    if active_only:
        query = query.where(Alert.is_active.is_(True))
    if search.strip():
        key = to_latin(search)
        number = normalise_document_number(search)
        query = query.where(or_(Alert.search_name.contains(key), Alert.document_number == number))
    return session.scalars(query.order_by(Alert.created_at.desc()).limit(limit)).all()


def matching_alerts(
    session: Session, *, search_name: str, birth_date: date, document_number: str, today: date
) -> Sequence[Alert]:
    """An alert matches on the travel document number, or on the full Latin name with the date of birth."""
    number = normalise_document_number(document_number)
    conditions = [
        and_(
            Alert.search_name == search_name, or_(Alert.birth_date.is_(None), Alert.birth_date == birth_date)
        )
    ]
    if number:
        conditions.append(Alert.document_number == number)
    return session.scalars(
        select(Alert).where(
            Alert.is_active.is_(True),
            or_(Alert.valid_until.is_(None), Alert.valid_until >= today),
            or_(*conditions),
        )
    ).all()


def screen(session: Session, application: Application, now: datetime) -> list[AlertHit]:
    """Record a hit for every alert the applicant matches that is not recorded yet."""
    known = set(session.scalars(select(AlertHit.alert_id).where(AlertHit.application_id == application.id)))
    hits = []
    for alert in matching_alerts(
        session,
        search_name=application.search_name,
        birth_date=application.birth_date,
        document_number=application.document_number,
        today=state_today(application.home_state_code, now),  # an alert's last day ends at local midnight
    ):
        if alert.id not in known:
            hit = AlertHit(application_id=application.id, alert_id=alert.id, found_at=now)
            session.add(hit)
            hits.append(hit)
    session.flush()
    return hits


def open_hits(session: Session, application: Application) -> Sequence[AlertHit]:
    return session.scalars(
        select(AlertHit).where(AlertHit.application_id == application.id, AlertHit.cleared_at.is_(None))
    ).all()


def clear_hit(session: Session, hit: AlertHit, *, supervisor: User, reason: str, now: datetime) -> None:
    """A supervisor clears a hit (e.g. a namesake), with a reason; only then can the application be approved."""
    _require_supervisor(supervisor)
    if hit.cleared_at is not None:
        raise ValidationFailed(N_("This hit was already cleared."))
    if not reason.strip():
        raise ValidationFailed(N_("Give the reason for clearing the hit."), "reason")
    hit.cleared_at = now
    hit.cleared_by_id = supervisor.id
    hit.clear_reason = reason.strip()
    application = session.get_one(Application, hit.application_id)
    application.events.append(
        ApplicationEvent(
            kind=EventKind.ALERT_CLEARED,
            at=now,
            actor_id=supervisor.id,
            message=hit.clear_reason,
            is_public=False,
        )
    )
