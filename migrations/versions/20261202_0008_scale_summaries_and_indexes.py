"""national scale: per-permit stay state, per-point per-day crossing counts, indexes the staff pages' plans ask for (issue 11)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DIRECTION = dict(name='direction', native_enum=False, create_constraint=True, length=13)
CROSSING_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
WITHDRAWN = sa.text("status IN ('revoked', 'annulled', 'replaced', 'suspended')")
OPEN = sa.text("status IN ('submitted', 'info_requested', 'reconsideration')")

# the backfill, set-based (written out here, as the code that keeps the tables may change later):
# each permit's last counted crossing, and the counted crossings per point, UTC day and direction
PRESENCE = """
INSERT INTO permit_presence (permit_id, agreement_id, last_crossing_id, last_at, last_direction,
                             last_crossing_point_id, entered_at)
SELECT r.permit_id, p.agreement_id, r.id, r.at, r.direction, r.crossing_point_id,
       CASE WHEN r.direction = 'entry' THEN r.at END
FROM (SELECT id, permit_id, at, direction, crossing_point_id,
             row_number() OVER (PARTITION BY permit_id ORDER BY at DESC, id DESC) AS rank
      FROM crossings WHERE status IN ('counted', 'accepted')) AS r
JOIN permits AS p ON p.id = r.permit_id
WHERE r.rank = 1
"""
DAY_COUNTS = """
INSERT INTO crossing_day_counts (crossing_point_id, day, direction, count)
SELECT crossing_point_id, {day}, direction, count(*) FROM crossings
WHERE status IN ('counted', 'accepted')
GROUP BY crossing_point_id, {day}, direction
"""


def upgrade() -> None:
    op.create_table('crossing_day_counts',
    sa.Column('crossing_point_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('direction', sa.Enum('entry', 'exit', **DIRECTION), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_crossing_day_counts_count_not_negative')),
    sa.ForeignKeyConstraint(['crossing_point_id'], ['crossing_points.id'], name=op.f('fk_crossing_day_counts_crossing_point_id_crossing_points')),
    sa.PrimaryKeyConstraint('crossing_point_id', 'day', 'direction', name=op.f('pk_crossing_day_counts'))
    )
    op.create_table('permit_presence',
    sa.Column('permit_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('last_crossing_id', CROSSING_ID, nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_direction', sa.Enum('entry', 'exit', **DIRECTION), nullable=False),
    sa.Column('last_crossing_point_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_permit_presence_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['last_crossing_id'], ['crossings.id'], name=op.f('fk_permit_presence_last_crossing_id_crossings')),
    sa.ForeignKeyConstraint(['last_crossing_point_id'], ['crossing_points.id'], name=op.f('fk_permit_presence_last_crossing_point_id_crossing_points')),
    sa.ForeignKeyConstraint(['permit_id'], ['permits.id'], name=op.f('fk_permit_presence_permit_id_permits')),
    sa.PrimaryKeyConstraint('permit_id', name=op.f('pk_permit_presence'))
    )
    bind = op.get_bind()
    utc_day = "CAST(timezone('UTC', at) AS date)" if bind.dialect.name == 'postgresql' else 'date(at)'
    op.execute(PRESENCE)
    op.execute(DAY_COUNTS.format(day=utc_day))
    with op.batch_alter_table('permit_presence', schema=None) as batch_op:
        batch_op.create_index('ix_permit_presence_inside', ['agreement_id', 'entered_at', 'permit_id'], unique=False, postgresql_where=sa.text('entered_at IS NOT NULL'), sqlite_where=sa.text('entered_at IS NOT NULL'))
    with op.batch_alter_table('permits', schema=None) as batch_op:
        batch_op.create_index('ix_permits_agreement_issued', ['agreement_id', 'issued_at', 'id'], unique=False)
        batch_op.create_index('ix_permits_replaces_id', ['replaces_id'], unique=False)
        batch_op.create_index('ix_permits_withdrawn_valid_until', ['valid_until'], unique=False, postgresql_where=WITHDRAWN, sqlite_where=WITHDRAWN)
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_open_by_deadline', ['agreement_id', 'decision_due', 'submitted_at', 'id'], unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
    if bind.dialect.name == 'postgresql':
        op.execute('ANALYZE permit_presence')
        op.execute('ANALYZE crossing_day_counts')


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_open_by_deadline')
    with op.batch_alter_table('permits', schema=None) as batch_op:
        batch_op.drop_index('ix_permits_withdrawn_valid_until')
        batch_op.drop_index('ix_permits_replaces_id')
        batch_op.drop_index('ix_permits_agreement_issued')
    with op.batch_alter_table('permit_presence', schema=None) as batch_op:
        batch_op.drop_index('ix_permit_presence_inside')
    op.drop_table('permit_presence')
    op.drop_table('crossing_day_counts')
