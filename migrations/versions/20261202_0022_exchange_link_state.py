"""exchange link state (issue 13): an administrator may deactivate a partner link (its traffic stops,
its queue is kept and still grows in order) and reactivate it; ``deactivated_at`` says since when

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('exchange_links', sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('exchange_links') as batch:
        batch.drop_column('deactivated_at')
