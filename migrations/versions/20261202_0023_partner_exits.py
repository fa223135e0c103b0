"""partner exits (issue 13): the crossings of our permits' holders that the partner's guards
recorded on their side, as the exchange carried them (``crossings.recorded``)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'partner_recorded_crossings',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('permit_id', sa.Integer(), nullable=True),
        sa.Column('permit_number', sa.String(length=20), nullable=False),
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('message_id', sa.String(length=36), nullable=False),
        sa.Column('direction', sa.String(length=10), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('crossing_point', sa.String(length=20), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("direction IN ('entry', 'exit')", name=op.f('ck_partner_recorded_crossings_direction')),
        sa.ForeignKeyConstraint(['link_id'], ['exchange_links.id'], name=op.f('fk_partner_recorded_crossings_link_id_exchange_links')),
        sa.ForeignKeyConstraint(['permit_id'], ['permits.id'], name=op.f('fk_partner_recorded_crossings_permit_id_permits')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_recorded_crossings')),
        sa.UniqueConstraint('link_id', 'client_id', name=op.f('uq_partner_recorded_crossings_link_id_client_id')),
    )
    op.create_index(op.f('ix_partner_recorded_crossings_permit_id'), 'partner_recorded_crossings', ['permit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_partner_recorded_crossings_permit_id'), table_name='partner_recorded_crossings')
    op.drop_table('partner_recorded_crossings')
