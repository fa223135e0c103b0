"""What the alert pages read: the alert list and the hits waiting for a supervisor. Flask-free."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lbt.accounts import policy
from lbt.accounts.models import User
from lbt.alerts.models import Alert, AlertHit
from lbt.applications.models import Application
from lbt.core.pagination import PER_PAGE, Page, paginate
from lbt.core.search import search_condition

OPEN_HITS_SHOWN = 100


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
    return paginate(session, query.order_by(Alert.created_at.desc(), Alert.id.desc()), page, per_page)


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
