"""applications permits alerts outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:34:56.722566
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('counters',
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.CheckConstraint('value >= 0', name=op.f('ck_counters_value')),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_counters'))
    )
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_pending', ['sent_at', 'next_attempt_at'], unique=False)

    op.create_table('stored_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'application/pdf')", name=op.f('ck_stored_files_content_type')),
    sa.CheckConstraint('size_bytes >= 0', name=op.f('ck_stored_files_size_bytes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_stored_files_stored_name'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('surname_latin', sa.String(length=100), nullable=False),
    sa.Column('given_names_latin', sa.String(length=100), nullable=False),
    sa.Column('search_name', sa.String(length=210), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('document_number', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_alerts_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_document_number'), ['document_number'], unique=False)
        batch_op.create_index('ix_alerts_search_name_birth_date', ['search_name', 'birth_date'], unique=False)

    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('access_code_hash', sa.String(length=64), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'info_requested', 'approved', 'refused', 'reconsideration', 'withdrawn', name='status', native_enum=False, create_constraint=True, length=23), nullable=False),
    sa.Column('kind', sa.Enum('first', 'renewal', name='kind', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('previous_permit_number', sa.String(length=20), nullable=True),
    sa.Column('surname_national', sa.String(length=100), nullable=False),
    sa.Column('given_names_national', sa.String(length=100), nullable=False),
    sa.Column('surname_latin', sa.String(length=100), nullable=False),
    sa.Column('given_names_latin', sa.String(length=100), nullable=False),
    sa.Column('search_name', sa.String(length=210), nullable=False),
    sa.Column('sex', sa.Enum('F', 'M', 'X', name='sex', native_enum=False, create_constraint=True, length=9), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('birth_place', sa.String(length=120), nullable=False),
    sa.Column('nationality', sa.String(length=3), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('preferred_locale', sa.String(length=5), nullable=False),
    sa.Column('document_type', sa.Enum('passport', 'id_card', 'other', name='document_type', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('document_number', sa.String(length=30), nullable=False),
    sa.Column('document_issuing_state', sa.String(length=3), nullable=False),
    sa.Column('document_expiry', sa.Date(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('resident_since', sa.Date(), nullable=False),
    sa.Column('family_relationship', sa.String(length=60), nullable=False),
    sa.Column('family_reference', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.Column('fee_exemption', sa.String(length=30), nullable=True),
    sa.Column('declaration_accepted', sa.Boolean(), nullable=False),
    sa.Column('photo_file_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decision_due', sa.Date(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('refusal_reasons', sa.JSON(), nullable=False),
    sa.Column('decision_text', sa.Text(), nullable=False),
    sa.Column('reconsideration_until', sa.Date(), nullable=True),
    sa.Column('fee_amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('fee_currency', sa.String(length=3), nullable=False),
    sa.Column('fee_status', sa.Enum('due', 'paid', 'waived', name='fee_status', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.CheckConstraint('declaration_accepted', name=op.f('ck_applications_declaration')),
    sa.CheckConstraint('document_expiry > birth_date', name=op.f('ck_applications_document_after_birth')),
    sa.CheckConstraint('fee_amount >= 0', name=op.f('ck_applications_fee_amount')),
    sa.CheckConstraint('resident_since >= birth_date', name=op.f('ck_applications_residence_after_birth')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_applications_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_applications_decided_by_id_users')),
    sa.ForeignKeyConstraint(['locality_id'], ['localities.id'], name=op.f('fk_applications_locality_id_localities')),
    sa.ForeignKeyConstraint(['photo_file_id'], ['stored_files.id'], name=op.f('fk_applications_photo_file_id_stored_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('reference', name=op.f('uq_applications_reference'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_document_number'), ['document_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_locality_id'), ['locality_id'], unique=False)
        batch_op.create_index('ix_applications_queue', ['agreement_id', 'status', 'decision_due'], unique=False)
        batch_op.create_index('ix_applications_search_name', ['search_name'], unique=False, postgresql_ops={'search_name': 'varchar_pattern_ops'})

    op.create_table('alert_hits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_by_id', sa.Integer(), nullable=True),
    sa.Column('clear_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_hits_alert_id_alerts')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_alert_hits_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cleared_by_id'], ['users.id'], name=op.f('fk_alert_hits_cleared_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_hits')),
    sa.UniqueConstraint('application_id', 'alert_id', name=op.f('uq_alert_hits_application_id_alert_id'))
    )
    with op.batch_alter_table('alert_hits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_hits_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_hits_application_id'), ['application_id'], unique=False)

    op.create_table('application_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('submitted', 'info_requested', 'info_answered', 'approved', 'refused', 'reconsideration_requested', 'upheld', 'overturned', 'alert_cleared', 'fee_recorded', 'withdrawn', name='kind', native_enum=False, create_constraint=True, length=33), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_application_events_actor_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_events_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_events'))
    )
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_events_application_id'), ['application_id'], unique=False)

    op.create_table('permits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('issuing_state', sa.String(length=2), nullable=False),
    sa.Column('status', sa.Enum('active', 'suspended', 'revoked', 'annulled', 'replaced', 'expired', name='status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('surname_national', sa.String(length=100), nullable=False),
    sa.Column('given_names_national', sa.String(length=100), nullable=False),
    sa.Column('surname_latin', sa.String(length=100), nullable=False),
    sa.Column('given_names_latin', sa.String(length=100), nullable=False),
    sa.Column('search_name', sa.String(length=210), nullable=False),
    sa.Column('sex', sa.Enum('F', 'M', 'X', name='sex', native_enum=False, create_constraint=True, length=9), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('nationality', sa.String(length=3), nullable=False),
    sa.Column('document_number', sa.String(length=30), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('photo_file_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('max_stay_days', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('signing_kid', sa.String(length=64), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.CheckConstraint('max_stay_days BETWEEN 1 AND 90', name=op.f('ck_permits_max_stay')),
    sa.CheckConstraint('valid_until > valid_from', name=op.f('ck_permits_validity_order')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_permits_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_permits_application_id_applications')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_permits_issued_by_id_users')),
    sa.ForeignKeyConstraint(['locality_id'], ['localities.id'], name=op.f('fk_permits_locality_id_localities')),
    sa.ForeignKeyConstraint(['photo_file_id'], ['stored_files.id'], name=op.f('fk_permits_photo_file_id_stored_files')),
    sa.ForeignKeyConstraint(['replaces_id'], ['permits.id'], name=op.f('fk_permits_replaces_id_permits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_permits')),
    sa.UniqueConstraint('number', name=op.f('uq_permits_number'))
    )
    with op.batch_alter_table('permits', schema=None) as batch_op:
        batch_op.create_index('ix_permits_agreement_status', ['agreement_id', 'status', 'valid_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_permits_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_permits_document_number'), ['document_number'], unique=False)
        batch_op.create_index('ix_permits_search_name', ['search_name'], unique=False, postgresql_ops={'search_name': 'varchar_pattern_ops'})
        batch_op.create_index('ix_permits_signing_kid_valid_until', ['signing_kid', 'valid_until'], unique=False)

    op.create_table('application_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('photo', 'travel_document', 'residence_proof', 'reason_statement', 'family_proof', 'other', name='kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_documents_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['application_events.id'], name=op.f('fk_application_documents_event_id_application_events')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_application_documents_file_id_stored_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_documents'))
    )
    with op.batch_alter_table('application_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_documents_application_id'), ['application_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('application_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_documents_application_id'))

    op.drop_table('application_documents')
    with op.batch_alter_table('permits', schema=None) as batch_op:
        batch_op.drop_index('ix_permits_signing_kid_valid_until')
        batch_op.drop_index('ix_permits_search_name', postgresql_ops={'search_name': 'varchar_pattern_ops'})
        batch_op.drop_index(batch_op.f('ix_permits_document_number'))
        batch_op.drop_index(batch_op.f('ix_permits_application_id'))
        batch_op.drop_index('ix_permits_agreement_status')

    op.drop_table('permits')
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_events_application_id'))

    op.drop_table('application_events')
    with op.batch_alter_table('alert_hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_hits_application_id'))
        batch_op.drop_index(batch_op.f('ix_alert_hits_alert_id'))

    op.drop_table('alert_hits')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_search_name', postgresql_ops={'search_name': 'varchar_pattern_ops'})
        batch_op.drop_index('ix_applications_queue')
        batch_op.drop_index(batch_op.f('ix_applications_locality_id'))
        batch_op.drop_index(batch_op.f('ix_applications_document_number'))

    op.drop_table('applications')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_search_name_birth_date')
        batch_op.drop_index(batch_op.f('ix_alerts_document_number'))

    op.drop_table('alerts')
    op.drop_table('stored_files')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_pending')

    op.drop_table('outbox_messages')
    op.drop_table('counters')
