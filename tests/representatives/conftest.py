"""Representatives of both sides of ``ref.section`` (TJ-KG), one of another section, and a meeting
brought up to the point where its record is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.representatives import meetings, protocols
from lbt.representatives.meetings import ParticipantInput, Venue
from lbt.representatives.models import Meeting, MeetingKind
from tests.conftest import Clock, Reference, make_user


@dataclass
class Reps:
    tj: User
    kg: User
    tj_other_section: User  # Tajik, appointed to TJ-UZ only
    uz: User  # the Uzbek side of TJ-UZ


@pytest.fixture
def reps(db: Session, ref: Reference) -> Reps:
    return Reps(
        tj=make_user(db, "rep-tj", Role.REPRESENTATIVE, state=ref.tj, border_sections=[ref.section]),
        kg=make_user(db, "rep-kg", Role.REPRESENTATIVE, state=ref.kg, border_sections=[ref.section]),
        tj_other_section=make_user(
            db, "rep-tj-uz", Role.REPRESENTATIVE, state=ref.tj, border_sections=[ref.other_section]
        ),
        uz=make_user(db, "rep-uz", Role.REPRESENTATIVE, state=ref.uz, border_sections=[ref.other_section]),
    )


def heads(ref: Reference, reps: Reps) -> list[ParticipantInput]:
    return [
        ParticipantInput(ref.tj.id, "Rahimov R.", "border representative", is_head=True, user_id=reps.tj.id),
        ParticipantInput(ref.kg.id, "Asanov A.", "border representative", is_head=True, user_id=reps.kg.id),
        ParticipantInput(ref.kg.id, "Bekova B.", "interpreter"),
    ]


def request(
    db: Session,
    ref: Reference,
    reps: Reps,
    clock: Clock,
    *,
    actor: User | None = None,
    agenda: tuple[str, ...] = ("Grazing near sign 114",),
    **overrides: Any,
) -> Meeting:
    """An ordinary meeting 10 days ahead at a named place, asked by TJ unless told otherwise."""
    values: dict[str, Any] = {
        "section": ref.section,
        "kind": MeetingKind.REGULAR,
        "starts_at": clock.now + timedelta(days=10),
        "venue": Venue(name="Vorukh school"),
        "agenda": list(agenda),
        "participants": heads(ref, reps),
        "now": clock.now,
    }
    values.update(overrides)
    return meetings.request_meeting(db, actor or reps.tj, **values)


def hold(db: Session, ref: Reference, reps: Reps, clock: Clock, meeting: Meeting) -> Meeting:
    """Accept a request and let its day come; the meeting is then held."""
    meetings.accept(db, reps.kg, meeting, now=clock.now)
    clock.now = meeting.starts_at + timedelta(hours=3)
    return meetings.mark_held(db, reps.tj, meeting, now=clock.now)


def write_both_languages(db: Session, reps: Reps, clock: Clock, meeting: Meeting) -> None:
    for item in meeting.agenda:
        protocols.write_item_text(
            db,
            reps.tj,
            item,
            language="tg",
            summary=f"Муҳокима {item.position}",
            decision="Қарор",
            now=clock.now,
        )
        protocols.write_item_text(
            db,
            reps.kg,
            item,
            language="ky",
            summary=f"Талкуу {item.position}",
            decision="Чечим",
            now=clock.now,
        )


@pytest.fixture
def held_meeting(db: Session, ref: Reference, reps: Reps, clock: Clock) -> Meeting:
    meeting = request(db, ref, reps, clock)
    return hold(db, ref, reps, clock, meeting)
