"""Permits issued per local day, agreement, locality, issue kind, sex and age band
(``permit_issue_counts``), added to in the same transaction as every permit issued (an approval, a
renewal's approval, a replacement, the demo), so the permits issued of a period are a sum over its
days instead of a read of every permit it issued (issue 12 item 7).

The day is the day of issue on the instance's report clock (``report_zone``: LBT_TIME_ZONE, else the
home state's), which ``Database`` puts in every session as ``session.info["report_zone"]``; the age
is the holder's on that day, kept as its band (the figures show bands only, so they stay exact). The
figures read the table only for a period in that same zone. When the instance's zone changes, the rows
written before stay on the old clock until ``lbt reports rebuild-summaries`` recounts them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lbt.applications.models import ApplicationKind
from lbt.core import dates
from lbt.permits.models import Permit
from lbt.reference.models import Locality
from lbt.reports.models import PermitIssueCount

AGE_BANDS = ((0, 17), (18, 29), (30, 44), (45, 59), (60, None))
COUNTS: Table = PermitIssueCount.__table__  # type: ignore[assignment]
ZONE_KEY = "report_zone"
COLUMNS = "day, agreement_id, locality_id, kind, sex, age_band, count"


def age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_band(years: int) -> str:
    for low, high in AGE_BANDS:
        if high is None or years <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    raise AssertionError("unreachable")


def issue_kind(replaces_id: int | None, kind: ApplicationKind) -> str:
    """A replacement (lost or damaged card) is neither a first permit nor a renewal."""
    return "replacement" if replaces_id is not None else kind.value


def summary_zone(session: Session) -> str | None:
    """The zone the counts are kept in by this session's writes (the instance's report zone)."""
    zone = session.info.get(ZONE_KEY)
    return zone if isinstance(zone, str) and zone else None


def record(session: Session, permit: Permit, kind: ApplicationKind) -> None:
    """Count a permit just issued (flushed: its agreement and locality set) on its local day of issue."""
    zone = summary_zone(session) or dates.state_time_zone(permit.issuing_state)
    day = dates.local_day(permit.issued_at, zone)
    row = {
        "day": day,
        "agreement_id": permit.agreement_id,
        "locality_id": permit.locality_id,
        "kind": issue_kind(permit.replaces_id, kind),
        "sex": permit.sex.value,
        "age_band": age_band(age(permit.birth_date, day)),
        "count": 1,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(COUNTS).values(row)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[name for name in row if name != "count"],
            set_={"count": COUNTS.c.count + statement.excluded["count"]},
        )
    )


def read(session: Session, since: date, until: date, scope: Any) -> list[tuple[int, str, str, str, int]]:
    """The counts of the days ``since`` to ``until`` (both included) in the scope's agreements,
    locality or district, as (locality, issue kind, sex, age band, permits)."""
    c = PermitIssueCount
    query = (
        select(c.locality_id, c.kind, c.sex, c.age_band, func.sum(c.count))
        .where(c.day >= since, c.day <= until, c.agreement_id.in_(scope.agreement_ids))
        .group_by(c.locality_id, c.kind, c.sex, c.age_band)
    )
    if scope.locality_id is not None:
        query = query.where(c.locality_id == scope.locality_id)
    if scope.district:
        query = query.join(Locality, Locality.id == c.locality_id).where(Locality.district == scope.district)
    return [
        (locality, kind, sex, band, int(count)) for locality, kind, sex, band, count in session.execute(query)
    ]


# --- the recount (lbt reports rebuild-summaries, bench/datagen.py) ---------------------------------


def _zone_sql(zone: str | None) -> str:
    """The zone as SQL: the one given (a bound parameter), else each permit's issuing state's."""
    if zone is not None:
        return ":zone"
    return dates.state_time_zone_sql("p.issuing_state")


def _band_sql(years: str) -> str:
    cases = " ".join(f"WHEN {years} <= {high} THEN '{low}-{high}'" for low, high in AGE_BANDS if high)
    return f"CASE {cases} ELSE '{AGE_BANDS[-1][0]}+' END"


def expected_sql(dialect: str, zone: str | None) -> str:
    """The counts as the permits give them, each on its local day of issue in ``zone`` (bound as
    ``:zone``; None: the issuing state's zone, as the migration fills them)."""
    zone_sql = _zone_sql(zone)
    if dialect == "postgresql":
        day = f"CAST(timezone({zone_sql}, p.issued_at) AS date)"

        def part(field: str, value: str) -> str:
            return f"CAST(extract({field} FROM {value}) AS integer)"

        years = (
            f"({part('year', day)} - {part('year', 'p.birth_date')} - CASE WHEN "
            f"{part('month', day)} * 100 + {part('day', day)} < "
            f"{part('month', 'p.birth_date')} * 100 + {part('day', 'p.birth_date')} THEN 1 ELSE 0 END)"
        )
        band = _band_sql(years)
    else:
        day = f"lbt_local_day(p.issued_at, {zone_sql})"
        band = f"lbt_age_band(p.birth_date, {day})"
    return (
        f"SELECT {day} AS day, p.agreement_id, p.locality_id, "  # noqa: S608 - constants of this module
        "CASE WHEN p.replaces_id IS NOT NULL THEN 'replacement' ELSE a.kind END AS kind, "
        f"p.sex, {band} AS age_band, count(*) AS count "
        "FROM permits AS p JOIN applications AS a ON a.id = p.application_id "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )


def _sqlite_local_day(at: str | None, zone_name: str | None) -> str | None:
    if at is None:
        return None
    moment = datetime.fromisoformat(at)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # stored in UTC
    return dates.local_day(moment, zone_name).isoformat()


def _sqlite_age_band(birth: str | None, on: str | None) -> str | None:
    if birth is None or on is None:
        return None
    return age_band(age(date.fromisoformat(birth[:10]), date.fromisoformat(on[:10])))


def register_functions(session: Session) -> None:
    """SQLite knows no time zones: the local day and the age band in Python."""
    raw = session.connection().connection.driver_connection
    raw.create_function("lbt_local_day", 2, _sqlite_local_day, deterministic=True)  # type: ignore[union-attr]
    raw.create_function("lbt_age_band", 2, _sqlite_age_band, deterministic=True)  # type: ignore[union-attr]


@dataclass(frozen=True)
class Differences:
    issue_counts: int  # rows missing, extra or different


def rebuild(session: Session) -> Differences:
    """Recount the permits issued per day from the permits in the session's report zone (set-based
    SQL), rewrite the table when it differs, and say how many rows differed."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # a permit being issued waits, one committed is counted
        session.execute(text("LOCK TABLE permit_issue_counts IN EXCLUSIVE MODE"))
    else:
        register_functions(session)
    zone = summary_zone(session)
    params = {"zone": zone} if zone is not None else {}
    expected = expected_sql(dialect, zone)
    current = f"SELECT {COLUMNS} FROM permit_issue_counts"  # noqa: S608

    def minus(left: str, right: str) -> int:
        query = f"SELECT count(*) FROM (SELECT * FROM ({left}) AS a EXCEPT SELECT * FROM ({right}) AS b) AS d"  # noqa: S608
        return int(session.scalar(text(query), params) or 0)

    differing = minus(expected, current) + minus(current, expected)
    if differing:
        session.execute(text("DELETE FROM permit_issue_counts"))
        session.execute(text(f"INSERT INTO permit_issue_counts ({COLUMNS}) {expected}"), params)
    return Differences(issue_counts=differing)
