"""What the staff pages read: the review queue, one application with what the officer needs beside it,
the permit list and the alert list. Flask-free. Every list is limited to the user's agreements in the
query itself, and the related records a page shows come with the list, never one query per row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lbt.accounts import policy
from lbt.accounts.models import User
from lbt.accounts.queries import people
from lbt.alerts.models import AlertHit
from lbt.applications.eligibility import CheckItem, checklist, fee_exemption
from lbt.applications.fees import FeeState, fee_state
from lbt.applications.models import OPEN_STATUSES, Application, ApplicationDocument, ApplicationStatus
from lbt.core.pagination import Page, paginate
from lbt.core.search import search_condition
from lbt.permits.models import Permit
from lbt.permits.services import permits_of_application
from lbt.reference.models import Locality

T = TypeVar("T")
PER_PAGE = 50
OPEN_HITS_SHOWN = 100


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
    return paginate(session, query.order_by(*order), page, per_page)


def locality_options(session: Session, user: User) -> list[tuple[str, str]]:
    """The localities of the user's agreements, for the queue's filter."""
    localities = session.scalars(
        select(Locality)
        .where(Locality.agreement_id.in_(policy.agreement_ids(user)))
        .order_by(Locality.name_latin, Locality.district, Locality.id)
    )
    return [(str(locality.id), f"{locality.name_latin} ({locality.district})") for locality in localities]


# --- one application ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationFile:
    """What an officer sees beside an application: documents, the checklist, the fee, alert hits, permits
    and the names of the staff who acted on it."""

    documents: Sequence[ApplicationDocument]
    checks: list[CheckItem]
    fee_exemption: str | None
    fee: FeeState
    hits: Sequence[AlertHit]
    permits: Sequence[Permit]
    people: dict[int, str]

    @property
    def open_hits(self) -> list[AlertHit]:
        return [hit for hit in self.hits if hit.cleared_at is None]


def application_file(
    session: Session, application: Application, today: date, *, home_state: str
) -> ApplicationFile:
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
        checks=checklist(session, application, today, home_state=home_state),
        fee_exemption=fee_exemption(application, application.agreement, today),
        fee=fee_state(application, today),
        hits=hits,
        permits=permits_of_application(session, application),
        people=people(session, [*actors, application.decided_by_id]),
    )


# --- permits --------------------------------------------------------------------------------------
