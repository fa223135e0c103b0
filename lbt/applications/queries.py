"""What the staff pages read: the review queue, one application with what the officer needs beside it,
the permit list and the alert list. Flask-free. Every list is limited to the user's agreements in the
query itself, and the related records a page shows come with the list, never one query per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload

from lbt.accounts import policy
from lbt.accounts.models import User
from lbt.alerts.models import Alert, AlertHit
from lbt.alerts.services import normalise_document_number
from lbt.applications.eligibility import CheckItem, checklist, fee_exemption
from lbt.applications.models import OPEN_STATUSES, Application, ApplicationDocument, ApplicationStatus
from lbt.core.transliteration import to_latin
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.services import permits_of_application
from lbt.reference.models import Locality
from lbt.reference.queries import Page

T = TypeVar("T")
PER_PAGE = 50
OPEN_HITS_SHOWN = 100


def _paginate(session: Session, query: Select[tuple[T]], page: int, per_page: int) -> Page[T]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    number = min(max(page, 1), max(1, -(-total // per_page)))
    items = session.scalars(query.limit(per_page).offset((number - 1) * per_page)).unique().all()
    return Page(items, number, per_page, total)


def search_condition(
    search: str,
    *,
    name: InstrumentedAttribute[str],
    document_number: InstrumentedAttribute[str],
    exact: Iterable[InstrumentedAttribute[str]] = (),
) -> ColumnElement[bool]:
    """One search box for a reference or permit number (exact), a travel document number (as stored:
    upper-case, letters and digits only) or the start of a name, surname first, transliterated. The name
    is matched by prefix so that the pattern index on ``search_name`` serves it; names have no digits,
    so a query with digits is not read as a name."""
    text = search.strip()
    conditions: list[ColumnElement[bool]] = [column == text.upper() for column in exact]
    number = normalise_document_number(text)
    if number:
        conditions.append(document_number == number)
    key = to_latin(text)
    if key and not any(char.isdigit() for char in text):
        # to_latin leaves only A-Z, space, hyphen and apostrophe: nothing LIKE would read as a wildcard
        conditions.append(name.like(f"{key}%"))
    return or_(*conditions) if conditions else false()


# --- the review queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    search: str = ""
    status: ApplicationStatus | None = None  # None: every open status (unless every_status)
    every_status: bool = False
    locality_id: int | None = None
    reason: str = ""
    overdue: bool = False


def is_overdue(application: Application, today: date) -> bool:
    """Still waiting for a decision after the agreement's deadline."""
    return application.status in OPEN_STATUSES and application.decision_due < today


def queue(
    session: Session,
    user: User,
    filters: QueueFilter,
    *,
    today: date,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[Application]:
    """Applications of the user's agreements, the most urgent first (decision deadline, then arrival)."""
    query = (
        select(Application)
        .options(joinedload(Application.locality), joinedload(Application.agreement))
        .where(Application.agreement_id.in_(policy.agreement_ids(user)))
    )
    if filters.status is not None:
        query = query.where(Application.status == filters.status)
    elif not filters.every_status:
        query = query.where(Application.status.in_(OPEN_STATUSES))
    if filters.overdue:
        query = query.where(Application.status.in_(OPEN_STATUSES), Application.decision_due < today)
    if filters.locality_id is not None:
        query = query.where(Application.locality_id == filters.locality_id)
    if filters.reason:
        query = query.where(Application.reason == filters.reason)
    if filters.search.strip():
        query = query.where(
            search_condition(
                filters.search,
                name=Application.search_name,
                document_number=Application.document_number,
                exact=[Application.reference],
            )
        )
    order = (Application.decision_due, Application.submitted_at, Application.id)
    return _paginate(session, query.order_by(*order), page, per_page)


def locality_options(session: Session, user: User) -> list[tuple[str, str]]:
    """The localities of the user's agreements, for the queue's filter."""
    localities = session.scalars(
        select(Locality)
        .where(Locality.agreement_id.in_(policy.agreement_ids(user)))
        .order_by(Locality.name_latin, Locality.district, Locality.id)
    )
    return [(str(locality.id), f"{locality.name_latin} ({locality.district})") for locality in localities]


# --- one application ------------------------------------------------------------------------------


def people(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the users who acted on a record, in one query."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name, User.username).where(User.id.in_(wanted)))
    return {user_id: full_name or username for user_id, full_name, username in rows}


@dataclass(frozen=True)
class ApplicationFile:
    """What an officer sees beside an application: documents, the checklist, the fee, alert hits, permits
    and the names of the staff who acted on it."""

    documents: Sequence[ApplicationDocument]
    checks: list[CheckItem]
    fee_exemption: str | None
    hits: Sequence[AlertHit]
    permits: Sequence[Permit]
    people: dict[int, str]

    @property
    def open_hits(self) -> list[AlertHit]:
        return [hit for hit in self.hits if hit.cleared_at is None]


def application_file(session: Session, application: Application, today: date) -> ApplicationFile:
    hits = session.scalars(
        select(AlertHit)
        .options(joinedload(AlertHit.alert))
        .where(AlertHit.application_id == application.id)
        .order_by(AlertHit.found_at, AlertHit.id)
    ).all()
    documents = session.scalars(
        select(ApplicationDocument)
        .options(joinedload(ApplicationDocument.file))
        .where(ApplicationDocument.application_id == application.id)
        .order_by(ApplicationDocument.id)
    ).all()
    actors = [event.actor_id for event in application.events]
    actors += [hit.cleared_by_id for hit in hits]
    return ApplicationFile(
        documents=documents,
        checks=checklist(session, application, today),
        fee_exemption=fee_exemption(application, application.agreement, today),
        hits=hits,
        permits=permits_of_application(session, application),
        people=people(session, [*actors, application.decided_by_id]),
    )


# --- permits --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PermitFilter:
    search: str = ""
    status: PermitStatus | None = None  # as it stands today: "expired" is an active permit past its end


def _effective_status_is(status: PermitStatus, today: date) -> ColumnElement[bool]:
    if status is PermitStatus.ACTIVE:
        return and_(Permit.status == PermitStatus.ACTIVE, Permit.valid_until >= today)
    if status is PermitStatus.EXPIRED:
        return and_(Permit.status == PermitStatus.ACTIVE, Permit.valid_until < today)
    return Permit.status == status


def permits(
    session: Session,
    user: User,
    filters: PermitFilter,
    *,
    today: date,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[Permit]:
    """Permits of the user's agreements, the newest first."""
    query = (
        select(Permit)
        .options(joinedload(Permit.agreement), joinedload(Permit.locality))
        .where(Permit.agreement_id.in_(policy.agreement_ids(user)))
    )
    if filters.status is not None:
        query = query.where(_effective_status_is(filters.status, today))
    if filters.search.strip():
        query = query.where(
            search_condition(
                filters.search,
                name=Permit.search_name,
                document_number=Permit.document_number,
                exact=[Permit.number],
            )
        )
    return _paginate(session, query.order_by(Permit.issued_at.desc(), Permit.id.desc()), page, per_page)


def replacement_of(session: Session, permit: Permit) -> Permit | None:
    """The permit issued in place of this one (lost or damaged card), if any."""
    return session.scalar(select(Permit).where(Permit.replaces_id == permit.id).order_by(Permit.id))


# --- the alert list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertFilter:
    search: str = ""
    include_lifted: bool = False


def alerts(session: Session, filters: AlertFilter, *, page: int = 1, per_page: int = PER_PAGE) -> Page[Alert]:
    """The alert list (it is not tied to an agreement: an entry ban holds at every crossing)."""
    query = select(Alert)
    if not filters.include_lifted:
        query = query.where(Alert.is_active.is_(True))
    if filters.search.strip():
        query = query.where(
            search_condition(filters.search, name=Alert.search_name, document_number=Alert.document_number)
        )
    return _paginate(session, query.order_by(Alert.created_at.desc(), Alert.id.desc()), page, per_page)


@dataclass(frozen=True)
class OpenHit:
    hit: AlertHit
    application_id: int
    reference: str
    applicant: str


def open_hits(session: Session, user: User, *, limit: int = OPEN_HITS_SHOWN) -> list[OpenHit]:
    """Alert-list hits of the user's agreements still waiting for a supervisor, the oldest first."""
    rows = session.execute(
        select(AlertHit, Application.id, Application.reference, Application.search_name)
        .join(Application, Application.id == AlertHit.application_id)
        .options(joinedload(AlertHit.alert))
        .where(Application.agreement_id.in_(policy.agreement_ids(user)), AlertHit.cleared_at.is_(None))
        .order_by(AlertHit.found_at, AlertHit.id)
        .limit(limit)
    )
    return [OpenHit(hit, application_id, reference, name) for hit, application_id, reference, name in rows]


def alert_state(alert: Alert, today: date) -> str:
    """The alert's state today: active, expired (past its end date) or lifted (by a supervisor)."""
    if not alert.is_active:
        return "lifted"
    if alert.valid_until is not None and alert.valid_until < today:
        return "expired"
    return "active"
