"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 09:58:26.984914
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# The audit log is append-only in the database itself (see lbt/audit/models.py, which holds the same SQL).
APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
        "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END $$",
        "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
    ],
}
DROP_APPEND_ONLY = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_entries_no_update", "DROP TRIGGER IF EXISTS audit_entries_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries",
        "DROP FUNCTION IF EXISTS audit_entries_append_only()",
    ],
}


def _run(statements: dict[str, list[str]]) -> None:
    for statement in statements.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity_type', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=60), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_entries_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_entries_prev_hash'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_actor_id', ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_entries_entity', ['entity_type', 'entity_id'], unique=False)
        batch_op.create_index('ix_audit_entries_occurred_at', ['occurred_at'], unique=False)

    op.create_table('states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('alpha3', sa.String(length=3), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('name_ru', sa.String(length=120), nullable=False),
    sa.Column('name_national', sa.String(length=120), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(alpha3) = 3', name=op.f('ck_states_alpha3_length')),
    sa.CheckConstraint('length(code) = 2', name=op.f('ck_states_code_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_states')),
    sa.UniqueConstraint('alpha3', name=op.f('uq_states_alpha3')),
    sa.UniqueConstraint('code', name=op.f('uq_states_code'))
    )
    op.create_table('agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('state_a_id', sa.Integer(), nullable=False),
    sa.Column('state_b_id', sa.Integer(), nullable=False),
    sa.Column('in_force_from', sa.Date(), nullable=False),
    sa.Column('in_force_until', sa.Date(), nullable=True),
    sa.Column('border_area_km', sa.Integer(), nullable=False),
    sa.Column('border_area_straddle_km', sa.Integer(), nullable=False),
    sa.Column('min_residence_years', sa.Integer(), nullable=False),
    sa.Column('family_exempt_from_residence', sa.Boolean(), nullable=False),
    sa.Column('validity_min_years', sa.Integer(), nullable=False),
    sa.Column('validity_max_years', sa.Integer(), nullable=False),
    sa.Column('first_permit_max_years', sa.Integer(), nullable=False),
    sa.Column('max_stay_days', sa.Integer(), nullable=False),
    sa.Column('rolling_window_days', sa.Integer(), nullable=True),
    sa.Column('rolling_limit_days', sa.Integer(), nullable=True),
    sa.Column('all_crossing_points', sa.Boolean(), nullable=False),
    sa.Column('fee_amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('fee_currency', sa.String(length=3), nullable=False),
    sa.Column('fee_exemptions', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('decision_deadline_days', sa.Integer(), nullable=False),
    sa.Column('reconsideration_days', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(rolling_window_days IS NULL AND rolling_limit_days IS NULL) OR (rolling_window_days > 0 AND rolling_limit_days > 0 AND rolling_limit_days <= rolling_window_days)', name=op.f('ck_agreements_rolling_window')),
    sa.CheckConstraint('border_area_km BETWEEN 1 AND 50', name=op.f('ck_agreements_border_area_km')),
    sa.CheckConstraint('border_area_straddle_km >= border_area_km AND border_area_straddle_km <= 50', name=op.f('ck_agreements_straddle_km')),
    sa.CheckConstraint('decision_deadline_days BETWEEN 1 AND 365', name=op.f('ck_agreements_decision_deadline')),
    sa.CheckConstraint('fee_amount >= 0', name=op.f('ck_agreements_fee_amount')),
    sa.CheckConstraint('first_permit_max_years BETWEEN validity_min_years AND validity_max_years', name=op.f('ck_agreements_first_permit')),
    sa.CheckConstraint('in_force_until IS NULL OR in_force_until > in_force_from', name=op.f('ck_agreements_in_force_order')),
    sa.CheckConstraint('max_stay_days BETWEEN 1 AND 90', name=op.f('ck_agreements_max_stay')),
    sa.CheckConstraint('min_residence_years >= 1', name=op.f('ck_agreements_min_residence')),
    sa.CheckConstraint('reconsideration_days BETWEEN 1 AND 365', name=op.f('ck_agreements_reconsideration')),
    sa.CheckConstraint('state_a_id <> state_b_id', name=op.f('ck_agreements_two_states')),
    sa.CheckConstraint('validity_min_years >= 1 AND validity_max_years <= 5 AND validity_min_years <= validity_max_years', name=op.f('ck_agreements_validity_bounds')),
    sa.ForeignKeyConstraint(['state_a_id'], ['states.id'], name=op.f('fk_agreements_state_a_id_states')),
    sa.ForeignKeyConstraint(['state_b_id'], ['states.id'], name=op.f('fk_agreements_state_b_id_states')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
    sa.UniqueConstraint('code', name=op.f('uq_agreements_code'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_state_a_id'), ['state_a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_state_b_id'), ['state_b_id'], unique=False)

    op.create_table('border_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('state_a_id', sa.Integer(), nullable=False),
    sa.Column('state_b_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('working_languages', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('state_a_id <> state_b_id', name=op.f('ck_border_sections_two_states')),
    sa.ForeignKeyConstraint(['state_a_id'], ['states.id'], name=op.f('fk_border_sections_state_a_id_states')),
    sa.ForeignKeyConstraint(['state_b_id'], ['states.id'], name=op.f('fk_border_sections_state_b_id_states')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_border_sections')),
    sa.UniqueConstraint('code', name=op.f('uq_border_sections_code'))
    )
    with op.batch_alter_table('border_sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_border_sections_state_a_id'), ['state_a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_border_sections_state_b_id'), ['state_b_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.Enum('admin', 'officer', 'supervisor', 'border_guard', 'representative', 'auditor', name='role', native_enum=False, create_constraint=True, length=22), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('session_token', sa.String(length=40), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('state_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('failed_login_count', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("locale IS NULL OR locale IN ('en', 'ru', 'tg')", name=op.f('ck_users_locale')),
    sa.CheckConstraint('failed_login_count >= 0', name=op.f('ck_users_failed_login_count')),
    sa.CheckConstraint('username = lower(username)', name=op.f('ck_users_username_lower')),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_users_state_id_states')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_state_id'), ['state_id'], unique=False)

    op.create_table('crossing_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('road', 'rail', 'pedestrian', name='kind', native_enum=False, create_constraint=True, length=18), nullable=False),
    sa.Column('opening_hours', sa.String(length=120), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_crossing_points_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_crossing_points_state_id_states')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crossing_points')),
    sa.UniqueConstraint('code', name=op.f('uq_crossing_points_code'))
    )
    with op.batch_alter_table('crossing_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crossing_points_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crossing_points_state_id'), ['state_id'], unique=False)

    op.create_table('localities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('name_national', sa.String(length=120), nullable=False),
    sa.Column('name_latin', sa.String(length=120), nullable=False),
    sa.Column('district', sa.String(length=120), nullable=False),
    sa.Column('distance_km', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('distance_km >= 0 AND distance_km <= 50', name=op.f('ck_localities_distance_km')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_localities_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_localities_state_id_states')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_localities')),
    sa.UniqueConstraint('agreement_id', 'state_id', 'district', 'name_latin', name=op.f('uq_localities_agreement_id_state_id_district_name_latin'))
    )
    with op.batch_alter_table('localities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_localities_state_id'), ['state_id'], unique=False)

    op.create_table('user_agreements',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_user_agreements_agreement_id_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_agreements_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'agreement_id', name=op.f('pk_user_agreements'))
    )
    with op.batch_alter_table('user_agreements', schema=None) as batch_op:
        batch_op.create_index('ix_user_agreements_agreement_id', ['agreement_id'], unique=False)

    op.create_table('user_border_sections',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('border_section_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['border_section_id'], ['border_sections.id'], name=op.f('fk_user_border_sections_border_section_id_border_sections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_border_sections_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'border_section_id', name=op.f('pk_user_border_sections'))
    )
    with op.batch_alter_table('user_border_sections', schema=None) as batch_op:
        batch_op.create_index('ix_user_border_sections_border_section_id', ['border_section_id'], unique=False)

    op.create_table('agreement_crossing_points',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('crossing_point_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_crossing_points_agreement_id_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['crossing_point_id'], ['crossing_points.id'], name=op.f('fk_agreement_crossing_points_crossing_point_id_crossing_points'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agreement_id', 'crossing_point_id', name=op.f('pk_agreement_crossing_points'))
    )
    with op.batch_alter_table('agreement_crossing_points', schema=None) as batch_op:
        batch_op.create_index('ix_agreement_crossing_points_crossing_point_id', ['crossing_point_id'], unique=False)

    op.create_table('user_crossing_points',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('crossing_point_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['crossing_point_id'], ['crossing_points.id'], name=op.f('fk_user_crossing_points_crossing_point_id_crossing_points'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_crossing_points_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'crossing_point_id', name=op.f('pk_user_crossing_points'))
    )
    with op.batch_alter_table('user_crossing_points', schema=None) as batch_op:
        batch_op.create_index('ix_user_crossing_points_crossing_point_id', ['crossing_point_id'], unique=False)


    _run(APPEND_ONLY)

def downgrade() -> None:
    _run(DROP_APPEND_ONLY)
    with op.batch_alter_table('user_crossing_points', schema=None) as batch_op:
        batch_op.drop_index('ix_user_crossing_points_crossing_point_id')

    op.drop_table('user_crossing_points')
    with op.batch_alter_table('agreement_crossing_points', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_crossing_points_crossing_point_id')

    op.drop_table('agreement_crossing_points')
    with op.batch_alter_table('user_border_sections', schema=None) as batch_op:
        batch_op.drop_index('ix_user_border_sections_border_section_id')

    op.drop_table('user_border_sections')
    with op.batch_alter_table('user_agreements', schema=None) as batch_op:
        batch_op.drop_index('ix_user_agreements_agreement_id')

    op.drop_table('user_agreements')
    with op.batch_alter_table('localities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_localities_state_id'))

    op.drop_table('localities')
    with op.batch_alter_table('crossing_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crossing_points_state_id'))
        batch_op.drop_index(batch_op.f('ix_crossing_points_agreement_id'))

    op.drop_table('crossing_points')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_state_id'))

    op.drop_table('users')
    with op.batch_alter_table('border_sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_border_sections_state_b_id'))
        batch_op.drop_index(batch_op.f('ix_border_sections_state_a_id'))

    op.drop_table('border_sections')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_state_b_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_state_a_id'))

    op.drop_table('agreements')
    op.drop_table('states')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_occurred_at')
        batch_op.drop_index('ix_audit_entries_entity')
        batch_op.drop_index('ix_audit_entries_actor_id')

    op.drop_table('audit_entries')
