"""The crossing summaries (issue 11), kept in the same transaction as every write that changes the
counted crossings, so the staff pages read a few index entries instead of millions of crossings:

- ``permit_presence``: each permit's last counted crossing, and since when the holder is inside;
- ``crossing_day_counts``: counted entries and exits per crossing point, local day and direction.

A crossing counts when its status is counted or accepted: one held for review is added when an
officer accepts it, a rejected one never. ``rebuild`` recomputes both tables from the crossings
with set-based SQL (``lbt crossings rebuild-summaries``) and says how many rows differed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lbt.core import dates
from lbt.crossings import patterns
from lbt.crossings.history import Counted
from lbt.crossings.models import CrossingDayCount, CrossingStatus, Direction, PermitPresence, Verdict
from lbt.permits.models import Permit
from lbt.reference.models import CrossingPoint

PRESENCE: Table = PermitPresence.__table__  # type: ignore[assignment]
DAY_COUNTS: Table = CrossingDayCount.__table__  # type: ignore[assignment]
DayKey = tuple[int, date, Direction]  # crossing point, local day, direction


def local_day(point: CrossingPoint, at: datetime) -> date:
    """The calendar day of ``at`` on the crossing point's clock (its zone, else its state's), the day
    ``crossing_day_counts`` counts it in and the crossing log shows it under."""
    return dates.local_day(at, point.zone_name)


@dataclass(frozen=True)
class NewCrossing:
    """A crossing to insert, as judged; ``day`` is its local day when it counts (None when held)."""

    client_id: str
    permit_id: int
    crossing_point_id: int
    direction: Direction
    at: datetime
    recorded_at: datetime
    officer_id: int | None
    verdict: Verdict
    reason: str
    status: CrossingStatus
    day: date | None

    def row(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "permit_id": self.permit_id,
            "crossing_point_id": self.crossing_point_id,
            "direction": self.direction,
            "at": self.at,
            "recorded_at": self.recorded_at,
            "officer_id": self.officer_id,
            "verdict": self.verdict,
            "reason": self.reason,
            "status": self.status,
        }


@dataclass(frozen=True)
class Presence:
    """A permit's row of ``permit_presence``: its last counted crossing (maybe one not stored yet)."""

    permit_id: int
    agreement_id: int
    max_stay_days: int
    last: Counted

    def row(self, crossing_id: int) -> dict[str, Any]:
        return {
            "permit_id": self.permit_id,
            "agreement_id": self.agreement_id,
            "max_stay_days": self.max_stay_days,
            "last_crossing_id": crossing_id,
            "last_at": self.last.at,
            "last_direction": self.last.direction,
            "last_crossing_point_id": self.last.crossing_point_id,
            "entered_at": self.last.at if self.last.direction is Direction.ENTRY else None,
        }


def presence_of(permit: Permit, counted: Sequence[Counted]) -> Presence | None:
    """Where the holder stands after these counted crossings (oldest first): the last one decides."""
    return Presence(permit.id, permit.agreement_id, permit.max_stay_days, counted[-1]) if counted else None


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert(session: Session, table: Table) -> Any:
    return (postgresql if _is_postgresql(session) else sqlite).insert(table)


def upsert_presence(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        statement = _insert(session, PRESENCE).values(list(rows))
        columns = [name for name in rows[0] if name != "permit_id"]
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["permit_id"], set_={name: statement.excluded[name] for name in columns}
            )
        )


def add_day_counts(session: Session, increments: Mapping[DayKey, int]) -> None:
    """Add to the day counts, in the order of their keys (two writers never lock them in a circle)."""
    if increments:
        rows = [
            {"crossing_point_id": point, "day": day, "direction": direction, "count": count}
            for (point, day, direction), count in sorted(increments.items())
        ]
        statement = _insert(session, DAY_COUNTS).values(rows)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["crossing_point_id", "day", "direction"],
                set_={"count": DAY_COUNTS.c.count + statement.excluded.count},
            )
        )


@dataclass(frozen=True)
class _Exited:
    permit: Permit
    crossing_point: CrossingPoint
    direction: Direction = Direction.EXIT


def counted_added(session: Session, permit: Permit, counted: Sequence[Counted], added: Counted) -> None:
    """After a crossing began to count (its row stored and flushed, or a held one accepted): the
    permit's presence from its counted crossings, ``added`` among them, and one more in its day."""
    presence = presence_of(permit, sorted(counted))
    if presence is not None:
        upsert_presence(session, [presence.row(presence.last.id)])
    point = session.get(CrossingPoint, added.crossing_point_id)
    if point is not None:
        add_day_counts(session, {(point.id, local_day(point, added.at), added.direction): 1})
        if added.direction is Direction.EXIT:
            now = (session.info.get("clock") or (lambda: datetime.now(UTC)))()
            patterns.keep_for_exits(session, [(_Exited(permit, point), counted)], now)


def day_increments(new: Iterable[NewCrossing]) -> Counter[DayKey]:
    return Counter((c.crossing_point_id, c.day, c.direction) for c in new if c.day is not None)


# One statement on PostgreSQL: the crossings, then the day counts and the presence of those actually
# inserted (a copy of an id stored meanwhile by another request is left out, and answered as a retry)
_STORE_POSTGRESQL = text("""
WITH new AS (
    INSERT INTO crossings (client_id, permit_id, crossing_point_id, direction, at, recorded_at,
                           officer_id, verdict, reason, status)
    SELECT * FROM unnest(CAST(:client_id AS varchar[]), CAST(:permit_id AS integer[]),
                         CAST(:crossing_point_id AS integer[]), CAST(:direction AS varchar[]),
                         CAST(:at AS timestamptz[]), CAST(:recorded_at AS timestamptz[]),
                         CAST(:officer_id AS integer[]), CAST(:verdict AS varchar[]),
                         CAST(:reason AS text[]), CAST(:status AS varchar[]))
    ON CONFLICT (client_id) DO NOTHING
    RETURNING id, client_id
), days AS (
    INSERT INTO crossing_day_counts (crossing_point_id, day, direction, count)
    SELECT d.crossing_point_id, d.day, d.direction, count(*)
    FROM unnest(CAST(:day_client_id AS varchar[]), CAST(:day_point AS integer[]),
                CAST(:day AS date[]), CAST(:day_direction AS varchar[]))
         AS d (client_id, crossing_point_id, day, direction)
    JOIN new ON new.client_id = d.client_id
    GROUP BY d.crossing_point_id, d.day, d.direction
    ORDER BY d.crossing_point_id, d.day, d.direction
    ON CONFLICT (crossing_point_id, day, direction)
    DO UPDATE SET count = crossing_day_counts.count + EXCLUDED.count
), presence AS (
    INSERT INTO permit_presence (permit_id, agreement_id, last_crossing_id, last_at, last_direction,
                                 last_crossing_point_id, entered_at, max_stay_days)
    SELECT p.permit_id, p.agreement_id, coalesce(p.last_id, new.id), p.last_at, p.last_direction,
           p.last_point, p.entered_at, p.max_stay_days
    FROM unnest(CAST(:p_permit AS integer[]), CAST(:p_agreement AS integer[]),
                CAST(:p_last_id AS bigint[]), CAST(:p_last_client_id AS varchar[]),
                CAST(:p_last_at AS timestamptz[]), CAST(:p_direction AS varchar[]),
                CAST(:p_point AS integer[]), CAST(:p_entered_at AS timestamptz[]),
                CAST(:p_max_stay AS integer[]))
         AS p (permit_id, agreement_id, last_id, last_client_id, last_at, last_direction, last_point,
               entered_at, max_stay_days)
    LEFT JOIN new ON new.client_id = p.last_client_id
    WHERE p.last_id IS NOT NULL OR new.id IS NOT NULL
    ORDER BY p.permit_id
    ON CONFLICT (permit_id) DO UPDATE SET
        agreement_id = EXCLUDED.agreement_id, last_crossing_id = EXCLUDED.last_crossing_id,
        last_at = EXCLUDED.last_at, last_direction = EXCLUDED.last_direction,
        last_crossing_point_id = EXCLUDED.last_crossing_point_id, entered_at = EXCLUDED.entered_at,
        max_stay_days = EXCLUDED.max_stay_days
)
SELECT id, client_id FROM new
""")


def store(session: Session, new: Sequence[NewCrossing], presence: Sequence[Presence]) -> dict[str, int]:
    """Insert the crossings and bring the summaries up to date: one statement on PostgreSQL, three on
    SQLite. Returns the id of each crossing inserted, by device id; an id missing was stored by
    another request meanwhile (nothing of it was counted here)."""
    if not new:
        return {}
    if _is_postgresql(session):
        counted = [c for c in new if c.day is not None]
        rows = session.execute(
            _STORE_POSTGRESQL,
            {
                "client_id": [c.client_id for c in new],
                "permit_id": [c.permit_id for c in new],
                "crossing_point_id": [c.crossing_point_id for c in new],
                "direction": [c.direction.value for c in new],
                "at": [c.at for c in new],
                "recorded_at": [c.recorded_at for c in new],
                "officer_id": [c.officer_id for c in new],
                "verdict": [c.verdict.value for c in new],
                "reason": [c.reason for c in new],
                "status": [c.status.value for c in new],
                "day_client_id": [c.client_id for c in counted],
                "day_point": [c.crossing_point_id for c in counted],
                "day": [c.day for c in counted],
                "day_direction": [c.direction.value for c in counted],
                "p_permit": [p.permit_id for p in presence],
                "p_agreement": [p.agreement_id for p in presence],
                "p_max_stay": [p.max_stay_days for p in presence],
                "p_last_id": [None if p.last.is_new else p.last.id for p in presence],
                "p_last_client_id": [p.last.client_id if p.last.is_new else None for p in presence],
                "p_last_at": [p.last.at for p in presence],
                "p_direction": [p.last.direction.value for p in presence],
                "p_point": [p.last.crossing_point_id for p in presence],
                "p_entered_at": [
                    p.last.at if p.last.direction is Direction.ENTRY else None for p in presence
                ],
            },
        ).all()
        return {client_id: id_ for id_, client_id in rows}
    table: Table = CrossingDayCount.metadata.tables["crossings"]
    inserted = session.execute(
        _insert(session, table)
        .values([c.row() for c in new])
        .on_conflict_do_nothing(index_elements=["client_id"])
        .returning(table.c.id, table.c.client_id)
    ).all()
    ids = {client_id: id_ for id_, client_id in inserted}
    add_day_counts(session, day_increments(c for c in new if c.client_id in ids))
    upsert_presence(
        session,
        [
            p.row(ids[p.last.client_id] if p.last.is_new else p.last.id)
            for p in presence
            if not p.last.is_new or p.last.client_id in ids
        ],
    )
    return ids


# --- recomputing them -------------------------------------------------------------------------------

COUNTED_SQL = "('counted', 'accepted')"


def _zone_sql() -> str:
    """The crossing point's zone in SQL: its own, else its state's (``CrossingPoint.zone_name``)."""
    return f"COALESCE(NULLIF(cp.time_zone, ''), {dates.state_time_zone_sql('s.code')})"


def local_day_sql(dialect: str, column: str) -> str:
    """The local day of ``column`` at the crossing point ``cp`` (PostgreSQL's zone database; on SQLite
    the Python function ``lbt_local_day``, see ``register_sqlite_functions``)."""
    if dialect == "postgresql":
        return f"CAST(timezone({_zone_sql()}, {column}) AS date)"
    return f"lbt_local_day({column}, {_zone_sql()})"


def _sqlite_local_day(at: str | None, zone_name: str | None) -> str | None:
    if at is None:
        return None
    moment = datetime.fromisoformat(at)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # stored in UTC
    return dates.local_day(moment, zone_name).isoformat()


def register_sqlite_functions(session: Session) -> None:
    """SQLite knows no time zones: give its connection the Python local day."""
    raw = session.connection().connection.driver_connection
    raw.create_function("lbt_local_day", 2, _sqlite_local_day, deterministic=True)  # type: ignore[union-attr]


def expected_day_counts_sql(dialect: str) -> str:
    """The day counts as the crossings give them, each on its crossing point's local day."""
    day = local_day_sql(dialect, "c.at")
    return (
        "SELECT c.crossing_point_id, "  # noqa: S608 - constants of this module only
        f"{day} AS day, c.direction, count(*) AS count FROM crossings AS c "
        "JOIN crossing_points AS cp ON cp.id = c.crossing_point_id JOIN states AS s ON s.id = cp.state_id "
        f"WHERE c.status IN {COUNTED_SQL} GROUP BY c.crossing_point_id, {day}, c.direction"
    )


# constants of this module only, nothing from outside (S608)
EXPECTED_PRESENCE_SQL = f"""
SELECT r.permit_id, p.agreement_id, r.id AS last_crossing_id, r.at AS last_at,
       r.direction AS last_direction, r.crossing_point_id AS last_crossing_point_id,
       CASE WHEN r.direction = 'entry' THEN r.at END AS entered_at, p.max_stay_days
FROM (SELECT id, permit_id, at, direction, crossing_point_id,
             row_number() OVER (PARTITION BY permit_id ORDER BY at DESC, id DESC) AS rank
      FROM crossings WHERE status IN {COUNTED_SQL}) AS r
JOIN permits AS p ON p.id = r.permit_id
WHERE r.rank = 1"""  # noqa: S608

PRESENCE_COLUMNS = (
    "permit_id, agreement_id, last_crossing_id, last_at, last_direction, last_crossing_point_id, entered_at, "
    "max_stay_days"
)
DAY_COLUMNS = "crossing_point_id, day, direction, count"


@dataclass(frozen=True)
class Differences:
    """Rows of each summary that the recount changed (missing, extra or different)."""

    presence: int
    day_counts: int


def _differing(session: Session, current: str, expected: str) -> int:
    # constants of this module only, nothing from outside
    def minus(left: str, right: str) -> str:  # what SQLite and PostgreSQL both read
        return f"SELECT count(*) FROM (SELECT * FROM ({left}) AS a EXCEPT SELECT * FROM ({right}) AS b) AS d"  # noqa: S608

    both_ways, extra = minus(expected, current), minus(current, expected)
    return int(session.scalar(text(both_ways)) or 0) + int(session.scalar(text(extra)) or 0)


def rebuild(session: Session) -> Differences:
    """Recompute both summaries from the crossings (set-based SQL) and say how many rows differed."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # crossings being recorded wait, and those committed are counted
        session.execute(text("LOCK TABLE permit_presence, crossing_day_counts IN EXCLUSIVE MODE"))
    else:
        register_sqlite_functions(session)
    expected_days = expected_day_counts_sql(dialect)
    differences = Differences(
        presence=_differing(
            session,
            f"SELECT {PRESENCE_COLUMNS} FROM permit_presence",  # noqa: S608
            EXPECTED_PRESENCE_SQL,
        ),
        day_counts=_differing(
            session,
            f"SELECT {DAY_COLUMNS} FROM crossing_day_counts",  # noqa: S608
            expected_days,
        ),
    )
    if differences.presence:
        session.execute(text("DELETE FROM permit_presence"))
        session.execute(text(f"INSERT INTO permit_presence ({PRESENCE_COLUMNS}) {EXPECTED_PRESENCE_SQL}"))
    if differences.day_counts:
        session.execute(text("DELETE FROM crossing_day_counts"))
        session.execute(text(f"INSERT INTO crossing_day_counts ({DAY_COLUMNS}) {expected_days}"))
    return differences
