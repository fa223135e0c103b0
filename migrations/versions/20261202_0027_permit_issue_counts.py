"""permits issued per local day kept at write time (issue 12, item 7): ``permit_issue_counts``, a count
per local day of issue, agreement, locality, issue kind (first, renewal, replacement), sex and age band
on that day, filled here by set-based SQL from the permits, so the permits issued of a long period are a
sum over its days. The day is on the issuing state's clock, the instance's report zone unless
LBT_TIME_ZONE names another: then ``lbt reports rebuild-summaries`` recounts them on that clock.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

# constants of this revision (lbt.core.dates, lbt.reports.issued_counts as they are at 0027)
ZONE = "CASE p.issuing_state WHEN 'TJ' THEN 'Asia/Dushanbe' WHEN 'KG' THEN 'Asia/Bishkek' WHEN 'UZ' THEN 'Asia/Tashkent' ELSE 'UTC' END"
BANDS = ((0, 17), (18, 29), (30, 44), (45, 59), (60, None))


def _age_band(birth: date, on: date) -> str:
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    for low, high in BANDS:
        if high is None or years <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    raise AssertionError("unreachable")


def _local_day(at: str | None, zone_name: str | None) -> str | None:
    if at is None:
        return None
    moment = datetime.fromisoformat(at)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    try:
        zone = ZoneInfo(zone_name or 'UTC')
    except (ValueError, KeyError):
        zone = UTC
    return moment.astimezone(zone).date().isoformat()


def _sqlite_age_band(birth: str | None, on: str | None) -> str | None:
    if birth is None or on is None:
        return None
    return _age_band(date.fromisoformat(birth[:10]), date.fromisoformat(on[:10]))


def _expected(postgresql: bool) -> str:
    if postgresql:
        day = f"CAST(timezone({ZONE}, p.issued_at) AS date)"

        def part(field: str, value: str) -> str:
            return f"CAST(extract({field} FROM {value}) AS integer)"

        years = (
            f"({part('year', day)} - {part('year', 'p.birth_date')} - CASE WHEN "
            f"{part('month', day)} * 100 + {part('day', day)} < "
            f"{part('month', 'p.birth_date')} * 100 + {part('day', 'p.birth_date')} THEN 1 ELSE 0 END)"
        )
        cases = " ".join(f"WHEN {years} <= {high} THEN '{low}-{high}'" for low, high in BANDS if high)
        band = f"CASE {cases} ELSE '60+' END"
    else:
        day = f"lbt_local_day(p.issued_at, {ZONE})"
        band = f"lbt_age_band(p.birth_date, {day})"
    return (
        f"SELECT {day} AS day, p.agreement_id, p.locality_id, "  # noqa: S608 - constants of this revision
        "CASE WHEN p.replaces_id IS NOT NULL THEN 'replacement' ELSE a.kind END AS kind, "
        f"p.sex, {band} AS age_band, count(*) AS count "
        "FROM permits AS p JOIN applications AS a ON a.id = p.application_id "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )


def upgrade() -> None:
    op.create_table('permit_issue_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('age_band', sa.String(length=8), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count > 0', name=op.f('ck_permit_issue_counts_count_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_permit_issue_counts_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['locality_id'], ['localities.id'], name=op.f('fk_permit_issue_counts_locality_id_localities')),
    sa.PrimaryKeyConstraint('day', 'agreement_id', 'locality_id', 'kind', 'sex', 'age_band', name=op.f('pk_permit_issue_counts'))
    )
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    if not postgresql:
        raw = bind.connection.driver_connection
        raw.create_function('lbt_local_day', 2, _local_day, deterministic=True)
        raw.create_function('lbt_age_band', 2, _sqlite_age_band, deterministic=True)
    op.execute(
        "INSERT INTO permit_issue_counts (day, agreement_id, locality_id, kind, sex, age_band, count) "
        + _expected(postgresql)
    )


def downgrade() -> None:
    op.drop_table('permit_issue_counts')
