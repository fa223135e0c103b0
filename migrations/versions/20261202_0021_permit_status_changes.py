"""permit status changes (issue 12): each suspension, reinstatement, revocation, annulment and
replacement kept as it happened, so the reports count those of a period even when the permit's status
changed again since; filled from the permits' present status (the history before this revision is not
known)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

STATUSES = ('active', 'suspended', 'revoked', 'annulled', 'replaced', 'expired')


def upgrade() -> None:
    op.create_table(
        'permit_status_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('permit_id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='status', native_enum=False, create_constraint=True, length=17), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_permit_status_changes_agreement_id_agreements')),
        sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_permit_status_changes_changed_by_id_users')),
        sa.ForeignKeyConstraint(['permit_id'], ['permits.id'], name=op.f('fk_permit_status_changes_permit_id_permits')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_permit_status_changes')),
    )
    op.create_index(op.f('ix_permit_status_changes_permit_id'), 'permit_status_changes', ['permit_id'], unique=False)
    op.create_index('ix_permit_status_changes_agreement_changed_at', 'permit_status_changes', ['agreement_id', 'changed_at'], unique=False)
    op.execute(
        "INSERT INTO permit_status_changes (permit_id, agreement_id, status, reason, changed_at) "
        "SELECT id, agreement_id, status, status_reason, status_changed_at FROM permits "
        "WHERE status_changed_at IS NOT NULL AND status IN ('suspended', 'revoked', 'annulled', 'replaced') "
        "ORDER BY status_changed_at, id"
    )


def downgrade() -> None:
    op.drop_index('ix_permit_status_changes_agreement_changed_at', table_name='permit_status_changes')
    op.drop_index(op.f('ix_permit_status_changes_permit_id'), table_name='permit_status_changes')
    op.drop_table('permit_status_changes')
