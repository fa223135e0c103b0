"""What the permit pages read: the list of the user's permits and the replacement of one. Flask-free;
the list is limited to the user's agreements in the query itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, joinedload

from lbt.accounts import policy
from lbt.accounts.models import User
from lbt.core.pagination import PER_PAGE, Page, paginate
from lbt.core.search import search_condition
from lbt.permits.models import Permit, PermitStatus


@dataclass(frozen=True)
class PermitFilter:
    search: str = ""
    status: PermitStatus | None = None  # as it stands today: "expired" is an active permit past its end
    to_print: bool = False  # valid, and its card not downloaded yet


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
    if filters.to_print:
        query = query.where(Permit.card_printed_at.is_(None), Permit.status == PermitStatus.ACTIVE)
    if filters.search.strip():
        query = query.where(
            search_condition(
                filters.search,
                name=Permit.search_name,
                document_number=Permit.document_number,
                exact=[Permit.number],
            )
        )
    return paginate(session, query.order_by(Permit.issued_at.desc(), Permit.id.desc()), page, per_page)


def replacement_of(session: Session, permit: Permit) -> Permit | None:
    """The permit issued in place of this one (lost or damaged card), if any."""
    return session.scalar(select(Permit).where(Permit.replaces_id == permit.id).order_by(Permit.id))
