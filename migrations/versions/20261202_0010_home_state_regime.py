"""the regime as the law draws it (Reg. 1931/2006 Art. 3 and 7): an agreement's nationality rules
(family members of another nationality, long-term residents of the partner state) and the names of
each side's border area, where the permits of that side are valid; staff may choose the partners'
languages (Kyrgyz, Uzbek) for their accounts

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


OLD_LOCALES = "locale IS NULL OR locale IN ('en', 'ru', 'tg')"
NEW_LOCALES = "locale IS NULL OR locale IN ('en', 'ru', 'tg', 'ky', 'uz')"


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(batch.f('ck_users_locale'), type_='check')
        batch.create_check_constraint(batch.f('ck_users_locale'), NEW_LOCALES)
    with op.batch_alter_table('agreements') as batch:
        batch.add_column(sa.Column('admits_family_of_other_nationality', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('admits_long_term_residents', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('border_area_name_a', sa.String(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('border_area_name_b', sa.String(length=200), nullable=False, server_default=''))


def downgrade() -> None:
    op.execute("UPDATE users SET locale = NULL WHERE locale IN ('ky', 'uz')")
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(batch.f('ck_users_locale'), type_='check')
        batch.create_check_constraint(batch.f('ck_users_locale'), OLD_LOCALES)
    with op.batch_alter_table('agreements') as batch:
        batch.drop_column('border_area_name_b')
        batch.drop_column('border_area_name_a')
        batch.drop_column('admits_long_term_residents')
        batch.drop_column('admits_family_of_other_nationality')
