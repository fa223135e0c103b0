from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from lbt.accounts.models import Role
from lbt.core.errors import AccessDenied, ValidationFailed
from lbt.representatives import register
from lbt.representatives.models import Post, Representative
from lbt.representatives.services import WrongStep, can_edit, can_read


def _appoint(db, actor, ref, clock, name, start, post=Post.BORDER_REPRESENTATIVE, **kwargs):
    return register.appoint(
        db,
        actor,
        section=ref.section,
        state=ref.tj,
        post=post,
        full_name=name,
        credentials_number=f"CR-{name[:3]}",
        appointed_from=start,
        now=clock.now,
        **kwargs,
    )


def test_a_replacement_ends_the_previous_holders_appointment_and_keeps_the_history(db, ref, reps, clock):
    first = _appoint(db, reps.tj, ref, clock, "Rahimov", date(2024, 1, 10), user=reps.tj)
    second = _appoint(db, reps.tj, ref, clock, "Saidov", date(2026, 11, 1))
    assert first.appointed_until == date(2026, 11, 1) and second.replaces is first
    assert register.history(db, ref.section, ref.tj, Post.BORDER_REPRESENTATIVE) == [first, second]
    assert register.current_holder(db, ref.section, ref.tj, Post.BORDER_REPRESENTATIVE) is second
    assert register.in_office(db, ref.section, date(2025, 6, 1)) == [first]
    assert first.in_office_on(date(2026, 10, 31)) and not first.in_office_on(date(2026, 11, 1))


def test_a_holder_who_left_on_the_sides_day_can_no_longer_be_replaced(db, ref, reps, clock):
    """At 20:00 UTC on 22 November it is already the 23rd in Dushanbe, the day Rahimov left office."""
    first = _appoint(db, reps.tj, ref, clock, "Rahimov", date(2024, 1, 10))
    _appoint(db, reps.tj, ref, clock, "Saidov", date(2026, 11, 23))
    clock.now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    with pytest.raises(WrongStep):
        _appoint(db, reps.tj, ref, clock, "Olimov", date(2026, 11, 23), replaces=first)


def test_deputies_and_staff_serve_side_by_side(db, ref, reps, clock):
    deputy = _appoint(db, reps.tj, ref, clock, "Karimov", date(2025, 1, 1), post=Post.DEPUTY)
    interpreter = _appoint(db, reps.tj, ref, clock, "Nazarova", date(2025, 1, 1), post=Post.INTERPRETER)
    other_deputy = _appoint(db, reps.tj, ref, clock, "Olimov", date(2025, 2, 1), post=Post.DEPUTY)
    assert deputy.appointed_until is None and other_deputy.appointed_until is None
    assert register.in_office(db, ref.section, date(2025, 3, 1)) == [deputy, other_deputy, interpreter]


def test_the_database_refuses_two_border_representatives_in_office_on_one_side(db, ref, reps, clock):
    _appoint(db, reps.tj, ref, clock, "Rahimov", date(2024, 1, 10))
    db.add(
        Representative(
            section_id=ref.section.id,
            state_id=ref.tj.id,
            post=Post.BORDER_REPRESENTATIVE,
            full_name="Intruder",
            credentials_number="X",
            appointed_from=date(2025, 1, 1),
        )
    )
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_each_state_keeps_only_its_own_appointments(db, ref, reps, users, clock):
    with pytest.raises(AccessDenied):
        _appoint(db, reps.kg, ref, clock, "Rahimov", date(2024, 1, 10))
    with pytest.raises(ValidationFailed):
        register.appoint(
            db,
            users[Role.ADMIN],
            section=ref.section,
            state=ref.uz,
            post=Post.DEPUTY,
            full_name="X",
            credentials_number="1",
            appointed_from=date(2024, 1, 1),
            now=clock.now,
        )
    chief = _appoint(db, users[Role.ADMIN], ref, clock, "Rahimov", date(2024, 1, 10))
    assert can_read(reps.kg, chief) and not can_edit(reps.kg, chief) and can_edit(reps.tj, chief)
    with pytest.raises(ValidationFailed):  # a linked account must be of the same state
        _appoint(db, reps.tj, ref, clock, "Saidov", date(2026, 1, 1), post=Post.DEPUTY, user=reps.kg)
