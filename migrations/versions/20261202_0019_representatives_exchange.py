"""the border representatives' work over the partner exchange (issue 13): a UUID on every shared
record (appointments, meetings, participants, agenda items, protocols, actions, incidents, hand-over
acts), backfilled; authors and approvers may be people of the partner's instance (no user here:
the approval names the partner's message); the freeze rounds of a protocol; a partner's crossing point
by its code; the changes one side refused from the other (refused_changes)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

import json
import uuid

from alembic import op
import sqlalchemy as sa


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

SHARED = (
    "representatives",
    "meetings",
    "meeting_participants",
    "agenda_items",
    "protocols",
    "actions",
    "incidents",
    "hand_over_acts",
)
# (table, column) that name a user of this instance, NULL once the partner's instance wrote the row
AUTHORS = (
    ("meetings", "proposed_by_id"),
    ("meeting_exchanges", "user_id"),
    ("protocol_approvals", "user_id"),
    ("action_notes", "user_id"),
    ("incidents", "reported_by_id"),
)


def _backfill_uuids(table: str) -> None:
    bind = op.get_bind()
    ids = bind.execute(sa.text(f"SELECT id FROM {table}")).scalars().all()
    for row_id in ids:
        bind.execute(
            sa.text(f"UPDATE {table} SET uuid = :uuid WHERE id = :id"),
            {"uuid": str(uuid.uuid4()), "id": row_id},
        )


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=False, server_default="")


# the columns each table gets (SQLite adds them in place), before the one rebuild of the table below
ADDED = {
    "representatives": lambda: [_text("received_in", 36), _text("sent_sha256", 64)],
    "meetings": lambda: [
        _text("crossing_point_code", 20),
        sa.Column("is_exchanged", sa.Boolean(), nullable=False, server_default=sa.false()),
    ],
    "protocols": lambda: [sa.Column("freeze_hashes", sa.JSON(), nullable=True)],
    "protocol_approvals": lambda: [_text("message_id", 36)],
    "incidents": lambda: [_text("sent_sha256", 64)],
    "hand_over_acts": lambda: [_text("sent_sha256", 64)],
}
DEFAULTED = {
    "representatives": ("received_in", "sent_sha256"),
    "meetings": ("crossing_point_code", "is_exchanged"),
    "protocol_approvals": ("message_id",),
    "incidents": ("sent_sha256",),
    "hand_over_acts": ("sent_sha256",),
}
# (table, name, condition before, condition after) of the CHECK constraints that change
CHECKS = (
    (
        "meetings",
        "venue",
        "crossing_point_id IS NOT NULL OR venue_name <> ''",
        "crossing_point_id IS NOT NULL OR venue_name <> '' OR crossing_point_code <> ''",
    ),
    (
        "hand_over_acts",
        "handing",
        "(handing_confirmed_at IS NULL) = (handing_confirmed_by_id IS NULL)",
        "handing_confirmed_by_id IS NULL OR handing_confirmed_at IS NOT NULL",
    ),
    (
        "hand_over_acts",
        "receiving",
        "(receiving_confirmed_at IS NULL) = (receiving_confirmed_by_id IS NULL)",
        "receiving_confirmed_by_id IS NULL OR receiving_confirmed_at IS NOT NULL",
    ),
)


def upgrade() -> None:
    for table in sorted({*SHARED, *ADDED}):
        with op.batch_alter_table(table) as batch:  # SQLite: ALTER TABLE ... ADD COLUMN, no rebuild
            if table in SHARED:
                batch.add_column(sa.Column("uuid", sa.String(length=36), nullable=True))
            for column in ADDED.get(table, list)():
                batch.add_column(column)
    for table in SHARED:
        _backfill_uuids(table)
    bind = op.get_bind()
    for protocol_id, digest in bind.execute(sa.text("SELECT id, content_sha256 FROM protocols")).all():
        # a protocol frozen before counts as frozen once: its rounds start from what it holds now
        bind.execute(
            sa.text("UPDATE protocols SET freeze_hashes = :hashes WHERE id = :id"),
            {"hashes": json.dumps([digest] if digest else []), "id": protocol_id},
        )
    authors = dict(AUTHORS)
    for table in sorted({*SHARED, *ADDED, *authors}):
        # everything else of a table in one batch: on SQLite one rebuild of the table
        with op.batch_alter_table(table) as batch:
            if table in SHARED:
                batch.alter_column("uuid", existing_type=sa.String(length=36), nullable=False)
                batch.create_unique_constraint(batch.f(f"uq_{table}_uuid"), ["uuid"])
            if table in authors:
                batch.alter_column(authors[table], existing_type=sa.Integer(), nullable=True)
            for column in DEFAULTED.get(table, ()):
                batch.alter_column(column, server_default=None)
            if table == "protocols":
                batch.alter_column("freeze_hashes", existing_type=sa.JSON(), nullable=False)
            if table == "protocol_approvals":
                batch.create_check_constraint(
                    batch.f("ck_protocol_approvals_approver"), "user_id IS NOT NULL OR message_id <> ''"
                )
            for checked, name, _before, after in CHECKS:
                if checked == table:
                    batch.drop_constraint(batch.f(f"ck_{table}_{name}"), type_="check")
                    batch.create_check_constraint(batch.f(f"ck_{table}_{name}"), after)

    op.create_table(
        "refused_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "frozen",
                "superseded",
                "reopened",
                "withdrawn",
                "conflict",
                name="reason",
                native_enum=False,
                create_constraint=True,
                length=18,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("against_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_refused_changes_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["state_id"], ["states.id"], name=op.f("fk_refused_changes_state_id_states")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refused_changes")),
    )
    with op.batch_alter_table("refused_changes") as batch:
        batch.create_index("ix_refused_changes_meeting_id", ["meeting_id", "message_id"], unique=True)


def downgrade() -> None:
    bind = op.get_bind()
    named_by_uuid = bind.scalar(
        sa.text('SELECT count(*) FROM protocols WHERE content LIKE \'{"format":"lbt-protocol/3"%\'')
    )
    if named_by_uuid:
        raise RuntimeError(
            f"{named_by_uuid} protocol(s) were frozen in lbt-protocol/3, which names records by the ids this "
            "revision adds: without them their approvals would no longer hold; downgrade refused"
        )
    for table, column in AUTHORS:
        count = bind.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE {column} IS NULL"))
        if count:
            raise RuntimeError(
                f"{count} row(s) of {table} came from the partner's instance (no user here): "
                "revision 0018 cannot hold them; remove them first"
            )
    confirmed_remotely = bind.scalar(
        sa.text(
            "SELECT count(*) FROM hand_over_acts WHERE (handing_confirmed_at IS NOT NULL AND handing_confirmed_by_id IS NULL)"
            " OR (receiving_confirmed_at IS NOT NULL AND receiving_confirmed_by_id IS NULL)"
        )
    )
    if confirmed_remotely:
        raise RuntimeError(
            f"{confirmed_remotely} hand-over act(s) were confirmed on the partner's instance: remove them first"
        )
    partner_points = bind.scalar(
        sa.text("SELECT count(*) FROM meetings WHERE crossing_point_id IS NULL AND venue_name = ''")
    )
    if partner_points:
        raise RuntimeError(
            f"{partner_points} meeting(s) take place at a crossing point of the partner only: remove them first"
        )

    with op.batch_alter_table("refused_changes") as batch:
        batch.drop_index("ix_refused_changes_meeting_id")
    op.drop_table("refused_changes")
    authors = dict(AUTHORS)
    for table in sorted({*SHARED, *ADDED, *authors}):
        with op.batch_alter_table(table) as batch:  # on SQLite one rebuild of each table
            for checked, name, before, _after in CHECKS:
                if checked == table:
                    batch.drop_constraint(batch.f(f"ck_{table}_{name}"), type_="check")
                    batch.create_check_constraint(batch.f(f"ck_{table}_{name}"), before)
            if table == "protocol_approvals":
                batch.drop_constraint(batch.f("ck_protocol_approvals_approver"), type_="check")
            for column in ADDED.get(table, list)():
                batch.drop_column(column.name)
            if table in authors:
                batch.alter_column(authors[table], existing_type=sa.Integer(), nullable=False)
            if table in SHARED:
                batch.drop_constraint(batch.f(f"uq_{table}_uuid"), type_="unique")
                batch.drop_column("uuid")
