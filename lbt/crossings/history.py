"""Reading what a verdict needs in as few queries as the rules allow (issue 11): the permits of a scan
or a batch with their agreement in one query (locked while crossings are recorded), and the counted
crossings of all of them, with any crossing already stored under the batch's ids, in one more."""

from __future__ import annotations

from bisect import insort
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, joinedload

from lbt.crossings.models import COUNTED_STATUSES, Crossing, CrossingStatus, Direction, Verdict
from lbt.permits.models import Permit
from lbt.reference.models import Agreement

NEW_IDS = 2**62  # provisional ids of crossings not stored yet: after every stored one at the same time


@dataclass(frozen=True, order=True)
class Counted:
    """One crossing that counts in the stays, ordered as the rules read them (time, then id)."""

    at: datetime
    id: int
    direction: Direction = field(compare=False)
    crossing_point_id: int = field(compare=False)
    client_id: str = field(compare=False)

    @property
    def is_new(self) -> bool:
        return self.id >= NEW_IDS


@dataclass(frozen=True)
class Stored:
    """A crossing already stored under a device's id: enough to answer a retry."""

    permit_id: int
    crossing_point_id: int
    direction: Direction
    verdict: Verdict
    status: CrossingStatus


@dataclass
class Histories:
    """The counted crossings of some permits (oldest first) and the crossings stored under some ids."""

    counted: dict[int, list[Counted]]
    stored: dict[str, Stored]

    def of(self, permit_id: int) -> list[Counted]:
        return self.counted.setdefault(permit_id, [])

    def add(self, permit_id: int, crossing: Counted) -> None:
        insort(self.of(permit_id), crossing)


def permits_by_number(session: Session, numbers: Collection[str], *, lock: bool) -> dict[str, Permit]:
    """The permits with these numbers, each with its agreement and the agreement's crossing points, in
    one query. ``lock``: a row lock on each permit until the transaction ends, taken in the order of
    the ids (two batches never wait on each other in a circle), the rows read again under it so that
    a suspension committed meanwhile is seen; SQLite's one writer at a time serialises already."""
    if not numbers:
        return {}
    query = (
        select(Permit)
        .options(joinedload(Permit.agreement).joinedload(Agreement.allowed_crossing_points))
        .where(Permit.number.in_(sorted(set(numbers))))
        .order_by(Permit.id)
    )
    if lock:
        query = query.with_for_update(of=Permit).execution_options(populate_existing=True)
    return {permit.number: permit for permit in session.scalars(query).unique()}


# the scan's permit (no lock: a verdict records nothing), built once: a scan runs it every time, and
# building the statement with its eager-load options cost more than SQLAlchemy's cached compilation
_PERMIT_OF_NUMBER = (
    select(Permit)
    .options(joinedload(Permit.agreement).joinedload(Agreement.allowed_crossing_points))
    .where(Permit.number == bindparam("number"))
)


def permit_by_number(session: Session, number: str) -> Permit | None:
    """The permit with this number, with its agreement and the agreement's crossing points, in one
    query (``permits_by_number`` unlocked, for one number)."""
    return session.scalars(_PERMIT_OF_NUMBER, {"number": number}).unique().one_or_none()


def histories(session: Session, permit_ids: Iterable[int], client_ids: Iterable[str] = ()) -> Histories:
    """The counted crossings of these permits and any crossing stored under these device ids, in one
    query (the index on ``(permit_id, at)`` and the unique index on ``client_id``). Run after the
    permits' lock: a crossing committed while we waited for it is then seen."""
    permit_ids, client_ids = sorted(set(permit_ids)), sorted(set(client_ids))
    found = Histories({permit_id: [] for permit_id in permit_ids}, {})
    if not permit_ids and not client_ids:
        return found
    conditions = []
    if permit_ids:
        conditions.append(Crossing.permit_id.in_(permit_ids) & Crossing.status.in_(COUNTED_STATUSES))
    if client_ids:
        conditions.append(Crossing.client_id.in_(client_ids))
    rows = session.execute(
        select(
            Crossing.id,
            Crossing.client_id,
            Crossing.permit_id,
            Crossing.crossing_point_id,
            Crossing.direction,
            Crossing.at,
            Crossing.status,
            Crossing.verdict,
        )
        .where(or_(*conditions))
        .order_by(Crossing.permit_id, Crossing.at, Crossing.id)
    ).all()
    wanted = set(client_ids)
    for id_, client_id, permit_id, point_id, direction, at, status, verdict in rows:
        if status in COUNTED_STATUSES and permit_id in found.counted:
            found.counted[permit_id].append(Counted(at, id_, direction, point_id, client_id))
        if client_id in wanted:
            found.stored[client_id] = Stored(permit_id, point_id, direction, verdict, status)
    return found
