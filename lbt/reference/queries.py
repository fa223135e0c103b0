"""Reading reference data: filtered, paginated lists and the detail of one record. Related records a
page shows are loaded with the list (joinedload/selectinload), never one query per row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload, selectinload

from lbt.core.pagination import PER_PAGE, Page, paginate
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, Locality, State
from lbt.reference.names import state_name

T = TypeVar("T")


@dataclass(frozen=True)
class ReferenceFilter:
    search: str = ""
    active_only: bool = False
    agreement_code: str = ""  # localities and crossing points
    state_code: str = ""  # localities and crossing points


def _matches(search: str, *columns: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    # lower() in SQLite folds ASCII only, so a Cyrillic search also matches as typed
    words = search.strip()
    return or_(
        *(func.lower(column).contains(words.lower(), autoescape=True) for column in columns),
        *(column.contains(words, autoescape=True) for column in columns),
    )


def _filtered(
    query: Select[tuple[T]], model: Any, filters: ReferenceFilter, *searched: Any
) -> Select[tuple[T]]:
    if filters.search.strip():
        query = query.where(_matches(filters.search, *searched))
    if filters.active_only:
        query = query.where(model.is_active.is_(True))
    if filters.agreement_code and hasattr(model, "agreement_id"):
        agreement_id = select(Agreement.id).where(Agreement.code == filters.agreement_code).scalar_subquery()
        query = query.where(model.agreement_id == agreement_id)
    if filters.state_code and hasattr(model, "state_id"):
        state_id = select(State.id).where(State.code == filters.state_code).scalar_subquery()
        query = query.where(model.state_id == state_id)
    return query


def list_states(
    session: Session, filters: ReferenceFilter, *, page: int = 1, per_page: int = PER_PAGE
) -> Page[State]:
    query = _filtered(
        select(State),
        State,
        filters,
        State.code,
        State.alpha3,
        State.name_en,
        State.name_ru,
        State.name_national,
    )
    return paginate(session, query.order_by(State.code), page, per_page)


def list_agreements(
    session: Session, filters: ReferenceFilter, *, page: int = 1, per_page: int = PER_PAGE
) -> Page[Agreement]:
    query = select(Agreement).options(joinedload(Agreement.state_a), joinedload(Agreement.state_b))
    query = _filtered(query, Agreement, filters, Agreement.code, Agreement.name)
    return paginate(session, query.order_by(Agreement.code), page, per_page)


def list_localities(
    session: Session, filters: ReferenceFilter, *, page: int = 1, per_page: int = PER_PAGE
) -> Page[Locality]:
    query = select(Locality).options(joinedload(Locality.agreement), joinedload(Locality.state))
    query = _filtered(
        query, Locality, filters, Locality.name_latin, Locality.name_national, Locality.district
    )
    order = (Locality.agreement_id, Locality.state_id, Locality.district, Locality.name_latin)
    return paginate(session, query.order_by(*order), page, per_page)


def list_crossing_points(
    session: Session, filters: ReferenceFilter, *, page: int = 1, per_page: int = PER_PAGE
) -> Page[CrossingPoint]:
    query = select(CrossingPoint).options(
        joinedload(CrossingPoint.agreement), joinedload(CrossingPoint.state)
    )
    query = _filtered(query, CrossingPoint, filters, CrossingPoint.code, CrossingPoint.name)
    return paginate(session, query.order_by(CrossingPoint.code), page, per_page)


def list_border_sections(
    session: Session, filters: ReferenceFilter, *, page: int = 1, per_page: int = PER_PAGE
) -> Page[BorderSection]:
    query = select(BorderSection).options(
        joinedload(BorderSection.state_a), joinedload(BorderSection.state_b)
    )
    query = _filtered(query, BorderSection, filters, BorderSection.code, BorderSection.name)
    return paginate(session, query.order_by(BorderSection.code), page, per_page)


@dataclass(frozen=True)
class AgreementOverview:
    agreement: Agreement
    locality_count: int
    crossing_points: Sequence[CrossingPoint]

    def lbt_may_use(self, point: CrossingPoint) -> bool:
        return permit_holders_may_use(self.agreement, point)


def permit_holders_may_use(agreement: Agreement, point: CrossingPoint) -> bool:
    """Art. 4: permit holders cross at any crossing point, or only at those the agreement names."""
    return agreement.all_crossing_points or point in agreement.allowed_crossing_points


def agreement_overview(session: Session, agreement_id: int) -> AgreementOverview | None:
    agreement = session.scalar(
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(
            joinedload(Agreement.state_a),
            joinedload(Agreement.state_b),
            selectinload(Agreement.allowed_crossing_points),
        )
    )
    if agreement is None:
        return None
    count = session.scalar(select(func.count()).where(Locality.agreement_id == agreement.id)) or 0
    points = session.scalars(
        select(CrossingPoint)
        .where(CrossingPoint.agreement_id == agreement.id)
        .options(joinedload(CrossingPoint.state))
        .order_by(CrossingPoint.code)
    ).all()
    return AgreementOverview(agreement, count, points)


def get_crossing_point(session: Session, crossing_point_id: int) -> CrossingPoint | None:
    return session.scalar(
        select(CrossingPoint)
        .where(CrossingPoint.id == crossing_point_id)
        .options(
            joinedload(CrossingPoint.state),
            joinedload(CrossingPoint.agreement).joinedload(Agreement.state_a),
            joinedload(CrossingPoint.agreement).joinedload(Agreement.state_b),
            joinedload(CrossingPoint.agreement).selectinload(Agreement.allowed_crossing_points),
        )
    )


def get_border_section(session: Session, section_id: int) -> BorderSection | None:
    return session.scalar(
        select(BorderSection)
        .where(BorderSection.id == section_id)
        .options(joinedload(BorderSection.state_a), joinedload(BorderSection.state_b))
    )


def state_options(session: Session, locale: str) -> list[tuple[str, str]]:
    """The states for a choice, each as its code and its name in the reader's language."""
    return [
        (s.code, f"{s.code} — {state_name(s, locale)}")
        for s in session.scalars(select(State).order_by(State.code))
    ]


def agreement_options(session: Session) -> list[tuple[str, str]]:
    return [
        (a.code, f"{a.code} — {a.name}") for a in session.scalars(select(Agreement).order_by(Agreement.code))
    ]


def crossing_point_options(session: Session, agreement: Agreement | None) -> list[tuple[str, str]]:
    """Only an agreement's own crossing points can be named by it (none while it is being created)."""
    if agreement is None or agreement.id is None:
        return []
    query = (
        select(CrossingPoint).where(CrossingPoint.agreement_id == agreement.id).order_by(CrossingPoint.code)
    )
    return [(c.code, f"{c.code} — {c.name}") for c in session.scalars(query)]


def agreement_states(session: Session, home_state: str) -> list[str]:
    """The codes of the states of the home state's active agreements: its partners first (their
    residents are the applicants), then the home state itself."""
    agreements = session.scalars(
        select(Agreement)
        .where(Agreement.is_active)
        .options(joinedload(Agreement.state_a), joinedload(Agreement.state_b))
    ).all()
    partners = [p.code for p in (a.partner_of(home_state) for a in agreements) if p is not None]
    return list(dict.fromkeys([*sorted(partners), *([home_state] if partners else [])]))
