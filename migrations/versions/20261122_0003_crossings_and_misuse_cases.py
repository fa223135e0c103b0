"""crossings and misuse cases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:37:03.584373
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crossings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('permit_id', sa.Integer(), nullable=False),
    sa.Column('crossing_point_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('entry', 'exit', name='direction', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('verdict', sa.Enum('pass', 'refuse', 'check', name='verdict', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['crossing_point_id'], ['crossing_points.id'], name=op.f('fk_crossings_crossing_point_id_crossing_points')),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_crossings_officer_id_users')),
    sa.ForeignKeyConstraint(['permit_id'], ['permits.id'], name=op.f('fk_crossings_permit_id_permits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crossings')),
    sa.UniqueConstraint('client_id', name=op.f('uq_crossings_client_id'))
    )
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.create_index('ix_crossings_crossing_point_id_at', ['crossing_point_id', 'at'], unique=False)
        batch_op.create_index('ix_crossings_permit_id_at', ['permit_id', 'at'], unique=False)

    op.create_table('misuse_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('permit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('overstay', 'left_border_area', 'resale_trade', 'other', name='kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('crossing_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('days_over', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('penalty', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_misuse_cases_crossing_id_crossings')),
    sa.ForeignKeyConstraint(['permit_id'], ['permits.id'], name=op.f('fk_misuse_cases_permit_id_permits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_misuse_cases'))
    )
    with op.batch_alter_table('misuse_cases', schema=None) as batch_op:
        batch_op.create_index('ix_misuse_cases_detected_at', ['detected_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_misuse_cases_permit_id'), ['permit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('misuse_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_misuse_cases_permit_id'))
        batch_op.drop_index('ix_misuse_cases_detected_at')

    op.drop_table('misuse_cases')
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.drop_index('ix_crossings_permit_id_at')
        batch_op.drop_index('ix_crossings_crossing_point_id_at')

    op.drop_table('crossings')
