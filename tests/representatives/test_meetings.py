from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from lbt.core.errors import AccessDenied, ValidationFailed
from lbt.reference.models import CrossingPoint, CrossingPointKind
from lbt.representatives import meetings
from lbt.representatives.meetings import Venue
from lbt.representatives.models import ExchangeKind, Meeting, MeetingKind, MeetingStatus
from lbt.representatives.services import NotYourTurn, WrongStep
from tests.fixtures.database import Clock
from tests.fixtures.factories import Reference
from tests.fixtures.representatives import Reps, hold, request


def _urgent(db: Session, ref: Reference, reps: Reps, clock: Clock, **overrides: object) -> Meeting:
    values: dict[str, object] = {
        "kind": MeetingKind.URGENT,
        "starts_at": clock.now + timedelta(hours=2),
        "venue": Venue(name="Sign 114"),
        "agenda": ("Shooting near sign 114",),
    }
    values.update(overrides)
    return request(db, ref, reps, clock, actor=reps.kg, **values)


def test_an_ordinary_meeting_must_be_proposed_at_least_7_days_ahead(db, ref, reps, clock):
    with pytest.raises(ValidationFailed) as error:
        request(db, ref, reps, clock, starts_at=clock.now + timedelta(days=6, hours=23))
    assert error.value.field == "starts_at"
    assert "7 days" in str(error.value)


def test_an_urgent_meeting_may_be_held_at_once(db, ref, reps, clock):
    meeting = _urgent(db, ref, reps, clock, starts_at=clock.now)
    assert meeting.status is MeetingStatus.REQUESTED
    assert meeting.reply_due_at == clock.now  # no later than the meeting itself


def test_the_notice_and_reply_rules_are_set_per_section(db, ref, reps, clock):
    meetings.set_rules(db, ref.section, min_notice_days=3, reply_hours=72)
    meeting = request(db, ref, reps, clock, starts_at=clock.now + timedelta(days=4))
    assert meeting.reply_due_at == clock.now + timedelta(hours=72)


def test_the_first_meeting_is_hosted_by_the_side_that_asks(db, ref, reps, clock):
    meeting = request(db, ref, reps, clock)
    assert meeting.host_state_id == ref.tj.id
    assert meeting.awaiting_state_id == ref.kg.id
    assert meeting.reply_due_at == clock.now + timedelta(hours=48)


def test_hosts_alternate_after_each_held_meeting(db, ref, reps, clock):
    first = request(db, ref, reps, clock)
    hold(db, ref, reps, clock, first)
    assert meetings.proposed_host(db, ref.section, ref.tj.id) == ref.kg.id
    second = request(db, ref, reps, clock)
    assert second.host_state_id == ref.kg.id
    hold(db, ref, reps, clock, second)
    assert request(db, ref, reps, clock).host_state_id == ref.tj.id


@pytest.fixture
def kyrgyz_point(db, ref) -> CrossingPoint:  # type: ignore[no-untyped-def]
    """The Kyrgyz post of a crossing point (the fixtures' own posts are the Tajik instance's)."""
    point = CrossingPoint(
        code="KG-TJ-09",
        name="Kyzyl-Bel (KG)",
        kind=CrossingPointKind.ROAD,
        agreement=ref.agreement,
        state=ref.kg,
    )
    db.add(point)
    db.flush()
    return point


def test_a_crossing_point_must_stand_on_the_hosts_territory(db, ref, reps, clock, kyrgyz_point):
    with pytest.raises(ValidationFailed) as error:
        # a Kyrgyz crossing point, while TJ would host
        request(db, ref, reps, clock, venue=Venue(crossing_point=kyrgyz_point))
    assert error.value.field == "crossing_point_id"


def test_request_counter_proposal_accept_keeps_the_whole_exchange(db, ref, reps, clock, kyrgyz_point):
    meeting = request(db, ref, reps, clock)
    clock.advance(hours=5)
    later = meeting.starts_at + timedelta(days=2)
    meetings.counter_propose(
        db,
        reps.kg,
        meeting,
        starts_at=later,
        venue=Venue(crossing_point=kyrgyz_point, host_state_id=ref.kg.id),
        reason="Our delegation is away that day",
        now=clock.now,
    )
    assert meeting.awaiting_state_id == ref.tj.id  # the side that must answer alternates
    assert meeting.reply_due_at == clock.now + timedelta(hours=48)
    with pytest.raises(NotYourTurn):
        meetings.accept(db, reps.kg, meeting, now=clock.now)
    meetings.accept(db, reps.tj, meeting, now=clock.now)

    assert meeting.status is MeetingStatus.SCHEDULED
    assert meeting.starts_at == later and meeting.host_state_id == ref.kg.id
    assert [(e.kind, e.state_id) for e in meeting.exchanges] == [
        (ExchangeKind.PROPOSED, ref.tj.id),
        (ExchangeKind.COUNTER_PROPOSED, ref.kg.id),
        (ExchangeKind.ACCEPTED, ref.tj.id),
    ]
    assert meeting.exchanges[0].venue_name == "Vorukh school"
    assert meeting.exchanges[1].crossing_point_id == kyrgyz_point.id
    with pytest.raises(WrongStep):
        meetings.decline(db, reps.kg, meeting, reason="Too late", now=clock.now)


def test_a_meeting_cannot_be_refused_without_a_reason(db, ref, reps, clock):
    meeting = request(db, ref, reps, clock)
    with pytest.raises(ValidationFailed):
        meetings.decline(db, reps.kg, meeting, reason="  ", now=clock.now)
    meetings.decline(db, reps.kg, meeting, reason="Floods on the road", now=clock.now)
    assert meeting.status is MeetingStatus.DECLINED
    assert meeting.exchanges[-1].reason == "Floods on the road"


def test_an_unanswered_request_past_its_reply_deadline_is_overdue(db, ref, reps, clock):
    meeting = request(db, ref, reps, clock)
    answered = request(db, ref, reps, clock, agenda=("Other",))
    meetings.accept(db, reps.kg, answered, now=clock.now)
    clock.advance(hours=47)
    assert meetings.overdue_requests(db, clock.now) == []
    clock.advance(hours=2)
    assert meetings.overdue_requests(db, clock.now) == [meeting]
    assert meetings.overdue_requests(db, clock.now, section_ids=[ref.other_section.id]) == []


def test_only_a_representative_of_the_section_may_request_a_meeting(db, ref, reps, clock):
    with pytest.raises(AccessDenied):
        request(db, ref, reps, clock, actor=reps.tj_other_section, starts_at=clock.now + timedelta(days=8))


def test_the_upcoming_meetings_of_a_section_are_listed_soonest_first(db, ref, reps, clock):
    later = request(db, ref, reps, clock)
    sooner = _urgent(db, ref, reps, clock)
    assert meetings.upcoming_meetings(db, ref.section, clock.now) == [sooner, later]
