"""fees and payments (issue 14 item 4): the receipt of a paid fee, the reason a fee was waived, and each
agreement's payment instructions (text per language, or one text for all); when a permit's card was
first printed (item 8: the officers' "to print")

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('applications') as batch:
        batch.add_column(sa.Column('fee_waived_for', sa.String(length=30), nullable=False, server_default=''))
        batch.add_column(sa.Column('fee_receipt_number', sa.String(length=40), nullable=False, server_default=''))
        batch.add_column(sa.Column('fee_paid_on', sa.Date(), nullable=True))
        batch.create_check_constraint(batch.f('ck_applications_fee_paid_on'), "fee_paid_on IS NULL OR fee_status = 'paid'")
    with op.batch_alter_table('agreements') as batch:
        batch.add_column(sa.Column('payment_instructions', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    # the officers' home counts the valid permits whose card was not printed: those issued before
    # this revision are taken as printed
    with op.batch_alter_table('permits') as batch:
        batch.add_column(sa.Column('card_printed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE permits SET card_printed_at = issued_at")
    with op.batch_alter_table('permits') as batch:
        batch.create_index(
            'ix_permits_to_print', ['agreement_id', 'issued_at'], unique=False,
            postgresql_where=sa.text("card_printed_at IS NULL AND status = 'active'"),
            sqlite_where=sa.text("card_printed_at IS NULL AND status = 'active'"),
        )


def downgrade() -> None:
    with op.batch_alter_table('permits') as batch:
        batch.drop_index('ix_permits_to_print')
        batch.drop_column('card_printed_at')
    with op.batch_alter_table('agreements') as batch:
        batch.drop_column('payment_instructions')
    with op.batch_alter_table('applications') as batch:
        batch.drop_constraint(batch.f('ck_applications_fee_paid_on'), type_='check')
        batch.drop_column('fee_paid_on')
        batch.drop_column('fee_receipt_number')
        batch.drop_column('fee_waived_for')
