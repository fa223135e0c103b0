from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from lbt.core.errors import AccessDenied, ValidationFailed
from lbt.representatives import meetings, protocols
from lbt.representatives.canonical import content_of
from lbt.representatives.meetings import ParticipantInput
from lbt.representatives.models import Meeting, ProtocolKind, ProtocolStatus
from lbt.representatives.services import ProtocolLocked, WrongStep, can_edit
from tests.fixtures.database import Clock
from tests.fixtures.representatives import Reps, hold, request, write_both_languages


def _frozen(db: Session, reps: Reps, clock: Clock, meeting: Meeting):
    write_both_languages(db, reps, clock, meeting)
    return protocols.freeze_protocol(db, reps.tj, meeting, now=clock.now)


def test_request_counter_proposal_accept_record_approval_by_both_signs_and_locks(db, ref, reps, clock):
    meeting = request(db, ref, reps, clock)
    meetings.counter_propose(
        db, reps.kg, meeting, starts_at=meeting.starts_at + timedelta(days=1), now=clock.now
    )
    meetings.accept(db, reps.tj, meeting, now=clock.now)
    clock.now = meeting.starts_at + timedelta(hours=2)
    meetings.mark_held(db, reps.kg, meeting, now=clock.now)
    item = meeting.agenda[0]
    action = protocols.add_action(
        db,
        reps.kg,
        item,
        responsible_state_id=ref.kg.id,
        description="Repair sign 114",
        due_on=clock.now.date() + timedelta(days=30),
        now=clock.now,
    )
    protocol = _frozen(db, reps, clock, meeting)

    first = protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    assert protocol.status is ProtocolStatus.DRAFT
    clock.advance(hours=1)
    second = protocols.approve_protocol(db, reps.kg, protocol, now=clock.now)

    assert protocol.status is ProtocolStatus.SIGNED and protocol.signed_at == clock.now
    assert (
        first.content_sha256 == second.content_sha256 == hashlib.sha256(protocol.content.encode()).hexdigest()
    )
    assert protocols.approval_is_valid(first) and protocols.approval_is_valid(second)
    document = json.loads(protocol.content)
    texts = document["record"]["agenda"][0]["texts"]
    assert texts["tg"]["summary"] == "Муҳокима 1" and texts["ky"]["decision"] == "Чечим"
    assert document["record"]["agenda"][0]["actions"][0]["id"] == action.id
    assert not can_edit(reps.tj, item)


def test_an_edit_after_the_first_approval_voids_it(db, ref, reps, clock, held_meeting):
    protocol = _frozen(db, reps, clock, held_meeting)
    approval = protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    clock.advance(minutes=10)

    protocols.write_item_text(
        db, reps.kg, held_meeting.agenda[0], language="ky", summary="Талкуу, оңдолгон", now=clock.now
    )

    assert approval.voided_at == clock.now
    assert not protocols.approval_is_valid(approval)
    with pytest.raises(WrongStep):  # the other side cannot approve a record that changed since it was frozen
        protocols.approve_protocol(db, reps.kg, protocol, now=clock.now)
    protocols.freeze_protocol(db, reps.kg, held_meeting, now=clock.now)
    assert protocol.version == 2 and protocol.content_sha256 != approval.content_sha256
    protocols.approve_protocol(db, reps.kg, protocol, now=clock.now)
    assert protocol.status is ProtocolStatus.DRAFT  # TJ's approval was of the old content
    protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    assert protocol.status is ProtocolStatus.SIGNED


def test_the_stored_hash_no_longer_matching_the_content_voids_an_approval(db, ref, reps, clock, held_meeting):
    protocol = _frozen(db, reps, clock, held_meeting)
    approval = protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    held_meeting.agenda[0].texts[0].summary = "changed behind the services' back"
    db.flush()
    assert approval.voided_at is None
    assert not protocols.approval_is_valid(approval)


def test_a_locked_protocol_refuses_edits(db, ref, reps, clock, held_meeting):
    protocol = _frozen(db, reps, clock, held_meeting)
    protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    protocols.approve_protocol(db, reps.kg, protocol, now=clock.now)
    item = held_meeting.agenda[0]
    with pytest.raises(ProtocolLocked):
        protocols.write_item_text(db, reps.tj, item, language="tg", summary="late change", now=clock.now)
    with pytest.raises(ProtocolLocked):
        protocols.add_agenda_item(db, reps.tj, held_meeting, "One more thing", now=clock.now)
    with pytest.raises(ProtocolLocked):
        protocols.add_action(
            db,
            reps.tj,
            item,
            responsible_state_id=ref.tj.id,
            description="x",
            due_on=clock.now.date(),
            now=clock.now,
        )
    with pytest.raises(ProtocolLocked):
        protocols.freeze_protocol(db, reps.tj, held_meeting, now=clock.now)
    assert item.text_in("tg").summary == "Муҳокима 1"
    assert content_of(protocol)[1] == protocol.content_sha256


def test_a_correction_after_signature_is_an_addendum_approved_the_same_way(
    db, ref, reps, clock, held_meeting
):
    protocol = _frozen(db, reps, clock, held_meeting)
    protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    protocols.approve_protocol(db, reps.kg, protocol, now=clock.now)
    with pytest.raises(ValidationFailed):
        protocols.add_addendum(db, reps.tj, held_meeting, {"tg": "Ислоҳ"}, now=clock.now)
    addendum = protocols.add_addendum(
        db, reps.tj, held_meeting, {"tg": "Ислоҳ", "ky": "Оңдоо"}, now=clock.now
    )
    assert addendum.kind is ProtocolKind.ADDENDUM and addendum.number == 1
    assert json.loads(addendum.content)["amends_sha256"] == protocol.content_sha256
    approval = protocols.approve_protocol(db, reps.tj, addendum, now=clock.now)
    protocols.edit_addendum(db, reps.kg, addendum, {"tg": "Ислоҳ 2", "ky": "Оңдоо 2"}, now=clock.now)
    assert approval.voided_at == clock.now
    protocols.approve_protocol(db, reps.tj, addendum, now=clock.now)
    protocols.approve_protocol(db, reps.kg, addendum, now=clock.now)
    assert addendum.status is ProtocolStatus.SIGNED
    with pytest.raises(ProtocolLocked):
        protocols.edit_addendum(db, reps.kg, addendum, {"tg": "x", "ky": "y"}, now=clock.now)


def test_a_protocol_is_drawn_up_in_both_working_languages(db, ref, reps, clock, held_meeting):
    protocols.write_item_text(
        db, reps.tj, held_meeting.agenda[0], language="tg", summary="Муҳокима", now=clock.now
    )
    with pytest.raises(ValidationFailed) as error:
        protocols.freeze_protocol(db, reps.tj, held_meeting, now=clock.now)
    assert "ky" in str(error.value)
    with pytest.raises(ValidationFailed):
        protocols.write_item_text(
            db, reps.tj, held_meeting.agenda[0], language="uz", summary="x", now=clock.now
        )


def test_only_a_sides_head_of_delegation_approves(db, ref, reps, clock):
    head_without_account = ParticipantInput(ref.tj.id, "Rahimov R.", "head", is_head=True)
    meeting = request(db, ref, reps, clock, participants=[head_without_account])
    hold(db, ref, reps, clock, meeting)
    protocol = _frozen(db, reps, clock, meeting)
    with pytest.raises(AccessDenied):
        protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)  # head recorded without an account
    with pytest.raises(AccessDenied):
        protocols.approve_protocol(db, reps.tj_other_section, protocol, now=clock.now)


def test_the_canonical_document_is_the_same_for_the_same_record(db, ref, reps, clock, held_meeting):
    protocol = _frozen(db, reps, clock, held_meeting)
    db.expire_all()
    assert content_of(protocol) == (protocol.content, protocol.content_sha256)
    assert protocols.freeze_protocol(db, reps.kg, held_meeting, now=clock.now).version == 1
