"""crossing day counts on the crossing point's local day: ``crossing_day_counts`` was counted on the
UTC day, so a crossing after 19:00 UTC at a Tajik post (00:00 in Dushanbe) fell on the day before;
recounted here on each point's own zone (else its state's), as the crossings now add to it

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# the zones of this revision's time: a point's own zone, else its state's (lbt.core.dates)
STATE_ZONES = "CASE s.code WHEN 'TJ' THEN 'Asia/Dushanbe' WHEN 'KG' THEN 'Asia/Bishkek' WHEN 'UZ' THEN 'Asia/Tashkent' ELSE 'UTC' END"
ZONE = f"COALESCE(NULLIF(cp.time_zone, ''), {STATE_ZONES})"
FROM = (
    "FROM crossings AS c JOIN crossing_points AS cp ON cp.id = c.crossing_point_id "
    "JOIN states AS s ON s.id = cp.state_id WHERE c.status IN ('counted', 'accepted')"
)


def _local_day(at: str | None, zone_name: str | None) -> str | None:
    if at is None:
        return None
    moment = datetime.fromisoformat(at)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    try:
        zone = ZoneInfo(zone_name or 'UTC')
    except (ValueError, KeyError):
        zone = UTC
    return moment.astimezone(zone).date().isoformat()


def _recount(day_of: str) -> None:
    op.execute("DELETE FROM crossing_day_counts")
    op.execute(
        f"INSERT INTO crossing_day_counts (crossing_point_id, day, direction, count) "
        f"SELECT c.crossing_point_id, {day_of}, c.direction, count(*) {FROM} "
        f"GROUP BY c.crossing_point_id, {day_of}, c.direction"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _recount(f"CAST(timezone({ZONE}, c.at) AS date)")
    else:
        op.get_bind().connection.driver_connection.create_function('lbt_local_day', 2, _local_day, deterministic=True)
        _recount(f"lbt_local_day(c.at, {ZONE})")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _recount("CAST(timezone('UTC', c.at) AS date)")
    else:
        _recount("date(c.at)")
