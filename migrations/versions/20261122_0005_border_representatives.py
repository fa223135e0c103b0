"""border representatives

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 11:27:32.480991
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('reported_by_state_id', sa.Integer(), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.Enum('illegal_crossing', 'accidental_crossing', 'stray_livestock', 'property', 'border_sign', 'shooting_or_injury', 'fire_or_flood', 'smuggling', 'lbt_misuse', 'other', name='type', native_enum=False, create_constraint=True, length=27), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('landmark', sa.String(length=200), nullable=False),
    sa.Column('border_sign', sa.String(length=30), nullable=False),
    sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('persons_involved', sa.Integer(), nullable=False),
    sa.Column('animals_involved', sa.Integer(), nullable=False),
    sa.Column('property_involved', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('reported', 'joint_investigation', 'resolved', 'escalated', name='status', native_enum=False, create_constraint=True, length=27), nullable=False),
    sa.Column('is_shared', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("description <> ''", name=op.f('ck_incidents_description')),
    sa.CheckConstraint("landmark <> '' OR border_sign <> ''", name=op.f('ck_incidents_place')),
    sa.CheckConstraint('(latitude IS NULL) = (longitude IS NULL)', name=op.f('ck_incidents_coordinates_pair')),
    sa.CheckConstraint('latitude IS NULL OR latitude BETWEEN -90 AND 90', name=op.f('ck_incidents_latitude')),
    sa.CheckConstraint('longitude IS NULL OR longitude BETWEEN -180 AND 180', name=op.f('ck_incidents_longitude')),
    sa.CheckConstraint('persons_involved >= 0 AND animals_involved >= 0', name=op.f('ck_incidents_counts')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_incidents_reported_by_id_users')),
    sa.ForeignKeyConstraint(['reported_by_state_id'], ['states.id'], name=op.f('fk_incidents_reported_by_state_id_states')),
    sa.ForeignKeyConstraint(['section_id'], ['border_sections.id'], name=op.f('fk_incidents_section_id_border_sections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_section_occurred_at', ['section_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_incidents_status', ['status'], unique=False)

    op.create_table('meeting_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('min_notice_days', sa.Integer(), nullable=False),
    sa.Column('reply_hours', sa.Integer(), nullable=False),
    sa.CheckConstraint('min_notice_days BETWEEN 0 AND 60', name=op.f('ck_meeting_rules_min_notice_days')),
    sa.CheckConstraint('reply_hours BETWEEN 1 AND 168', name=op.f('ck_meeting_rules_reply_hours')),
    sa.ForeignKeyConstraint(['section_id'], ['border_sections.id'], name=op.f('fk_meeting_rules_section_id_border_sections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_rules')),
    sa.UniqueConstraint('section_id', name=op.f('uq_meeting_rules_section_id'))
    )
    op.create_table('representatives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('post', sa.Enum('border_representative', 'deputy', 'assistant', 'secretary', 'interpreter', 'expert', name='post', native_enum=False, create_constraint=True, length=29), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('credentials_number', sa.String(length=60), nullable=False),
    sa.Column('contact', sa.String(length=300), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('appointed_from', sa.Date(), nullable=False),
    sa.Column('appointed_until', sa.Date(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("credentials_number <> ''", name=op.f('ck_representatives_credentials')),
    sa.CheckConstraint('appointed_until IS NULL OR appointed_until >= appointed_from', name=op.f('ck_representatives_appointment_order')),
    sa.ForeignKeyConstraint(['replaces_id'], ['representatives.id'], name=op.f('fk_representatives_replaces_id_representatives')),
    sa.ForeignKeyConstraint(['section_id'], ['border_sections.id'], name=op.f('fk_representatives_section_id_border_sections')),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_representatives_state_id_states')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_representatives_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_representatives'))
    )
    with op.batch_alter_table('representatives', schema=None) as batch_op:
        batch_op.create_index('ix_representatives_post', ['section_id', 'state_id', 'post', 'appointed_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_representatives_state_id'), ['state_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_representatives_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_representatives_one_chief', ['section_id', 'state_id'], unique=True, postgresql_where=sa.text("post = 'border_representative' AND appointed_until IS NULL"), sqlite_where=sa.text("post = 'border_representative' AND appointed_until IS NULL"))

    op.create_table('hand_over_acts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('persons', 'livestock', 'property', name='kind', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('handing_state_id', sa.Integer(), nullable=False),
    sa.Column('receiving_state_id', sa.Integer(), nullable=False),
    sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handing_confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('handing_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('receiving_confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('receiving_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(handing_confirmed_at IS NULL) = (handing_confirmed_by_id IS NULL)', name=op.f('ck_hand_over_acts_handing')),
    sa.CheckConstraint('(receiving_confirmed_at IS NULL) = (receiving_confirmed_by_id IS NULL)', name=op.f('ck_hand_over_acts_receiving')),
    sa.CheckConstraint('count > 0', name=op.f('ck_hand_over_acts_count')),
    sa.CheckConstraint('handing_state_id <> receiving_state_id', name=op.f('ck_hand_over_acts_two_sides')),
    sa.ForeignKeyConstraint(['handing_confirmed_by_id'], ['users.id'], name=op.f('fk_hand_over_acts_handing_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['handing_state_id'], ['states.id'], name=op.f('fk_hand_over_acts_handing_state_id_states')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_hand_over_acts_incident_id_incidents')),
    sa.ForeignKeyConstraint(['receiving_confirmed_by_id'], ['users.id'], name=op.f('fk_hand_over_acts_receiving_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['receiving_state_id'], ['states.id'], name=op.f('fk_hand_over_acts_receiving_state_id_states')),
    sa.ForeignKeyConstraint(['section_id'], ['border_sections.id'], name=op.f('fk_hand_over_acts_section_id_border_sections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hand_over_acts'))
    )
    with op.batch_alter_table('hand_over_acts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hand_over_acts_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_hand_over_acts_section_id', ['section_id'], unique=False)

    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('regular', 'urgent', name='kind', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('status', sa.Enum('requested', 'scheduled', 'declined', 'held', 'cancelled', name='status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposer_state_id', sa.Integer(), nullable=False),
    sa.Column('host_state_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('crossing_point_id', sa.Integer(), nullable=True),
    sa.Column('venue_name', sa.String(length=200), nullable=False),
    sa.Column('awaiting_state_id', sa.Integer(), nullable=True),
    sa.Column('reply_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'held') = (held_at IS NOT NULL)", name=op.f('ck_meetings_held_at')),
    sa.CheckConstraint("(status = 'requested' AND awaiting_state_id IS NOT NULL AND reply_due_at IS NOT NULL) OR (status <> 'requested' AND awaiting_state_id IS NULL AND reply_due_at IS NULL)", name=op.f('ck_meetings_awaiting_reply')),
    sa.CheckConstraint("crossing_point_id IS NOT NULL OR venue_name <> ''", name=op.f('ck_meetings_venue')),
    sa.ForeignKeyConstraint(['awaiting_state_id'], ['states.id'], name=op.f('fk_meetings_awaiting_state_id_states')),
    sa.ForeignKeyConstraint(['crossing_point_id'], ['crossing_points.id'], name=op.f('fk_meetings_crossing_point_id_crossing_points')),
    sa.ForeignKeyConstraint(['host_state_id'], ['states.id'], name=op.f('fk_meetings_host_state_id_states')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_meetings_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['proposer_state_id'], ['states.id'], name=op.f('fk_meetings_proposer_state_id_states')),
    sa.ForeignKeyConstraint(['section_id'], ['border_sections.id'], name=op.f('fk_meetings_section_id_border_sections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_overdue', ['status', 'reply_due_at'], unique=False)
        batch_op.create_index('ix_meetings_section_starts_at', ['section_id', 'starts_at'], unique=False)

    op.create_table('agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('item', 'earlier_decision', 'incident', name='kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('reviewed_action_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind <> 'earlier_decision' OR reviewed_action_id IS NOT NULL", name=op.f('ck_agenda_items_reviewed')),
    sa.CheckConstraint("kind <> 'incident' OR incident_id IS NOT NULL", name=op.f('ck_agenda_items_incident')),
    sa.CheckConstraint('position >= 1', name=op.f('ck_agenda_items_position')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_agenda_items_incident_id_incidents')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_agenda_items_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items')),
    sa.UniqueConstraint('meeting_id', 'position', name=op.f('uq_agenda_items_meeting_id_position'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_items_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_items_reviewed_action_id'), ['reviewed_action_id'], unique=False)

    op.create_table('meeting_exchanges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('proposed', 'counter_proposed', 'accepted', 'declined', name='kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('crossing_point_id', sa.Integer(), nullable=True),
    sa.Column('venue_name', sa.String(length=200), nullable=False),
    sa.Column('host_state_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint("kind <> 'declined' OR reason <> ''", name=op.f('ck_meeting_exchanges_decline_reason')),
    sa.ForeignKeyConstraint(['crossing_point_id'], ['crossing_points.id'], name=op.f('fk_meeting_exchanges_crossing_point_id_crossing_points')),
    sa.ForeignKeyConstraint(['host_state_id'], ['states.id'], name=op.f('fk_meeting_exchanges_host_state_id_states')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_exchanges_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_meeting_exchanges_state_id_states')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_exchanges_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_exchanges'))
    )
    with op.batch_alter_table('meeting_exchanges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_exchanges_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=120), nullable=False),
    sa.Column('is_head', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('representative_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_participants_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['representative_id'], ['representatives.id'], name=op.f('fk_meeting_participants_representative_id_representatives')),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_meeting_participants_state_id_states')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_participants_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_participants'))
    )
    with op.batch_alter_table('meeting_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_participants_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index('uq_meeting_participants_one_head', ['meeting_id', 'state_id'], unique=True, postgresql_where=sa.text('is_head'), sqlite_where=sa.text('is_head'))

    op.create_table('protocols',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('protocol', 'addendum', name='kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('status', sa.Enum('draft', 'signed', name='status', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('addendum_texts', sa.JSON(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'protocol') = (number = 0)", name=op.f('ck_protocols_kind_number')),
    sa.CheckConstraint("status <> 'signed' OR (signed_at IS NOT NULL AND content_sha256 <> '')", name=op.f('ck_protocols_signed')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_protocols_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocols')),
    sa.UniqueConstraint('meeting_id', 'number', name=op.f('uq_protocols_meeting_id_number'))
    )
    op.create_table('actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('responsible_state_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'in_progress', 'done', 'disputed', 'escalated', name='status', native_enum=False, create_constraint=True, length=19), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'done') = (completed_at IS NOT NULL)", name=op.f('ck_actions_completed_at')),
    sa.CheckConstraint("description <> ''", name=op.f('ck_actions_description')),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_actions_agenda_item_id_agenda_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responsible_state_id'], ['states.id'], name=op.f('fk_actions_responsible_state_id_states')),
    sa.ForeignKeyConstraint(['section_id'], ['border_sections.id'], name=op.f('fk_actions_section_id_border_sections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actions'))
    )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actions_agenda_item_id'), ['agenda_item_id'], unique=False)
        batch_op.create_index('ix_actions_overdue', ['status', 'due_on'], unique=False)
        batch_op.create_index('ix_actions_section_status', ['section_id', 'status'], unique=False)
    # agenda items and actions point at each other: the agenda's key to actions comes after both tables
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_agenda_items_reviewed_action_id_actions'), 'actions', ['reviewed_action_id'], ['id'])


    op.create_table('agenda_item_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_agenda_item_texts_agenda_item_id_agenda_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item_texts')),
    sa.UniqueConstraint('agenda_item_id', 'language', name=op.f('uq_agenda_item_texts_agenda_item_id_language'))
    )
    op.create_table('protocol_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('protocol_id', sa.Integer(), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(content_sha256) = 64', name=op.f('ck_protocol_approvals_sha256_length')),
    sa.ForeignKeyConstraint(['protocol_id'], ['protocols.id'], name=op.f('fk_protocol_approvals_protocol_id_protocols'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_protocol_approvals_state_id_states')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_protocol_approvals_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol_approvals'))
    )
    with op.batch_alter_table('protocol_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_approvals_protocol_id'), ['protocol_id'], unique=False)
        batch_op.create_index('uq_protocol_approvals_one_live', ['protocol_id', 'state_id'], unique=True, postgresql_where=sa.text('voided_at IS NULL'), sqlite_where=sa.text('voided_at IS NULL'))

    op.create_table('action_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'in_progress', 'done', 'disputed', 'escalated', name='status', native_enum=False, create_constraint=True, length=19), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_action_notes_action_id_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_action_notes_state_id_states')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_action_notes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_notes'))
    )
    with op.batch_alter_table('action_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_notes_action_id'), ['action_id'], unique=False)

    op.create_table('internal_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("text <> ''", name=op.f('ck_internal_notes_text')),
    sa.CheckConstraint('(CASE WHEN meeting_id IS NULL THEN 0 ELSE 1 END + CASE WHEN action_id IS NULL THEN 0 ELSE 1 END + CASE WHEN incident_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_internal_notes_one_subject')),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_internal_notes_action_id_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_internal_notes_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_internal_notes_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['border_sections.id'], name=op.f('fk_internal_notes_section_id_border_sections')),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_internal_notes_state_id_states')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_internal_notes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_internal_notes'))
    )
    with op.batch_alter_table('internal_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_internal_notes_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_internal_notes_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_internal_notes_meeting_id'), ['meeting_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agenda_items_reviewed_action_id_actions'), type_='foreignkey')
    with op.batch_alter_table('internal_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_internal_notes_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_internal_notes_incident_id'))
        batch_op.drop_index(batch_op.f('ix_internal_notes_action_id'))

    op.drop_table('internal_notes')
    with op.batch_alter_table('action_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_notes_action_id'))

    op.drop_table('action_notes')
    with op.batch_alter_table('protocol_approvals', schema=None) as batch_op:
        batch_op.drop_index('uq_protocol_approvals_one_live', postgresql_where=sa.text('voided_at IS NULL'), sqlite_where=sa.text('voided_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_protocol_approvals_protocol_id'))

    op.drop_table('protocol_approvals')
    op.drop_table('agenda_item_texts')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index('ix_actions_section_status')
        batch_op.drop_index('ix_actions_overdue')
        batch_op.drop_index(batch_op.f('ix_actions_agenda_item_id'))

    op.drop_table('actions')
    op.drop_table('protocols')
    with op.batch_alter_table('meeting_participants', schema=None) as batch_op:
        batch_op.drop_index('uq_meeting_participants_one_head', postgresql_where=sa.text('is_head'), sqlite_where=sa.text('is_head'))
        batch_op.drop_index(batch_op.f('ix_meeting_participants_meeting_id'))

    op.drop_table('meeting_participants')
    with op.batch_alter_table('meeting_exchanges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_exchanges_meeting_id'))

    op.drop_table('meeting_exchanges')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_reviewed_action_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_items_incident_id'))

    op.drop_table('agenda_items')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_section_starts_at')
        batch_op.drop_index('ix_meetings_overdue')

    op.drop_table('meetings')
    with op.batch_alter_table('hand_over_acts', schema=None) as batch_op:
        batch_op.drop_index('ix_hand_over_acts_section_id')
        batch_op.drop_index(batch_op.f('ix_hand_over_acts_incident_id'))

    op.drop_table('hand_over_acts')
    with op.batch_alter_table('representatives', schema=None) as batch_op:
        batch_op.drop_index('uq_representatives_one_chief', postgresql_where=sa.text("post = 'border_representative' AND appointed_until IS NULL"), sqlite_where=sa.text("post = 'border_representative' AND appointed_until IS NULL"))
        batch_op.drop_index(batch_op.f('ix_representatives_user_id'))
        batch_op.drop_index(batch_op.f('ix_representatives_state_id'))
        batch_op.drop_index('ix_representatives_post')

    op.drop_table('representatives')
    op.drop_table('meeting_rules')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_status')
        batch_op.drop_index('ix_incidents_section_occurred_at')

    op.drop_table('incidents')
