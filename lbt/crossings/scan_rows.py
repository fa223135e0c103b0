"""What a device's scan reads, as plain rows rather than ORM entities (issue 11: ``POST
/api/v1/verify`` is the hottest request of the system, and loading entities with their eager-loaded
relations cost more than the queries themselves). One statement reads the bearer token with its
user, the named crossing point among the user's own, and the scanned permit with its agreement (and
whether that agreement allows the point); the permit's counted crossings are the second read
(``services.counted_crossings``). On PostgreSQL the same statement also gathers the counted
crossings (two arrays, in the order of ``counted_crossings``), and runs on the driver's connection
(``DriverScans``, ``lbt.core.driver_select``): one round trip, and none of SQLAlchemy's execution
path. The objects carry exactly what ``assess``, ``permit_facts`` and ``stay_facts`` read of the
entities, under the same names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, exists, func, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Dialect

from lbt.accounts.models import Role, User, user_crossing_points
from lbt.api.models import ApiToken
from lbt.core.dates import state_time_zone
from lbt.core.driver_select import DriverSelect
from lbt.crossings.models import Crossing, Direction
from lbt.crossings.services import COUNTED_ORDER, counted_of
from lbt.permits.models import Permit, PermitStatus, effective_status
from lbt.reference.models import Agreement, CrossingPoint, State, agreement_crossing_points


@dataclass(frozen=True, slots=True)
class GuardPoint:
    """The crossing point a guard named, one of the guard's own."""

    id: int
    code: str
    agreement_id: int
    time_zone: str
    state_code: str

    @property
    def zone_name(self) -> str:
        return self.time_zone or state_time_zone(self.state_code)


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """The user behind a bearer token, and the token's own state."""

    revoked_at: datetime | None
    last_used_at: datetime | None
    user_id: int
    username: str
    role: Role
    is_active: bool
    locale: str | None
    point: GuardPoint | None  # the named crossing point when it is one of the user's


@dataclass(frozen=True, slots=True)
class _PointId:
    id: int


@dataclass(frozen=True, slots=True)
class ScannedAgreement:
    id: int
    code: str
    rolling_window_days: int | None
    rolling_limit_days: int | None
    all_crossing_points: bool
    allowed_crossing_points: tuple[_PointId, ...]  # the scan's point when the agreement lists it, else ()


@dataclass(frozen=True, slots=True)
class ScannedPermit:
    id: int
    number: str
    token: str
    issuing_state: str
    surname_national: str
    surname_latin: str
    given_names_national: str
    given_names_latin: str
    birth_date: date
    document_number: str
    valid_from: date
    valid_until: date
    status: PermitStatus
    max_stay_days: int
    agreement: ScannedAgreement

    def effective_status(self, today: date) -> PermitStatus:
        return effective_status(self.status, self.valid_until, today)


_HOLDER_COLUMNS = (
    ApiToken.revoked_at,
    ApiToken.last_used_at,
    User.id,
    User.username,
    User.role,
    User.is_active,
    User.locale,
)
_POINT_COLUMNS = (
    CrossingPoint.id,
    CrossingPoint.code,
    CrossingPoint.agreement_id,
    CrossingPoint.time_zone,
    State.code,
)
_PERMIT_COLUMNS = (
    Permit.id,
    Permit.number,
    Permit.token,
    Permit.issuing_state,
    Permit.surname_national,
    Permit.surname_latin,
    Permit.given_names_national,
    Permit.given_names_latin,
    Permit.birth_date,
    Permit.document_number,
    Permit.valid_from,
    Permit.valid_until,
    Permit.status,
    Permit.max_stay_days,
)
_AGREEMENT_COLUMNS = (
    Agreement.id,
    Agreement.code,
    Agreement.rolling_window_days,
    Agreement.rolling_limit_days,
    Agreement.all_crossing_points,
)
_POINT_ALLOWED = (
    exists()
    .where(
        agreement_crossing_points.c.agreement_id == Agreement.id,
        agreement_crossing_points.c.crossing_point_id == CrossingPoint.id,
    )
    .correlate(Agreement, CrossingPoint)
)
_POINT_NAMED = and_(  # the crossing point of the code sent, when it is one of the user's
    CrossingPoint.code == bindparam("point"),
    exists().where(
        user_crossing_points.c.user_id == User.id,
        user_crossing_points.c.crossing_point_id == CrossingPoint.id,
    ),
)
_POINT_ONLY = CrossingPoint.id == (  # none sent: the user's crossing point when the user has only one
    select(func.min(user_crossing_points.c.crossing_point_id))
    .where(user_crossing_points.c.user_id == User.id)
    .having(func.count() == 1)
    .scalar_subquery()
)


def _history() -> Any:
    """The permit's counted crossings (``services.counted_of``) as two arrays in their order,
    directions and times (PostgreSQL: a lateral subquery, one index scan)."""
    return (
        select(
            func.array_agg(aggregate_order_by(Crossing.direction, *COUNTED_ORDER)).label("directions"),
            func.array_agg(aggregate_order_by(Crossing.at, *COUNTED_ORDER)).label("moments"),
        )
        .where(counted_of(Permit.id))
        .lateral("history")
    )


def _scan(point: ColumnElement[bool], with_history: bool = False) -> Select[Any]:
    """One row: the token, its user, the crossing point (else NULLs), the permit of the scanned number
    with its agreement (else NULLs), whether the agreement lists the point, and ``with_history``
    the permit's counted crossings (``_history``)."""
    history = _history() if with_history else None
    statement = (
        select(
            *_HOLDER_COLUMNS,
            *_POINT_COLUMNS,
            *_PERMIT_COLUMNS,
            *_AGREEMENT_COLUMNS,
            _POINT_ALLOWED,
            *(() if history is None else (history.c.directions, history.c.moments)),
        )
        .select_from(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(CrossingPoint, point)
        .outerjoin(State, State.id == CrossingPoint.state_id)
        .outerjoin(Permit, Permit.number == bindparam("number"))
        .outerjoin(Agreement, Agreement.id == Permit.agreement_id)
        .where(ApiToken.token_hash == bindparam("digest"))
    )
    return statement if history is None else statement.outerjoin(history, true())


_SCAN_AT_POINT, _SCAN_AT_ONLY_POINT = _scan(_POINT_NAMED), _scan(_POINT_ONLY)
_POINT_AT = len(_HOLDER_COLUMNS)
_PERMIT_AT = _POINT_AT + len(_POINT_COLUMNS)
_AGREEMENT_AT = _PERMIT_AT + len(_PERMIT_COLUMNS)
_ALLOWED_AT = _AGREEMENT_AT + len(_AGREEMENT_COLUMNS)


@dataclass(frozen=True, slots=True)
class Scan:
    holder: TokenHolder
    permit: ScannedPermit | None  # the permit of the scanned number, when one is on record
    # its counted crossings, oldest first, when the statement read them (PostgreSQL's)
    crossings: list[tuple[Direction, datetime]] | None = None


def _scan_of(row: Any) -> Scan:
    point = None if row[_POINT_AT] is None else GuardPoint(*row[_POINT_AT:_PERMIT_AT])
    holder = TokenHolder(*row[:_POINT_AT], point=point)
    if row[_PERMIT_AT] is None:
        return Scan(holder, None)
    allowed = (_PointId(point.id),) if point is not None and row[_ALLOWED_AT] else ()
    agreement = ScannedAgreement(*row[_AGREEMENT_AT:_ALLOWED_AT], allowed_crossing_points=allowed)
    permit = ScannedPermit(*row[_PERMIT_AT:_AGREEMENT_AT], agreement=agreement)
    if len(row) == _ALLOWED_AT + 1:
        return Scan(holder, permit)
    directions, moments = row[_ALLOWED_AT + 1] or [], row[_ALLOWED_AT + 2] or []
    return Scan(holder, permit, list(zip(directions, moments, strict=True)))


def scan_rows(connection: Connection, digest: str, point_code: str | None, number: str) -> Scan | None:
    """The token of this digest with its user and the crossing point of this code (none: the user's
    only one), and the permit of this number with its agreement, in one statement; None when no token
    has this digest."""
    if point_code is None:
        row = connection.execute(_SCAN_AT_ONLY_POINT, {"digest": digest, "number": number}).first()
    else:
        row = connection.execute(
            _SCAN_AT_POINT, {"digest": digest, "point": point_code, "number": number}
        ).first()
    return None if row is None else _scan_of(row)


class DriverScans:
    """``scan_rows`` with the permit's counted crossings, in one statement run on the PostgreSQL
    driver's connection (``Database.driver_reads``)."""

    def __init__(self, dialect: Dialect) -> None:
        self._at_point = DriverSelect(_scan(_POINT_NAMED, True), dialect, ("digest", "point", "number"))
        self._at_only_point = DriverSelect(_scan(_POINT_ONLY, True), dialect, ("digest", "number"))

    def scan(self, driver_connection: Any, digest: str, point_code: str | None, number: str) -> Scan | None:
        if point_code is None:
            row = self._at_only_point.first(driver_connection, digest=digest, number=number)
        else:
            row = self._at_point.first(driver_connection, digest=digest, point=point_code, number=number)
        return None if row is None else _scan_of(row)
