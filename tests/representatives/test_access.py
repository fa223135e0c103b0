from __future__ import annotations

import pytest

from lbt.accounts.models import Role
from lbt.core.errors import AccessDenied
from lbt.representatives import actions, protocols
from lbt.representatives.models import ActionStatus
from lbt.representatives.services import add_internal_note, can_edit, can_read, internal_notes
from tests.fixtures.factories import make_user


def test_the_other_side_never_reads_a_sides_internal_notes(db, ref, reps, clock, held_meeting):
    note = add_internal_note(db, reps.tj, held_meeting, "Push for the water schedule", now=clock.now)
    add_internal_note(db, reps.kg, held_meeting, "Accept only with a deadline", now=clock.now)
    assert [n.text for n in internal_notes(db, reps.tj, held_meeting)] == ["Push for the water schedule"]
    assert [n.text for n in internal_notes(db, reps.kg, held_meeting)] == ["Accept only with a deadline"]
    assert can_read(reps.kg, held_meeting) and not can_read(reps.kg, note)
    assert not can_edit(reps.kg, note)


def test_a_representative_of_another_section_reads_and_edits_nothing_of_this_one(
    db, ref, reps, clock, held_meeting
):
    note = add_internal_note(db, reps.tj, held_meeting, "Ours", now=clock.now)
    outsider = reps.tj_other_section  # same state, other section
    for record in (held_meeting, held_meeting.agenda[0], held_meeting.exchanges[0], note):
        assert not can_read(outsider, record)
        assert not can_edit(outsider, record)
    assert internal_notes(db, outsider, held_meeting) == []
    with pytest.raises(AccessDenied):
        protocols.write_item_text(
            db, outsider, held_meeting.agenda[0], language="tg", summary="x", now=clock.now
        )
    with pytest.raises(AccessDenied):
        add_internal_note(db, outsider, held_meeting, "Sneak", now=clock.now)


def test_a_user_without_a_representatives_role_cannot_act(db, ref, reps, clock, held_meeting):
    officer = make_user(db, "officer-tj", Role.OFFICER, state=ref.tj, border_sections=[ref.section])
    assert not can_read(officer, held_meeting)
    with pytest.raises(AccessDenied):
        protocols.add_agenda_item(db, officer, held_meeting, "x", now=clock.now)


def test_an_admin_reads_the_shared_records_but_no_sides_notes(db, ref, reps, users, clock, held_meeting):
    note = add_internal_note(db, reps.tj, held_meeting, "Ours", now=clock.now)
    admin = users[Role.ADMIN]
    assert can_read(admin, held_meeting) and not can_read(admin, note)
    assert not can_edit(admin, held_meeting)


def test_progress_notes_belong_to_the_side_that_wrote_them(db, ref, reps, clock, held_meeting):
    action = protocols.add_action(
        db,
        reps.tj,
        held_meeting.agenda[0],
        responsible_state_id=ref.kg.id,
        description="Repair sign",
        due_on=clock.now.date(),
        now=clock.now,
    )
    progress = actions.add_progress_note(
        db, reps.kg, action, "Repaired", status=ActionStatus.DONE, now=clock.now
    )
    assert can_read(reps.tj, progress) and not can_edit(reps.tj, progress) and can_edit(reps.kg, progress)
    secret = add_internal_note(db, reps.kg, action, "Cost us a week", now=clock.now)
    assert not can_read(reps.tj, secret)
