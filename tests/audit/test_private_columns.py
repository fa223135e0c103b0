"""A side's internal notes are private to that side: the audit log, which admins and auditors read,
keeps the SHA-256 of a note's text (written, changed, removed), never the text."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.audit.models import AUDIT_PRIVATE, AuditEntry
from lbt.models import Base
from lbt.representatives.models import InternalNote
from lbt.representatives.services import add_internal_note
from tests.fixtures.clients import Client

SECRET = "Push for the water schedule; their deputy is about to be replaced"
CHANGED = "Accept the water schedule only with a deadline in writing"


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def every_entry(db) -> list[str]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return [entry.changes for entry in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def note_entries(db, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    query = select(AuditEntry).where(AuditEntry.entity_type == "internal_notes", AuditEntry.action == action)
    return list(db.scalars(query.order_by(AuditEntry.id)))


def test_a_note_is_logged_by_the_hash_of_its_text_when_written_changed_and_removed(
    app, db, reps, clock, held_meeting
):
    note = add_internal_note(db, reps.tj, held_meeting, SECRET, now=clock.now)
    [created] = note_entries(db, "create")
    assert created.entity_id == str(note.id)
    assert json.loads(created.changes)["text"] == digest(SECRET)
    assert json.loads(created.changes)["state_id"] == reps.tj.state_id  # the rest is logged as before

    note.text = CHANGED
    db.flush()
    [changed] = note_entries(db, "update")
    assert json.loads(changed.changes)["text"] == [digest(SECRET), digest(CHANGED)]

    db.delete(note)
    db.flush()
    [removed] = note_entries(db, "delete")
    assert json.loads(removed.changes)["text"] == digest(CHANGED)

    logged = every_entry(db)
    assert not [changes for changes in logged if SECRET in changes or CHANGED in changes]
    assert not [changes for changes in logged if "water schedule" in changes]


def test_the_auditors_page_shows_the_hash_and_not_the_note(app, db, reps, clock, held_meeting, users):
    meeting_url = f"/representatives/meetings/{held_meeting.id}"
    tj: Client = app.test_client()  # type: ignore[assignment]
    assert tj.login(reps.tj.username).status_code == 302
    assert tj.submit(f"{meeting_url}/notes", {"note-text": SECRET}).status_code == 302
    assert SECRET in tj.get(meeting_url).get_data(as_text=True)  # the side itself still reads it
    for role in (Role.AUDITOR, Role.ADMIN):
        reader: Client = app.test_client()  # type: ignore[assignment]
        assert reader.login(users[role].username).status_code == 302
        page = reader.get("/audit/?entity_type=internal_notes").get_data(as_text=True)
        assert digest(SECRET) in page
        assert "water schedule" not in page


def test_every_private_column_is_marked_on_the_column():
    """The marker sits on the column, so a new private column is treated alike by the one listener."""
    private = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.info == AUDIT_PRIVATE
    }
    assert "internal_notes.text" in private
    assert InternalNote.__table__.c.text.info == AUDIT_PRIVATE
