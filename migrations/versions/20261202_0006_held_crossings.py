"""held crossings: a crossing's status (counted, held, accepted, rejected) and the officers' reviews

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

STATUS = sa.Enum(
    'counted', 'held', 'accepted', 'rejected',
    name='crossing_status', native_enum=False, create_constraint=True, length=16,
)


def upgrade() -> None:
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        # every crossing stored so far counts, as it did
        batch_op.add_column(sa.Column('status', STATUS, nullable=False, server_default='counted'))
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)
        batch_op.create_index(
            'ix_crossings_held', ['recorded_at'], unique=False,
            postgresql_where=sa.text("status = 'held'"), sqlite_where=sa.text("status = 'held'"),
        )
    op.create_table('crossing_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crossing_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('decision', sa.Enum('accepted', 'rejected', name='decision', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_crossing_reviews_crossing_id_crossings')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_crossing_reviews_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crossing_reviews')),
    sa.UniqueConstraint('crossing_id', name=op.f('uq_crossing_reviews_crossing_id'))
    )


def downgrade() -> None:
    op.drop_table('crossing_reviews')
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.drop_index('ix_crossings_held')
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_crossings_crossing_status'), type_='check')
        batch_op.drop_column('status')
