"""meeting participants from the register: each typed participant linked to the appointment of the
same name on its side of the meeting's section (else kept as a guest), one row per appointment; an
approval voided by an explicit reopening says by whom and why (issue 14, item 2)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# the register entry of a participant typed as text: same section, same side, same name (case and
# surrounding spaces aside), the latest appointment when the name was appointed more than once
MATCH = (
    'SELECT r.id FROM representatives r JOIN meetings m ON m.id = meeting_participants.meeting_id'
    ' WHERE r.section_id = m.section_id AND r.state_id = meeting_participants.state_id'
    ' AND lower(trim(r.full_name)) = lower(trim(meeting_participants.full_name))'
    ' ORDER BY r.appointed_from DESC, r.id DESC LIMIT 1'
)


def upgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text(f'UPDATE meeting_participants SET representative_id = ({MATCH}) WHERE representative_id IS NULL'))
    # the same appointment typed twice in one meeting: the later rows stay guests
    bind.execute(sa.text(
        'UPDATE meeting_participants SET representative_id = NULL WHERE representative_id IS NOT NULL'
        ' AND EXISTS (SELECT 1 FROM meeting_participants earlier WHERE earlier.meeting_id = meeting_participants.meeting_id'
        ' AND earlier.representative_id = meeting_participants.representative_id AND earlier.id < meeting_participants.id)'
    ))
    bind.execute(sa.text(
        'UPDATE meeting_participants SET user_id = (SELECT r.user_id FROM representatives r'
        ' WHERE r.id = meeting_participants.representative_id)'
        ' WHERE user_id IS NULL AND representative_id IS NOT NULL'
    ))
    with op.batch_alter_table('meeting_participants') as batch:
        batch.create_unique_constraint(
            batch.f('uq_meeting_participants_meeting_id_representative_id'), ['meeting_id', 'representative_id']
        )
    with op.batch_alter_table('protocol_approvals') as batch:
        batch.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('void_reason', sa.Text(), nullable=False, server_default=''))
        batch.create_foreign_key(batch.f('fk_protocol_approvals_voided_by_id_users'), 'users', ['voided_by_id'], ['id'])
    with op.batch_alter_table('protocol_approvals') as batch:
        batch.alter_column('void_reason', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('protocol_approvals') as batch:
        batch.drop_constraint(batch.f('fk_protocol_approvals_voided_by_id_users'), type_='foreignkey')
        batch.drop_column('void_reason')
        batch.drop_column('voided_by_id')
    with op.batch_alter_table('meeting_participants') as batch:
        batch.drop_constraint(batch.f('uq_meeting_participants_meeting_id_representative_id'), type_='unique')
