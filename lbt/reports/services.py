"""Who reads which reports, and the reports' filters turned into a scope: an analyst (the central
office) reads across every agreement of the home state, a supervisor those they serve, an admin all.
Reports hold figures only; the records behind them stay behind each area's own access rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from lbt.accounts.models import Role, User
from lbt.core.errors import N_, DomainError, NotFound
from lbt.core.settings import Settings
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, Locality, State
from lbt.reports.figures import Scope
from lbt.reports.monitoring import section_ids_of
from lbt.reports.periods import Period

READERS = (Role.ANALYST, Role.SUPERVISOR, Role.ADMIN)
MAX_PERIOD_DAYS = 3 * 366  # a longer period is a different question (and a long query)


class NotInScope(DomainError):
    """A filter names something outside what the reader may see."""


def report_zone(settings: Settings) -> tzinfo:
    """The home state's time, in which a report's days begin and end (LBT_TIME_ZONE when set)."""
    return ZoneInfo(settings.instance_zone)


def visible_agreements(session: Session, user: User, *, home_state: str) -> list[Agreement]:
    """The agreements whose figures ``user`` may read."""
    if user.role is Role.SUPERVISOR:
        return list(user.agreements)
    query = select(Agreement).order_by(Agreement.code)
    if user.role is Role.ANALYST:
        state_a, state_b = aliased(State), aliased(State)
        query = (
            query.join(state_a, state_a.id == Agreement.state_a_id)
            .join(state_b, state_b.id == Agreement.state_b_id)
            .where(or_(state_a.code == home_state, state_b.code == home_state))
        )
    elif user.role is not Role.ADMIN:
        return []
    return list(session.scalars(query))


def agreement_by_code(session: Session, code: str, *, home_state: str) -> Agreement:
    agreement = session.scalar(select(Agreement).where(Agreement.code == code.strip().upper()))
    if agreement is None or home_state not in (agreement.state_a.code, agreement.state_b.code):
        raise NotFound(N_("No agreement of this state has the code %(code)s."), code=code)
    return agreement


@dataclass(frozen=True)
class Filters:
    """The filters as the form gives them (plain values; any may be empty)."""

    since: date | None = None
    until: date | None = None
    agreement_id: int | None = None
    crossing_point_id: int | None = None
    locality_id: int | None = None
    district: str = ""
    section_id: int | None = None


@dataclass(frozen=True)
class Choices:
    """What the reader may filter by."""

    agreements: Sequence[Agreement]
    crossing_points: Sequence[CrossingPoint]
    localities: Sequence[Locality]
    districts: Sequence[str]
    sections: Sequence[BorderSection]


def choices_for(session: Session, agreements: Sequence[Agreement]) -> Choices:
    ids = [agreement.id for agreement in agreements]
    localities = list(
        session.scalars(select(Locality).where(Locality.agreement_id.in_(ids)).order_by(Locality.name_latin))
    )
    return Choices(
        agreements=agreements,
        crossing_points=list(
            session.scalars(
                select(CrossingPoint).where(CrossingPoint.agreement_id.in_(ids)).order_by(CrossingPoint.code)
            )
        ),
        localities=localities,
        districts=sorted({locality.district for locality in localities}),
        sections=list(
            session.scalars(
                select(BorderSection)
                .where(BorderSection.id.in_(section_ids_of(session, agreements)))
                .order_by(BorderSection.code)
            )
        ),
    )


def default_period(today: date) -> tuple[date, date]:
    """The last 30 days, today included."""
    return today - timedelta(days=29), today


def scope_of(
    choices: Choices, filters: Filters, *, today: date, zone: tzinfo, home_state_id: int | None
) -> Scope:
    """The filters checked against what the reader may see (``NotInScope`` otherwise)."""
    start, end = default_period(today)
    period = Period(filters.since or start, filters.until or end, zone)
    if period.days > MAX_PERIOD_DAYS:
        raise NotInScope(N_("Choose a period of at most three years."))
    agreement_ids = tuple(agreement.id for agreement in choices.agreements)
    if filters.agreement_id is not None:
        if filters.agreement_id not in agreement_ids:
            raise NotInScope(N_("That agreement is not one you may read the figures of."))
        agreement_ids = (filters.agreement_id,)
    point = next((p for p in choices.crossing_points if p.id == filters.crossing_point_id), None)
    if filters.crossing_point_id is not None and (point is None or point.agreement_id not in agreement_ids):
        raise NotInScope(N_("That crossing point is not in the agreements you read."))
    locality = next((loc for loc in choices.localities if loc.id == filters.locality_id), None)
    if filters.locality_id is not None and (locality is None or locality.agreement_id not in agreement_ids):
        raise NotInScope(N_("That locality is not in the agreements you read."))
    if filters.district and filters.district not in choices.districts:
        raise NotInScope(N_("That district is not in the agreements you read."))
    section_ids = tuple(section.id for section in choices.sections)
    if filters.section_id is not None:
        if filters.section_id not in section_ids:
            raise NotInScope(N_("That border section is not one of the agreements you read."))
        section_ids = (filters.section_id,)
    return Scope(
        period=period,
        agreement_ids=agreement_ids,
        locality_id=filters.locality_id,
        district=filters.district or None,
        crossing_point_id=filters.crossing_point_id,
        section_ids=section_ids,
        home_state_id=home_state_id,
    )


def home_state_id(session: Session, home_state: str) -> int | None:
    return session.scalar(select(State.id).where(State.code == home_state))


def local_today(now: datetime, zone: tzinfo) -> date:
    return now.astimezone(zone).date()
