"""reports: locality population, frozen six-monthly reports (issue 12)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

ROLES_BEFORE = ('admin', 'officer', 'supervisor', 'border_guard', 'representative', 'auditor')
ROLES_AFTER = (*ROLES_BEFORE, 'analyst')


def _role_check(values: tuple[str, ...]) -> str:
    return 'role IN (' + ', '.join(f"'{value}'" for value in values) + ')'


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_users_role'), _role_check(ROLES_AFTER))

    with op.batch_alter_table('localities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('population', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_localities_population'), 'population IS NULL OR population >= 0'
        )

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('six_monthly', name='kind', native_enum=False, create_constraint=True, length=19), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('jws', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('audit_entry_count', sa.Integer(), nullable=False),
    sa.Column('audit_head_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('(version = 1) = (supersedes_id IS NULL)', name=op.f('ck_reports_correction_names_old')),
    sa.CheckConstraint("version = 1 OR correction_reason <> ''", name=op.f('ck_reports_correction_reason')),
    sa.CheckConstraint('length(content_sha256) = 64', name=op.f('ck_reports_content_sha256')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_reports_period_order')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_reports_version')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_reports_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['made_by_id'], ['users.id'], name=op.f('fk_reports_made_by_id_users')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['reports.id'], name=op.f('fk_reports_supersedes_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('kind', 'agreement_id', 'period_start', 'version', name=op.f('uq_reports_kind_agreement_id_period_start_version')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_reports_supersedes_id'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_agreement_id'), ['agreement_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_agreement_id'))
    op.drop_table('reports')

    with op.batch_alter_table('localities', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_localities_population'), type_='check')
        batch_op.drop_column('population')

    analysts = op.get_bind().scalar(sa.text("SELECT count(*) FROM users WHERE role = 'analyst'"))
    if analysts:
        raise RuntimeError(f"{analysts} analyst account(s) exist: give them another role or remove them first")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_users_role'), _role_check(ROLES_BEFORE))
