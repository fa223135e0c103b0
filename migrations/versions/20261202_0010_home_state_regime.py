"""the regime as the law draws it: home-state border area of an agreement, nationality rules (issue 10)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
