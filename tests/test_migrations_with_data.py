"""The report summaries' revisions (0026: first decisions, longest stays; 0027: permits issued per
local day) on a database with data in it: the demo loaded at head, taken down to 0025 (the summaries
dropped) and up again, the back-fills give back exactly what the writes had kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select, text

from lbt import create_app
from lbt.accounts.models import User
from lbt.cli import main
from lbt.core.migrate import current_revision, downgrade, head_revision, upgrade
from lbt.core.settings import Settings
from lbt.crossings import services as crossings
from lbt.crossings.models import Direction
from lbt.permits.models import Permit, PermitStatus
from tests.dbutil import temporary_database

KEPT = {
    "first decisions": "SELECT id, first_decided_at, first_decided_on FROM applications ORDER BY id",
    "longest stays": "SELECT permit_id, max_stay_days FROM permit_presence ORDER BY permit_id",
    "permits issued": "SELECT day, agreement_id, locality_id, kind, sex, age_band, count"
    " FROM permit_issue_counts ORDER BY day, agreement_id, locality_id, kind, sex, age_band",
}


def _kept(engine) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(text(sql))] for name, sql in KEPT.items()}


def _an_entry(app, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """A holder of an active demo permit enters at the demo guard's first post a minute before ``now``."""
    with app.extensions["lbt"].database.transaction() as session:
        guard = session.scalars(select(User).where(User.username == "guard")).one()
        point = sorted(guard.crossing_points, key=lambda point: point.code)[0]
        permit = session.scalars(
            select(Permit)
            .where(Permit.status == PermitStatus.ACTIVE, Permit.agreement_id == point.agreement_id)
            .order_by(Permit.id)
        ).first()
        assert permit is not None
        crossings.record(
            session,
            client_id=str(uuid.uuid4()),
            permit=permit,
            crossing_point=point,
            direction=Direction.ENTRY,
            at=now - timedelta(minutes=1),
            officer=guard,
            now=now,
        )


def test_the_summaries_back_filled_equal_those_kept_by_the_writes(tmp_path):
    with temporary_database(tmp_path, "lbt_migrations_data") as url:
        settings = Settings(
            instance_path=tmp_path / "instance", database_url=url, secret_key="k" * 40, testing=True
        )
        app = create_app(settings)
        app.extensions["lbt"].clock = lambda: datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
        engine = app.extensions["lbt"].database.engine
        try:
            result = CliRunner().invoke(main, ["demo"], obj=ScriptInfo(create_app=lambda: app))
            assert result.exit_code == 0, result.output
            _an_entry(app, datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
            written = _kept(engine)
            assert all(written.values()), {name: len(rows) for name, rows in written.items()}
            assert any(row[1] is not None for row in written["first decisions"])

            downgrade(engine, "0025")
            assert current_revision(engine) == "0025"
            upgrade(engine)
            assert current_revision(engine) == head_revision(engine)
            assert _kept(engine) == written
        finally:
            app.extensions["lbt"].database.dispose()
