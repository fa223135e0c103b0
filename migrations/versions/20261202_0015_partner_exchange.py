"""partner exchange (issue 13): the link to the partner instance of each agreement (its address and
pinned exchange key), the outbox and inbox of signed messages, the messages refused on receipt; what the
partner sent (its permit-signing keys, withdrawn permits, misuse cases, six-monthly reports), the
partner's acknowledgements of ours, partner permits' crossings recorded here, and the agreements'
both_sides_record setting

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('partner_state', sa.String(length=2), nullable=False),
    sa.Column('partner_url', sa.String(length=300), nullable=False),
    sa.Column('partner_kid', sa.String(length=64), nullable=False),
    sa.Column('partner_jwk', sa.JSON(), nullable=False),
    sa.Column('own_kid', sa.String(length=64), nullable=False),
    sa.Column('out_sequence', sa.Integer(), nullable=False),
    sa.Column('in_sequence', sa.Integer(), nullable=False),
    sa.Column('last_fetch_request', sa.BigInteger(), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('marks', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(partner_state) = 2', name=op.f('ck_exchange_links_partner_state')),
    sa.CheckConstraint('out_sequence >= 0 AND in_sequence >= 0', name=op.f('ck_exchange_links_sequences')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_exchange_links_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_exchange_links_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_links')),
    sa.UniqueConstraint('agreement_id', name=op.f('uq_exchange_links_agreement_id'))
    )
    op.create_table('exchange_inbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('held', 'applied', name='status', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'applied') = (applied_at IS NOT NULL)", name=op.f('ck_exchange_inbox_applied_at')),
    sa.CheckConstraint('sequence >= 1', name=op.f('ck_exchange_inbox_sequence')),
    sa.ForeignKeyConstraint(['link_id'], ['exchange_links.id'], name=op.f('fk_exchange_inbox_link_id_exchange_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_inbox')),
    sa.UniqueConstraint('link_id', 'message_id', name=op.f('uq_exchange_inbox_link_id_message_id')),
    sa.UniqueConstraint('link_id', 'sequence', name=op.f('uq_exchange_inbox_link_id_sequence'))
    )
    op.create_table('exchange_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('token', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('sequence >= 1', name=op.f('ck_exchange_outbox_sequence')),
    sa.ForeignKeyConstraint(['link_id'], ['exchange_links.id'], name=op.f('fk_exchange_outbox_link_id_exchange_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_outbox')),
    sa.UniqueConstraint('link_id', 'sequence', name=op.f('uq_exchange_outbox_link_id_sequence')),
    sa.UniqueConstraint('message_id', name=op.f('uq_exchange_outbox_message_id'))
    )
    op.create_index('ix_exchange_outbox_queued', 'exchange_outbox', ['link_id', 'sequence'], unique=False, postgresql_where=sa.text('delivered_at IS NULL'), sqlite_where=sa.text('delivered_at IS NULL'))
    op.create_table('exchange_refusals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['exchange_links.id'], name=op.f('fk_exchange_refusals_link_id_exchange_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_refusals'))
    )
    op.create_index('ix_exchange_refusals_link_id_received_at', 'exchange_refusals', ['link_id', 'received_at'], unique=False)
    op.create_table('partner_crossings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('issuing_state', sa.String(length=2), nullable=False),
    sa.Column('permit_number', sa.String(length=20), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('crossing_point_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('verdict', sa.String(length=10), nullable=False),
    sa.CheckConstraint("direction IN ('entry', 'exit')", name=op.f('ck_partner_crossings_direction')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_partner_crossings_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['crossing_point_id'], ['crossing_points.id'], name=op.f('fk_partner_crossings_crossing_point_id_crossing_points')),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_partner_crossings_officer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_crossings')),
    sa.UniqueConstraint('client_id', name=op.f('uq_partner_crossings_client_id'))
    )
    op.create_index('ix_partner_crossings_permit', 'partner_crossings', ['issuing_state', 'permit_number', 'at'], unique=False)
    op.create_table('partner_misuse_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('remote_id', sa.Integer(), nullable=False),
    sa.Column('permit_number', sa.String(length=20), nullable=False),
    sa.Column('holder', sa.JSON(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('crossing_point', sa.String(length=20), nullable=False),
    sa.Column('days_over', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('penalty', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['exchange_links.id'], name=op.f('fk_partner_misuse_cases_link_id_exchange_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_misuse_cases')),
    sa.UniqueConstraint('link_id', 'remote_id', name=op.f('uq_partner_misuse_cases_link_id_remote_id'))
    )
    op.create_table('partner_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('jws', sa.Text(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['exchange_links.id'], name=op.f('fk_partner_reports_link_id_exchange_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_reports')),
    sa.UniqueConstraint('link_id', 'period_start', 'version', name=op.f('uq_partner_reports_link_id_period_start_version'))
    )
    op.create_table('partner_signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('jwk', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['exchange_links.id'], name=op.f('fk_partner_signing_keys_link_id_exchange_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_signing_keys')),
    sa.UniqueConstraint('state', 'kid', name=op.f('uq_partner_signing_keys_state_kid'))
    )
    op.create_index(op.f('ix_partner_signing_keys_link_id'), 'partner_signing_keys', ['link_id'], unique=False)
    op.create_table('partner_withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.Column('permit_number', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('digest', sa.String(length=22), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('suspended', 'revoked', 'annulled', 'replaced')", name=op.f('ck_partner_withdrawals_status')),
    sa.ForeignKeyConstraint(['link_id'], ['exchange_links.id'], name=op.f('fk_partner_withdrawals_link_id_exchange_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_withdrawals')),
    sa.UniqueConstraint('state', 'permit_number', name=op.f('uq_partner_withdrawals_state_permit_number'))
    )
    op.create_index('ix_partner_withdrawals_link_id', 'partner_withdrawals', ['link_id'], unique=False)
    op.create_table('report_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['exchange_links.id'], name=op.f('fk_report_acknowledgements_link_id_exchange_links')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_acknowledgements_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_acknowledgements')),
    sa.UniqueConstraint('report_id', name=op.f('uq_report_acknowledgements_report_id'))
    )
    with op.batch_alter_table('agreements') as batch:
        batch.add_column(sa.Column('both_sides_record', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('agreements') as batch:
        batch.drop_column('both_sides_record')
    op.drop_table('report_acknowledgements')
    op.drop_index('ix_partner_withdrawals_link_id', table_name='partner_withdrawals')
    op.drop_table('partner_withdrawals')
    op.drop_index(op.f('ix_partner_signing_keys_link_id'), table_name='partner_signing_keys')
    op.drop_table('partner_signing_keys')
    op.drop_table('partner_reports')
    op.drop_table('partner_misuse_cases')
    op.drop_index('ix_partner_crossings_permit', table_name='partner_crossings')
    op.drop_table('partner_crossings')
    op.drop_index('ix_exchange_refusals_link_id_received_at', table_name='exchange_refusals')
    op.drop_table('exchange_refusals')
    op.drop_index('ix_exchange_outbox_queued', table_name='exchange_outbox', postgresql_where=sa.text('delivered_at IS NULL'), sqlite_where=sa.text('delivered_at IS NULL'))
    op.drop_table('exchange_outbox')
    op.drop_table('exchange_inbox')
    op.drop_table('exchange_links')
