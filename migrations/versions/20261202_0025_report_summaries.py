"""report indexes (issue 12, item 7): the reports' figures read a period's application events of some
kinds, an application's first decision and a period's alert-list hits from covering indexes instead of scanning the tables

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_application_events_kind_at', 'application_events', ['kind', 'at', 'application_id'], unique=False)
    op.create_index('ix_application_events_application_kind_at', 'application_events', ['application_id', 'kind', 'at'], unique=False)
    op.create_index('ix_alert_hits_found_at', 'alert_hits', ['found_at', 'application_id', 'cleared_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_alert_hits_found_at', table_name='alert_hits')
    op.drop_index('ix_application_events_application_kind_at', table_name='application_events')
    op.drop_index('ix_application_events_kind_at', table_name='application_events')
