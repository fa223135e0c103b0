"""stay pattern flags (issue 12, risk indicators): permits whose stays suggest misuse (many short stays in
a month, stays ending near the limit again and again), kept at each counted crossing

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stay_pattern_flags',
        sa.Column('permit_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('short_stays', 'near_limit', name='pattern_kind', native_enum=False, create_constraint=True, length=19), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('window_days', sa.Integer(), nullable=False),
        sa.Column('last_exit_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_stay_pattern_flags_agreement_id_agreements')),
        sa.ForeignKeyConstraint(['permit_id'], ['permits.id'], name=op.f('fk_stay_pattern_flags_permit_id_permits')),
        sa.PrimaryKeyConstraint('permit_id', 'kind', name=op.f('pk_stay_pattern_flags')),
    )
    op.create_index('ix_stay_pattern_flags_agreement_last_exit', 'stay_pattern_flags', ['agreement_id', 'last_exit_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_stay_pattern_flags_agreement_last_exit', table_name='stay_pattern_flags')
    op.drop_table('stay_pattern_flags')
