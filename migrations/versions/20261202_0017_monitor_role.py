"""monitor role: the monitoring system that reads /metrics with an API token (issue 15 item 3)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

ROLES_BEFORE = ('admin', 'officer', 'supervisor', 'border_guard', 'representative', 'auditor', 'analyst')
ROLES_AFTER = (*ROLES_BEFORE, 'monitor')


def _role_check(values: tuple[str, ...]) -> str:
    return 'role IN (' + ', '.join(f"'{value}'" for value in values) + ')'


def _set_role_check(values: tuple[str, ...]) -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_users_role'), _role_check(values))


def upgrade() -> None:
    _set_role_check(ROLES_AFTER)


def downgrade() -> None:
    monitors = op.get_bind().scalar(sa.text("SELECT count(*) FROM users WHERE role = 'monitor'"))
    if monitors:
        raise RuntimeError(f"{monitors} monitor account(s) exist: give them another role or remove them first")
    _set_role_check(ROLES_BEFORE)
