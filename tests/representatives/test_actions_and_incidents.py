from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from lbt.core.errors import AccessDenied, ValidationFailed
from lbt.representatives import actions, incidents, protocols
from lbt.representatives.incidents import IncidentInput
from lbt.representatives.models import (
    ActionStatus,
    AgendaKind,
    HandOverKind,
    IncidentStatus,
    IncidentType,
    Meeting,
    MeetingKind,
)
from lbt.representatives.services import WrongStep, can_read
from tests.fixtures.database import Clock
from tests.fixtures.factories import Reference
from tests.fixtures.representatives import Reps, hold, request


def _livestock(clock: Clock, **kwargs: object) -> IncidentInput:
    values: dict[str, object] = {
        "type": IncidentType.STRAY_LIVESTOCK,
        "occurred_at": clock.now - timedelta(hours=6),
        "description": "Twelve sheep crossed near sign 114",
        "border_sign": "114",
        "latitude": Decimal("39.981234"),
        "longitude": Decimal("70.571234"),
        "animals_involved": 12,
    }
    values.update(kwargs)
    return IncidentInput(**values)  # type: ignore[arg-type]


def _action_on(db: Session, ref: Reference, reps: Reps, clock: Clock, meeting: Meeting, days: int = 14):
    return protocols.add_action(
        db,
        reps.tj,
        meeting.agenda[0],
        responsible_state_id=ref.tj.id,
        description="Return the sheep",
        due_on=clock.now.date() + timedelta(days=days),
        now=clock.now,
    )


def test_an_action_past_its_due_date_is_overdue(db, ref, reps, clock, held_meeting):
    action = _action_on(db, ref, reps, clock, held_meeting, days=3)
    finished = _action_on(db, ref, reps, clock, held_meeting, days=1)
    actions.set_status(db, reps.kg, finished, ActionStatus.DONE, now=clock.now)
    clock.advance(days=3)
    assert actions.overdue_actions(db, clock.now) == []  # the due day itself is still in time
    clock.advance(days=1)
    assert actions.overdue_actions(db, clock.now) == [action]
    assert actions.overdue_actions(db, clock.now, section_ids=[ref.other_section.id]) == []


def test_a_deadline_ends_at_midnight_on_the_sections_clock_not_in_utc(db, ref, reps, clock, held_meeting):
    """SEC-1 keeps Dushanbe's clock (UTC+5): at 19:30 UTC on the due day it is already the next day there."""
    action = _action_on(db, ref, reps, clock, held_meeting, days=3)
    due = datetime.combine(action.due_on, datetime.min.time(), tzinfo=UTC)
    assert actions.overdue_actions(db, due + timedelta(hours=18, minutes=59)) == []  # 23:59 local
    assert actions.overdue_actions(db, due + timedelta(hours=19, minutes=30)) == [action]  # 00:30 local


def test_open_actions_appear_on_the_next_meetings_agenda_as_earlier_decisions(
    db, ref, reps, clock, held_meeting
):
    action = _action_on(db, ref, reps, clock, held_meeting)
    done = _action_on(db, ref, reps, clock, held_meeting)
    actions.add_progress_note(db, reps.tj, done, "Returned", status=ActionStatus.DONE, now=clock.now)
    following = request(db, ref, reps, clock, agenda=("Water",))
    assert [(i.position, i.kind, i.reviewed_action_id) for i in following.agenda] == [
        (1, AgendaKind.EARLIER_DECISION, action.id),
        (2, AgendaKind.ITEM, None),
    ]


def test_either_side_reports_progress_and_a_closed_action_stays_closed(db, ref, reps, clock, held_meeting):
    action = _action_on(db, ref, reps, clock, held_meeting)
    actions.add_progress_note(
        db, reps.tj, action, "Owners found", status=ActionStatus.IN_PROGRESS, now=clock.now
    )
    with pytest.raises(ValidationFailed):
        actions.set_status(db, reps.kg, action, ActionStatus.ESCALATED, now=clock.now)
    actions.set_status(db, reps.kg, action, ActionStatus.ESCALATED, note="Death at the border", now=clock.now)
    assert [(n.state_id, n.status) for n in action.notes] == [
        (ref.tj.id, ActionStatus.IN_PROGRESS),
        (ref.kg.id, ActionStatus.ESCALATED),
    ]
    with pytest.raises(WrongStep):
        actions.set_status(db, reps.tj, action, ActionStatus.DONE, now=clock.now)
    with pytest.raises(AccessDenied):
        actions.add_progress_note(db, reps.uz, action, "Not ours", now=clock.now)


def test_incident_to_agenda_to_decision_to_action_to_done_is_visible_from_each_end(db, ref, reps, clock):
    incident = incidents.report_incident(
        db, reps.kg, ref.section, _livestock(clock, is_shared=True), now=clock.now
    )
    meeting = request(
        db,
        ref,
        reps,
        clock,
        kind=MeetingKind.URGENT,
        starts_at=clock.now + timedelta(hours=3),
        agenda=(),
        incidents=[incident],
    )
    assert meeting.agenda[0].kind is AgendaKind.INCIDENT and meeting.agenda[0].incident_id == incident.id
    hold(db, ref, reps, clock, meeting)
    action = _action_on(db, ref, reps, clock, meeting)
    incidents.set_incident_status(db, reps.kg, incident, IncidentStatus.JOINT_INVESTIGATION)
    actions.set_status(db, reps.tj, action, ActionStatus.DONE, note="Sheep handed back", now=clock.now)

    assert incidents.meetings_of(incident) == [meeting]
    assert incidents.decisions_of(incident) == [action]
    assert incidents.incident_of(action) is incident
    assert action.status is ActionStatus.DONE and action.completed_at == clock.now
    assert actions.overdue_actions(db, clock.now + timedelta(days=60)) == []


def test_a_hand_over_act_needs_both_sides_confirmation(db, ref, reps, clock):
    incident = incidents.report_incident(
        db, reps.kg, ref.section, _livestock(clock, is_shared=True), now=clock.now
    )
    act = incidents.record_hand_over(
        db,
        reps.kg,
        section=ref.section,
        incident=incident,
        kind=HandOverKind.LIVESTOCK,
        count=12,
        handing_state_id=ref.kg.id,
        handed_over_at=clock.now,
        now=clock.now,
    )
    assert act.receiving_state_id == ref.tj.id and not act.is_confirmed
    with pytest.raises(WrongStep):
        incidents.confirm_hand_over(db, reps.kg, act, now=clock.now)
    incidents.confirm_hand_over(db, reps.tj, act, now=clock.now)
    assert act.is_confirmed and act.receiving_confirmed_by_id == reps.tj.id
    with pytest.raises(ValidationFailed):
        incidents.record_hand_over(
            db,
            reps.kg,
            section=ref.section,
            kind=HandOverKind.PERSONS,
            count=0,
            handing_state_id=ref.kg.id,
            handed_over_at=clock.now,
            now=clock.now,
        )


def test_an_incidents_place_and_coordinates_are_checked(db, ref, reps, clock):
    with pytest.raises(ValidationFailed) as error:
        incidents.report_incident(
            db, reps.tj, ref.section, _livestock(clock, latitude=Decimal("91")), now=clock.now
        )
    assert error.value.field == "latitude"
    with pytest.raises(ValidationFailed) as error:
        incidents.report_incident(db, reps.tj, ref.section, _livestock(clock, border_sign=""), now=clock.now)
    assert error.value.field == "landmark"
    with pytest.raises(ValidationFailed):
        incidents.report_incident(db, reps.tj, ref.section, _livestock(clock, longitude=None), now=clock.now)


def test_an_incident_is_seen_by_the_other_side_only_once_shared(db, ref, reps, clock):
    incident = incidents.report_incident(db, reps.tj, ref.section, _livestock(clock), now=clock.now)
    assert can_read(reps.tj, incident) and not can_read(reps.kg, incident)
    assert incidents.visible_incidents(db, reps.kg, ref.section) == []
    with pytest.raises(WrongStep):
        incidents.set_incident_status(db, reps.tj, incident, IncidentStatus.JOINT_INVESTIGATION)
    incidents.share_incident(db, reps.tj, incident)
    assert incidents.visible_incidents(db, reps.kg, ref.section) == [incident]
    with pytest.raises(AccessDenied):  # the other side reads it, never edits it
        incidents.set_incident_status(db, reps.kg, incident, IncidentStatus.RESOLVED)
