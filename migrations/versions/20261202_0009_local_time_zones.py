"""local clocks: an IANA time zone on every crossing point and border section, and the start time
that a meeting's invitation and reminder mails announced (issue 10)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

import os

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# as lbt.core.dates.STATE_TIME_ZONES, copied: a revision must not change when the code does
STATE_TIME_ZONES = {'TJ': 'Asia/Dushanbe', 'KG': 'Asia/Bishkek', 'UZ': 'Asia/Tashkent'}


def upgrade() -> None:
    for table in ('crossing_points', 'border_sections'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('time_zone', sa.String(length=64), nullable=False, server_default=''))
    with op.batch_alter_table('meetings') as batch:
        batch.add_column(sa.Column('invitation_sent_for', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('reminder_sent_for', sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    states = dict(bind.execute(sa.text('SELECT id, code FROM states')).all())
    home = (os.environ.get('LBT_HOME_STATE') or 'TJ').strip().upper()
    for row in bind.execute(sa.text('SELECT id, state_id FROM crossing_points')).all():
        zone = STATE_TIME_ZONES.get(states.get(row.state_id, ''), 'UTC')
        bind.execute(sa.text('UPDATE crossing_points SET time_zone = :zone WHERE id = :id'), {'zone': zone, 'id': row.id})
    for row in bind.execute(sa.text('SELECT id, state_a_id, state_b_id FROM border_sections')).all():
        # a section is shared by two states: the home state's clock, when it is one of them
        codes = [states.get(row.state_a_id, ''), states.get(row.state_b_id, '')]
        zone = STATE_TIME_ZONES.get(home if home in codes else codes[0], 'UTC')
        bind.execute(sa.text('UPDATE border_sections SET time_zone = :zone WHERE id = :id'), {'zone': zone, 'id': row.id})


def downgrade() -> None:
    with op.batch_alter_table('meetings') as batch:
        batch.drop_column('reminder_sent_for')
        batch.drop_column('invitation_sent_for')
    for table in ('border_sections', 'crossing_points'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('time_zone')
