from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from lbt.core.errors import AccessDenied, ValidationFailed
from lbt.representatives import delegations, meetings, protocols
from lbt.representatives.canonical import content_of
from lbt.representatives.delegations import from_register, guest
from lbt.representatives.meetings import ParticipantInput
from lbt.representatives.models import Meeting, ProtocolKind, ProtocolStatus
from lbt.representatives.services import ProtocolLocked, WrongStep, can_edit
from tests.fixtures.database import Clock
from tests.fixtures.representatives import Reps, appoint_chiefs, hold, request, write_both_languages


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
    assert (
        document["record"]["agenda"][0]["actions"][0]["id"] == action.uuid
    )  # lbt-protocol/3 names records by the ids both instances share
    assert not can_edit(reps.tj, item)


def test_a_frozen_record_changes_only_after_an_explicit_reopening_that_voids_the_approvals(
    db, ref, reps, clock, held_meeting
):
    protocol = _frozen(db, reps, clock, held_meeting)
    approval = protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    clock.advance(minutes=10)

    with pytest.raises(WrongStep) as refused:  # no silent void: the change is refused, saying why
        protocols.write_item_text(
            db, reps.kg, held_meeting.agenda[0], language="ky", summary="Талкуу, оңдолгон", now=clock.now
        )
    assert "reopen" in str(refused.value)
    with pytest.raises(WrongStep):
        protocols.record_participant(
            db, reps.kg, held_meeting, guest(ref.kg.id, "Osmonov O.", "expert"), now=clock.now
        )
    assert approval.voided_at is None and protocols.approval_is_valid(approval)
    with pytest.raises(ValidationFailed):
        protocols.reopen_protocol(db, reps.kg, protocol, reason=" ", now=clock.now)

    protocols.reopen_protocol(db, reps.kg, protocol, reason="the Kyrgyz summary is incomplete", now=clock.now)
    assert approval.voided_at == clock.now and approval.voided_by_id == reps.kg.id
    assert approval.void_reason == "the Kyrgyz summary is incomplete"
    with pytest.raises(WrongStep):  # reopened: nothing to approve until frozen again
        protocols.approve_protocol(db, reps.kg, protocol, now=clock.now)
    protocols.write_item_text(
        db, reps.kg, held_meeting.agenda[0], language="ky", summary="Талкуу, оңдолгон", now=clock.now
    )
    protocols.freeze_protocol(db, reps.kg, held_meeting, now=clock.now)
    assert protocol.version == 2 and protocol.content_sha256 != approval.content_sha256
    protocols.approve_protocol(db, reps.kg, protocol, now=clock.now)
    assert protocol.status is ProtocolStatus.DRAFT  # TJ's approval was of the old content
    protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    assert protocol.status is ProtocolStatus.SIGNED


def test_the_other_sides_head_approves_from_the_register_without_adding_himself(db, ref, reps, clock):
    register = appoint_chiefs(db, ref, reps)
    # only the Tajik side's people were proposed; the Kyrgyz chief is in the register
    meeting = request(db, ref, reps, clock, participants=[from_register(register["tj"], is_head=True)])
    hold(db, ref, reps, clock, meeting)
    protocol = _frozen(db, reps, clock, meeting)
    assert json.loads(protocol.content)["record"]["heads"]["KG"]["name"] == "Asanov A."

    protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    protocols.approve_protocol(db, reps.kg, protocol, now=clock.now)

    assert protocol.status is ProtocolStatus.SIGNED and protocol.version == 1
    assert [p.full_name for p in meeting.participants] == ["Rahimov R."]


def test_the_page_says_what_is_needed_and_from_whom(db, ref, reps, clock):
    meeting = request(db, ref, reps, clock)
    steps = delegations.next_steps(db, meeting, clock.now)
    assert [(s.message, s.params) for s in steps] == [
        ("%(state)s answers the request: accept, decline or counter-propose.", {"state": "KG"})
    ]
    hold(db, ref, reps, clock, meeting)
    messages = [s.message for s in delegations.next_steps(db, meeting, clock.now)]
    assert messages == [
        "Item %(position)d: the discussion in %(languages)s.",
        "Either side freezes the protocol for approval.",
    ]
    protocol = _frozen(db, reps, clock, meeting)
    protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    steps = delegations.next_steps(db, meeting, clock.now)
    assert [(s.done, s.params["name"]) for s in steps] == [(True, "Rahimov R."), (False, "Asanov A.")]


def test_participants_come_from_the_register_or_are_guests(db, ref, reps, clock):
    register = appoint_chiefs(db, ref, reps)
    with pytest.raises(ValidationFailed):  # a head of delegation typed by name
        request(
            db, ref, reps, clock, participants=[ParticipantInput(ref.tj.id, "Someone", "head", is_head=True)]
        )
    with pytest.raises(ValidationFailed):  # someone of the other section's register
        request(
            db,
            ref,
            reps,
            clock,
            participants=[ParticipantInput(ref.uz.id, "X", "y", representative_id=register["tj"].id)],
        )
    with pytest.raises(ValidationFailed):  # twice
        request(
            db, ref, reps, clock, participants=[from_register(register["tj"]), from_register(register["tj"])]
        )
    meeting = request(db, ref, reps, clock, participants=[from_register(register["tj_deputy"], is_head=True)])
    assert delegations.head_of(db, meeting, ref.tj).full_name == "Karimov K."  # the deputy stands in
    assert delegations.head_of(db, meeting, ref.kg).full_name == "Asanov A."  # the register's chief


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
    with pytest.raises(WrongStep):  # an approved text changes only once reopened, never silently
        protocols.edit_addendum(db, reps.kg, addendum, {"tg": "Ислоҳ 2", "ky": "Оңдоо 2"}, now=clock.now)
    protocols.reopen_protocol(db, reps.kg, addendum, reason="typo in the Kyrgyz text", now=clock.now)
    protocols.edit_addendum(db, reps.kg, addendum, {"tg": "Ислоҳ 2", "ky": "Оңдоо 2"}, now=clock.now)
    assert approval.voided_at == clock.now and approval.void_reason == "typo in the Kyrgyz text"
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
    register = appoint_chiefs(db, ref, reps)
    deputy_without_account = from_register(register["tj_deputy"], is_head=True)
    meeting = request(db, ref, reps, clock, participants=[deputy_without_account])
    hold(db, ref, reps, clock, meeting)
    protocol = _frozen(db, reps, clock, meeting)
    with pytest.raises(AccessDenied):  # the deputy heads TJ's delegation, and has no account
        protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    with pytest.raises(AccessDenied):
        protocols.approve_protocol(db, reps.tj_other_section, protocol, now=clock.now)


def test_the_canonical_document_is_the_same_for_the_same_record(db, ref, reps, clock, held_meeting):
    protocol = _frozen(db, reps, clock, held_meeting)
    db.expire_all()
    assert content_of(protocol) == (protocol.content, protocol.content_sha256)
    assert protocols.freeze_protocol(db, reps.kg, held_meeting, now=clock.now).version == 1
