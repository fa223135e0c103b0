"""Each application's first decision, kept on the application where the decision is written (an
approval or a refusal: the earliest, the lower event id first at the same moment; a reconsideration's
outcome, or an approval after a refusal was overturned, is not the first), so the reports read a
period's first decisions from one index range instead of looking up each decision's history.
``rebuild`` recounts them from the application's events (``lbt reports rebuild-summaries``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from lbt.applications.models import Application
from lbt.core import dates
from lbt.crossings.summaries import register_sqlite_functions


def record(application: Application, now: datetime, local_day: date) -> None:
    """A decision (approval or refusal) at ``now``, on the application's local day: its first unless
    one came before (a decision at the same moment as the first is a later event: not the first)."""
    if application.first_decided_at is None or now < application.first_decided_at:
        application.first_decided_at = now
        application.first_decided_on = local_day


def _home_zone_sql() -> str:
    """The zone of the application's issuing (home) state, the agreement's party other than the state
    of the applicant's locality (``services.local_today``), as ``h`` in ``EXPECTED_SQL``."""
    return dates.state_time_zone_sql("h.code")


def _local_day_sql(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"CAST(timezone({_home_zone_sql()}, {column}) AS date)"
    return f"lbt_local_day({column}, {_home_zone_sql()})"


def expected_sql(dialect: str) -> str:
    """The first decisions as the events give them: (application, first_decided_at, first_decided_on)."""
    # constants of this module only, nothing from outside (S608)
    return f"""
SELECT a.id, f.at AS first_decided_at, {_local_day_sql(dialect, "f.at")} AS first_decided_on
FROM (SELECT application_id, min(at) AS at FROM application_events
      WHERE kind IN ('approved', 'refused') GROUP BY application_id) AS f
JOIN applications AS a ON a.id = f.application_id
JOIN agreements AS g ON g.id = a.agreement_id
JOIN localities AS l ON l.id = a.locality_id
JOIN states AS h ON h.id = CASE WHEN l.state_id = g.state_a_id THEN g.state_b_id ELSE g.state_a_id END"""  # noqa: S608


CURRENT_SQL = (
    "SELECT id, first_decided_at, first_decided_on FROM applications WHERE first_decided_at IS NOT NULL"
)


@dataclass(frozen=True)
class Differences:
    """Applications whose first decision the recount changed (missing, extra or different)."""

    first_decisions: int


def rebuild(session: Session) -> Differences:
    """Recompute every application's first decision from its events (set-based SQL), set only the rows
    that differ, and say how many they were."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # a decision being written waits, one committed is counted
        session.execute(text("LOCK TABLE applications IN SHARE ROW EXCLUSIVE MODE"))
    else:
        register_sqlite_functions(session)
    expected = expected_sql(dialect)
    # constants of this module only, nothing from outside (S608)
    wrong = f"SELECT * FROM ({CURRENT_SQL}) AS c EXCEPT SELECT * FROM ({expected}) AS e"  # noqa: S608
    missing = f"SELECT * FROM ({expected}) AS e EXCEPT SELECT * FROM ({CURRENT_SQL}) AS c"  # noqa: S608
    differing = {row[0] for row in session.execute(text(wrong))}
    differing |= {row[0] for row in session.execute(text(missing))}
    if differing:  # set only the rows that differ (both databases read UPDATE ... FROM)
        clear = (
            "UPDATE applications SET first_decided_at = NULL, first_decided_on = NULL "  # noqa: S608
            f"WHERE first_decided_at IS NOT NULL AND id NOT IN (SELECT id FROM ({expected}) AS e)"
        )
        set_ = (
            "UPDATE applications SET first_decided_at = e.first_decided_at, "  # noqa: S608
            f"first_decided_on = e.first_decided_on FROM ({expected}) AS e WHERE e.id = applications.id "
            "AND (applications.first_decided_at IS NULL OR applications.first_decided_at <> e.first_decided_at "
            "OR applications.first_decided_on IS NULL OR applications.first_decided_on <> e.first_decided_on)"
        )
        session.execute(text(clear))
        session.execute(text(set_))
        session.expire_all()
    return Differences(first_decisions=len(differing))
