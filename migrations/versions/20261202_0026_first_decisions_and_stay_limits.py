"""report summaries kept at write time (issue 12, item 7): each application's first decision
(``applications.first_decided_at`` and its local day on the application's clock, ``first_decided_on``)
and each holder's longest stay beside where they stand (``permit_presence.max_stay_days``), filled here
by set-based SQL, so the decision times and the people inside are read from one index range each; and
an index carrying what the figures read of an application (scope, kind, refusal reasons)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

# the zones of this revision's time: the application's issuing (home) state, the agreement's party
# other than the state of the applicant's locality (lbt.core.dates, lbt.applications.services)
HOME_ZONE = "CASE h.code WHEN 'TJ' THEN 'Asia/Dushanbe' WHEN 'KG' THEN 'Asia/Bishkek' WHEN 'UZ' THEN 'Asia/Tashkent' ELSE 'UTC' END"
FIRST_DECISIONS = (
    "(SELECT application_id, min(at) AS at FROM application_events "
    "WHERE kind IN ('approved', 'refused') GROUP BY application_id) AS f"
)
HOME = (
    "f.application_id = applications.id AND g.id = applications.agreement_id "
    "AND l.id = applications.locality_id "
    "AND h.id = CASE WHEN l.state_id = g.state_a_id THEN g.state_b_id ELSE g.state_a_id END"
)
INSIDE_INDEX = 'ix_permit_presence_inside'
DECIDED_INDEX = 'ix_applications_first_decided_at'
SCOPE_INDEX = 'ix_applications_report_scope'


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


def _inside_index(include: list[str] | None) -> None:
    op.create_index(
        INSIDE_INDEX,
        'permit_presence',
        ['agreement_id', 'entered_at', 'permit_id'],
        unique=False,
        postgresql_include=include or [],
        postgresql_where=sa.text('entered_at IS NOT NULL'),
        sqlite_where=sa.text('entered_at IS NOT NULL'),
    )


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.add_column('applications', sa.Column('first_decided_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('applications', sa.Column('first_decided_on', sa.Date(), nullable=True))
    if postgresql:
        day = f"CAST(timezone({HOME_ZONE}, f.at) AS date)"
    else:
        op.get_bind().connection.driver_connection.create_function('lbt_local_day', 2, _local_day, deterministic=True)
        day = f"lbt_local_day(f.at, {HOME_ZONE})"
    op.execute(
        f"UPDATE applications SET first_decided_at = f.at, first_decided_on = {day} "  # noqa: S608 - constants
        f"FROM {FIRST_DECISIONS}, agreements AS g, localities AS l, states AS h WHERE {HOME}"
    )
    op.create_index(
        DECIDED_INDEX,
        'applications',
        ['first_decided_at'],
        unique=False,
        postgresql_include=['agreement_id', 'locality_id', 'submitted_at', 'decision_due', 'first_decided_on'],
        postgresql_where=sa.text('first_decided_at IS NOT NULL'),
        sqlite_where=sa.text('first_decided_at IS NOT NULL'),
    )
    op.create_index(
        SCOPE_INDEX,
        'applications',
        ['id'],
        unique=False,
        postgresql_include=['agreement_id', 'locality_id', 'kind', 'refusal_reasons'],
    )

    op.drop_index(INSIDE_INDEX, table_name='permit_presence')
    op.add_column('permit_presence', sa.Column('max_stay_days', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE permit_presence SET max_stay_days = p.max_stay_days FROM permits AS p "
        "WHERE p.id = permit_presence.permit_id"
    )
    with op.batch_alter_table('permit_presence') as batch:
        batch.alter_column('max_stay_days', existing_type=sa.Integer(), nullable=False)
    _inside_index(['last_crossing_point_id', 'max_stay_days'])


def downgrade() -> None:
    op.drop_index(INSIDE_INDEX, table_name='permit_presence')
    with op.batch_alter_table('permit_presence') as batch:
        batch.drop_column('max_stay_days')
    _inside_index(None)
    op.drop_index(SCOPE_INDEX, table_name='applications')
    op.drop_index(DECIDED_INDEX, table_name='applications')
    with op.batch_alter_table('applications') as batch:
        batch.drop_column('first_decided_on')
        batch.drop_column('first_decided_at')
