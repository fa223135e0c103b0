"""The representatives' message kinds on one instance (the Tajik one, linked to a Kyrgyz partner whose
messages the test signs): what each handler applies, what it refuses (unknown meeting, wrong side,
bad body: refused, nothing changed), the freeze rounds deciding concurrent changes, the partner's
representatives kept off this instance, and the single-instance pilot sending nothing."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.core.errors import AccessDenied, ValidationFailed
from lbt.exchange.inbox import receive
from lbt.exchange.models import OutgoingMessage
from lbt.representatives import actions, incidents, meetings, protocols, register
from lbt.representatives.canonical import canonical_bytes, content_of, sha256_hex
from lbt.representatives.incidents import IncidentInput
from lbt.representatives.meetings import Venue
from lbt.representatives.models import (
    Action,
    ActionNote,
    ActionStatus,
    AgendaItem,
    AgendaItemText,
    HandOverAct,
    Incident,
    IncidentType,
    Meeting,
    MeetingExchange,
    MeetingParticipant,
    MeetingStatus,
    Post,
    Protocol,
    ProtocolApproval,
    ProtocolStatus,
    RefusalReason,
    RefusedChange,
    Representative,
)
from lbt.representatives.services import add_internal_note
from lbt.representatives.sharing.wire import iso
from tests.exchange.helpers import Partner, link_to
from tests.fixtures.factories import make_user
from tests.fixtures.representatives import appoint_chiefs, hold, request, write_both_languages

COUNTED = (
    Representative,
    Meeting,
    MeetingExchange,
    MeetingParticipant,
    AgendaItem,
    AgendaItemText,
    Action,
    ActionNote,
    Protocol,
    ProtocolApproval,
    Incident,
    HandOverAct,
    RefusedChange,
    OutgoingMessage,
)


@pytest.fixture
def partner(ref):
    return Partner("KG", "TJ", ref.agreement.code)


@pytest.fixture
def link(db, ref, partner):
    return link_to(db, ref.agreement, partner)


def _deliver(db, clock, partner, kind: str, body: dict[str, Any]):
    return receive(db, partner.message(kind, body, now=clock()), home_state="TJ", now=clock(), source="test")


def _snapshot(db) -> tuple:
    """How many rows of each shared record, and the fields a wrong message could change."""
    db.flush()
    counts = tuple(db.scalar(select(func.count()).select_from(model)) for model in COUNTED)
    meetings_now = tuple(
        db.execute(select(Meeting.status, Meeting.awaiting_state_id, Meeting.starts_at).order_by(Meeting.id))
    )
    texts = tuple(db.execute(select(AgendaItemText.summary).order_by(AgendaItemText.id)))
    entries = tuple(
        db.execute(
            select(Representative.uuid, Representative.full_name, Representative.received_in).order_by(
                Representative.id
            )
        )
    )
    return counts, meetings_now, texts, entries


def _appointment(ref, **changes: Any) -> dict[str, Any]:
    """The Kyrgyz chief as the Kyrgyz instance sends him (the tests' register has a pilot copy of him)."""
    return {
        "id": str(uuid.uuid4()),
        "section": ref.section.code,
        "state": "KG",
        "post": "border_representative",
        "full_name": "Asanov A.",
        "credentials_number": "KG-BR-0001",
        "contact": "",
        "appointed_from": "2020-01-01",
        "appointed_until": None,
        "replaces": None,
        **changes,
    }


@pytest.fixture
def registered(db, ref, reps, clock, link, partner):
    """Both chiefs in the register, the Kyrgyz one as the partner sent him."""
    chiefs = appoint_chiefs(db, ref, reps)
    assert _deliver(db, clock, partner, "representatives.appointment", _appointment(ref)).status == "applied"
    db.refresh(chiefs["kg"])
    return chiefs


def _request_body(ref, chief_uuid: str, clock, **changes: Any) -> dict[str, Any]:
    now = clock()
    return {
        "meeting": str(uuid.uuid4()),
        "section": ref.section.code,
        "kind": "regular",
        "at": iso(now),
        "starts_at": iso(now + timedelta(days=10)),
        "host": "KG",
        "crossing_point": "KG-TJ-99",  # a Kyrgyz post: not in this instance's reference data
        "venue": "",
        "reply_due_at": iso(now + timedelta(hours=48)),
        "participants": [
            {
                "id": str(uuid.uuid4()),
                "side": "KG",
                "name": "Asanov A.",
                "role": "border_representative",
                "head": True,
                "register": chief_uuid,
            },
        ],
        "agenda": [
            {
                "id": str(uuid.uuid4()),
                "position": 1,
                "kind": "item",
                "title": "Grazing near sign 114",
                "incident": None,
                "reviews_action": None,
            }
        ],
        **changes,
    }


def _last_sent(db) -> tuple[str, dict[str, Any]]:
    message = db.scalars(select(OutgoingMessage).order_by(OutgoingMessage.sequence.desc()).limit(1)).one()
    return message.kind, json.loads(message.payload)["body"]


# --- the register ------------------------------------------------------------------------------------


def test_the_partners_appointment_adopts_the_pilot_copy_which_is_then_read_only_here(
    db, ref, reps, clock, registered
):
    kg_chief = registered["kg"]
    assert kg_chief.received_in and kg_chief.credentials_number == "KG-BR-0001"
    admin = make_user(db, "admin-x", Role.ADMIN)
    with pytest.raises(AccessDenied):
        register.end_appointment(db, admin, kg_chief, until=clock.now.date())
    with pytest.raises(AccessDenied):
        register.appoint(
            db,
            admin,
            section=ref.section,
            state=ref.kg,
            post=Post.DEPUTY,
            full_name="Someone",
            credentials_number="X-1",
            appointed_from=clock.now.date(),
            now=clock.now,
        )
    # this side's own register is still kept here, and its entries go to the partner
    deputy = register.appoint(
        db,
        admin,
        section=ref.section,
        state=ref.tj,
        post=Post.DEPUTY,
        full_name="Saidov S.",
        credentials_number="TJ-D-7",
        appointed_from=clock.now.date(),
        now=clock.now,
    )
    kind, body = _last_sent(db)
    assert kind == "representatives.appointment" and body["id"] == deputy.uuid and body["state"] == "TJ"


def test_an_appointment_of_the_other_states_register_is_refused_and_changes_nothing(
    db, ref, reps, clock, registered, partner
):
    before = _snapshot(db)
    for body in (
        _appointment(ref, state="TJ", full_name="Rahimov R."),  # KG may not appoint for TJ
        _appointment(ref, section="SEC-9"),  # a section of another border (TJ-UZ)
        _appointment(ref, appointed_from="yesterday"),
        _appointment(ref, post="general"),
    ):
        outcome = _deliver(db, clock, partner, "representatives.appointment", body)
        assert (outcome.status, outcome.reason) == ("refused", "not_applicable")
        partner.sequence -= 1  # refused: the partner offers that number again with the next one
    assert _snapshot(db) == before


# --- requests and answers ------------------------------------------------------------------------------


def test_a_request_from_the_partner_waits_for_this_side_and_the_answer_goes_back(
    db, ref, reps, clock, registered, partner
):
    body = _request_body(ref, registered["kg"].uuid, clock)
    assert _deliver(db, clock, partner, "meetings.request", body).status == "applied"
    meeting = db.scalars(select(Meeting).where(Meeting.uuid == body["meeting"])).one()
    assert (meeting.status, meeting.awaiting_state_id, meeting.proposed_by_id) == (
        MeetingStatus.REQUESTED,
        ref.tj.id,
        None,
    )
    assert meeting.crossing_point is None and meeting.crossing_point_code == "KG-TJ-99"
    assert (
        meeting.participants[0].representative_id == registered["kg"].id
        and meeting.participants[0].user_id is None
    )

    meetings.accept(db, reps.tj, meeting, now=clock.now)

    kind, sent = _last_sent(db)
    assert kind == "meetings.answer" and (sent["meeting"], sent["answer"]) == (meeting.uuid, "accepted")


def test_an_answer_out_of_turn_or_about_an_unknown_meeting_is_refused_and_changes_nothing(
    db, ref, reps, clock, registered, partner
):
    ours = request(db, ref, reps, clock)  # asked by TJ: KG answers
    theirs = _request_body(ref, registered["kg"].uuid, clock)
    assert _deliver(db, clock, partner, "meetings.request", theirs).status == "applied"
    accepted = {
        "answer": "accepted",
        "at": iso(clock()),
        "reason": "",
        "starts_at": iso(ours.starts_at),
        "host": "TJ",
        "crossing_point": None,
        "venue": "Vorukh school",
        "reply_due_at": None,
    }
    before = _snapshot(db)
    for body in (
        {**accepted, "meeting": theirs["meeting"]},  # KG's own request waits for TJ, not for KG
        {**accepted, "meeting": str(uuid.uuid4())},  # no such meeting
        {**accepted, "meeting": ours.uuid, "answer": "declined"},  # a decline without a reason
        {**accepted, "meeting": ours.uuid, "answer": "proposed"},
    ):
        outcome = _deliver(db, clock, partner, "meetings.answer", body)
        assert (outcome.status, outcome.reason) == ("refused", "not_applicable"), body
        partner.sequence -= 1
    assert _snapshot(db) == before

    assert (
        _deliver(db, clock, partner, "meetings.answer", {**accepted, "meeting": ours.uuid}).status
        == "applied"
    )
    assert ours.status is MeetingStatus.SCHEDULED and ours.exchanges[-1].user_id is None
    before = _snapshot(db)
    assert (
        _deliver(db, clock, partner, "meetings.answer", {**accepted, "meeting": ours.uuid}).status
        == "refused"
    )
    assert _snapshot(db) == before  # answered already


@pytest.mark.parametrize(
    "change",
    [
        {"section": "NOPE"},
        {"kind": "weekly"},
        {"starts_at": "2026-13-01T10:00:00+00:00"},
        {"starts_at": "2026-12-01T10:00:00"},  # no zone
        {"host": "UZ"},
        {"agenda": []},
        {
            "participants": [
                {"id": "x", "side": "KG", "name": "A", "role": "b", "head": False, "register": None}
            ]
        },
        {
            "participants": [
                {
                    "id": str(uuid.uuid4()),
                    "side": "KG",
                    "name": "Guest",
                    "role": "expert",
                    "head": True,
                    "register": None,
                }
            ]
        },
        {
            "participants": [
                {
                    "id": str(uuid.uuid4()),
                    "side": "KG",
                    "name": "A",
                    "role": "b",
                    "head": True,
                    "register": str(uuid.uuid4()),
                }
            ]
        },
        {
            "agenda": [
                {
                    "id": str(uuid.uuid4()),
                    "position": 1,
                    "kind": "incident",
                    "title": "x",
                    "incident": str(uuid.uuid4()),
                    "reviews_action": None,
                }
            ]
        },
        {"crossing_point": None, "venue": ""},
    ],
)
def test_a_request_with_a_bad_body_is_refused_and_changes_nothing(
    db, ref, reps, clock, registered, partner, change
):
    before = _snapshot(db)
    outcome = _deliver(
        db, clock, partner, "meetings.request", _request_body(ref, registered["kg"].uuid, clock, **change)
    )
    assert (outcome.status, outcome.reason) == ("refused", "not_applicable")
    assert _snapshot(db) == before


# --- the draft record, freezes, approvals -------------------------------------------------------------


@pytest.fixture
def held(db, ref, reps, clock, registered, partner):
    """A meeting asked by TJ (host TJ), accepted by KG on its instance, held, its texts written in both
    languages here: shared with KG."""
    meeting = request(db, ref, reps, clock, venue=Venue(name="Vorukh school", host_state_id=ref.tj.id))
    assert meeting.is_exchanged
    accepted = {
        "meeting": meeting.uuid,
        "answer": "accepted",
        "at": iso(clock()),
        "reason": "",
        "starts_at": iso(meeting.starts_at),
        "host": "TJ",
        "crossing_point": None,
        "venue": "Vorukh school",
        "reply_due_at": None,
    }
    assert _deliver(db, clock, partner, "meetings.answer", accepted).status == "applied"
    assert meeting.status is MeetingStatus.SCHEDULED
    clock.now = meeting.starts_at + timedelta(hours=3)
    meetings.mark_held(db, reps.tj, meeting, now=clock.now)
    for item in meeting.agenda:
        for language, summary in (("tg", "Муҳокима"), ("ky", "Талкуу")):
            protocols.write_item_text(db, reps.tj, item, language=language, summary=summary, now=clock.now)
    return meeting


def _text_body(meeting, base, summary="Кеч", previous_of=None) -> dict[str, Any]:
    from lbt.representatives.sharing.wire import text_digest

    item = meeting.agenda[0]
    return {
        "meeting": meeting.uuid,
        "base": {"round": base[0], "sha256": base[1]},
        "at": iso(meeting.held_at),
        "item": item.uuid,
        "language": "ky",
        "previous": text_digest(item.text_in("ky")),
        "summary": summary,
        "decision": "",
    }


def test_a_change_to_a_record_frozen_here_is_refused_reported_back_and_changes_nothing(
    db, ref, reps, clock, held, partner
):
    protocol = protocols.freeze_protocol(db, reps.tj, held, now=clock.now)
    before = _snapshot(db)[1:]

    outcome = _deliver(db, clock, partner, "meetings.text", _text_body(held, (0, "")))

    assert outcome.status == "applied"  # the link goes on: the refusal is an outcome, not a transport failure
    assert _snapshot(db)[1:] == before and held.agenda[0].text_in("ky").summary == "Талкуу"
    refusal = db.scalars(select(RefusedChange)).one()
    assert (refusal.state_id, refusal.kind, refusal.reason) == (
        ref.kg.id,
        "meetings.text",
        RefusalReason.FROZEN,
    )
    assert refusal.against_sha256 == protocol.content_sha256
    kind, body = _last_sent(db)
    assert (
        kind == "meetings.refused"
        and body["reason"] == "frozen"
        and body["against"] == protocol.content_sha256
    )


def _freeze_body(meeting, content: str, previous, round_number: int, protocol_uuid: str) -> dict[str, Any]:
    return {
        "meeting": meeting.uuid,
        "number": 0,
        "base": {"round": previous[0], "sha256": previous[1]},
        "at": iso(meeting.held_at + timedelta(hours=2)),
        "protocol": protocol_uuid,
        "round": round_number,
        "content": content,
        "sha256": sha256_hex(content.encode()),
    }


def _edited(content: str, summary: str) -> str:
    """The same document with item 1's Kyrgyz summary changed, as the other side would have frozen it."""
    document = json.loads(content)
    document["record"]["agenda"][0]["texts"]["ky"]["summary"] = summary
    return canonical_bytes(document).decode()


def test_the_partners_freeze_makes_the_record_here_what_it_froze(db, ref, reps, clock, held, partner):
    protocol = protocols.freeze_protocol(db, reps.tj, held, now=clock.now)
    first = (1, protocol.content_sha256)
    reopen = {
        "meeting": held.uuid,
        "number": 0,
        "base": {"round": 1, "sha256": first[1]},
        "at": iso(clock()),
        "reason": "typo",
    }
    assert _deliver(db, clock, partner, "protocols.reopen", reopen).status == "applied"
    assert protocol.frozen_at is None
    protocols.write_item_text(
        db, reps.tj, held.agenda[0], language="tg", summary="Late change here", now=clock.now
    )

    # KG froze again before TJ's change reached it: its freeze does not hold it
    kg_content = _edited(protocol.content, "Талкуу, оңдолгон")
    outcome = _deliver(
        db, clock, partner, "protocols.freeze", _freeze_body(held, kg_content, first, 2, protocol.uuid)
    )

    assert outcome.status == "applied"
    assert held.agenda[0].text_in("tg").summary == "Муҳокима"  # TJ's late change undone here
    assert held.agenda[0].text_in("ky").summary == "Талкуу, оңдолгон"
    assert protocol.frozen_at is not None and protocol.content == kg_content
    assert content_of(protocol) == (kg_content, sha256_hex(kg_content.encode()))
    assert len(protocol.freeze_hashes) == 2 and protocol.version == 2


def test_two_freezes_of_one_round_are_decided_for_the_host(db, ref, reps, clock, held, partner):
    protocol = protocols.freeze_protocol(db, reps.tj, held, now=clock.now)
    mine = protocol.content_sha256
    approval = protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    other = _edited(protocol.content, "Башкача")
    body = _freeze_body(held, other, (0, ""), 1, str(uuid.uuid4()))

    # TJ hosts: KG's freeze of the same round gives way
    assert _deliver(db, clock, partner, "protocols.freeze", body).status == "applied"
    assert protocol.content_sha256 == mine and approval.voided_at is None
    assert db.scalars(select(RefusedChange.reason)).all() == [RefusalReason.SUPERSEDED]

    # had KG hosted, TJ's freeze would give way: the record here takes KG's, TJ's approval is void
    held.host_state_id = ref.kg.id
    body = _freeze_body(held, other, (0, ""), 1, str(uuid.uuid4()))
    assert _deliver(db, clock, partner, "protocols.freeze", body).status == "applied"
    assert (
        protocol.content == other
        and protocol.uuid == body["protocol"]
        and protocol.freeze_hashes == [body["sha256"]]
    )
    assert held.agenda[0].text_in("ky").summary == "Башкача"
    assert approval.voided_at is not None and not protocols.approval_is_valid(approval)


def test_an_approval_counts_only_for_the_version_it_names_and_two_sign(db, ref, reps, clock, held, partner):
    protocol = protocols.freeze_protocol(db, reps.tj, held, now=clock.now)
    protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    approval = {
        "meeting": held.uuid,
        "number": 0,
        "at": iso(clock()),
        "sha256": protocol.content_sha256,
        "base": {"round": 1, "sha256": protocol.content_sha256},
    }
    before = _snapshot(db)
    for bad in ({**approval, "sha256": "0" * 64}, {**approval, "meeting": str(uuid.uuid4())}):
        assert _deliver(db, clock, partner, "protocols.approval", bad).status == "refused"  # a bad body
        partner.sequence -= 1
    assert _snapshot(db) == before
    # an approval of a version this side does not hold (an addendum never made here): kept as refused
    assert _deliver(db, clock, partner, "protocols.approval", {**approval, "number": 3}).status == "applied"
    assert db.scalars(select(RefusedChange.reason)).all() == [RefusalReason.REOPENED]
    assert protocol.status is ProtocolStatus.DRAFT and len(protocol.approvals) == 1

    assert _deliver(db, clock, partner, "protocols.approval", approval).status == "applied"
    assert protocol.status is ProtocolStatus.SIGNED
    remote = next(a for a in protocol.approvals if a.state_id == ref.kg.id and a.voided_at is None)
    assert remote.user_id is None and remote.message_id and protocols.approval_is_valid(remote)
    assert protocol.signed_at == max(a.approved_at for a in protocol.approvals if a.voided_at is None)


def test_the_partners_reopening_wins_over_a_signature_only_this_side_saw(db, ref, reps, clock, held, partner):
    protocol = protocols.freeze_protocol(db, reps.tj, held, now=clock.now)
    base = {"round": 1, "sha256": protocol.content_sha256}
    protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    _deliver(
        db,
        clock,
        partner,
        "protocols.approval",
        {"meeting": held.uuid, "number": 0, "at": iso(clock()), "sha256": base["sha256"], "base": base},
    )
    assert protocol.status is ProtocolStatus.SIGNED

    reopen = {
        "meeting": held.uuid,
        "number": 0,
        "base": base,
        "at": iso(clock()),
        "reason": "The date is wrong",
    }
    assert _deliver(db, clock, partner, "protocols.reopen", reopen).status == "applied"

    assert (
        protocol.status is ProtocolStatus.DRAFT and protocol.signed_at is None and protocol.frozen_at is None
    )
    assert {(a.voided_by_id, a.void_reason) for a in protocol.approvals} == {(None, "The date is wrong")}


# --- follow-up ---------------------------------------------------------------------------------------


def test_progress_incidents_and_hand_overs_of_the_partner(db, ref, reps, clock, held, partner):
    action = protocols.add_action(
        db,
        reps.tj,
        held.agenda[0],
        responsible_state_id=ref.kg.id,
        description="Repair sign 114",
        due_on=clock.now.date() + timedelta(days=9),
        now=clock.now,
    )
    note = {
        "action": action.uuid,
        "at": iso(clock() + timedelta(minutes=5)),
        "text": "Repaired",
        "status": "done",
    }
    before = _snapshot(db)
    for bad in ({**note, "action": str(uuid.uuid4())}, {**note, "status": "finished"}, {**note, "text": ""}):
        assert _deliver(db, clock, partner, "actions.progress", bad).status == "refused"
        partner.sequence -= 1
    assert _snapshot(db) == before
    assert _deliver(db, clock, partner, "actions.progress", note).status == "applied"
    assert action.status is ActionStatus.DONE and action.notes[-1].user_id is None

    incident = {
        "id": str(uuid.uuid4()),
        "section": ref.section.code,
        "reported_by": "KG",
        "type": "stray_livestock",
        "occurred_at": iso(clock()),
        "landmark": "Sign 120",
        "border_sign": "",
        "latitude": None,
        "longitude": None,
        "description": "Sheep crossed",
        "persons_involved": 0,
        "animals_involved": 12,
        "property_involved": "",
        "status": "reported",
    }
    before = _snapshot(db)
    for bad in (
        {**incident, "reported_by": "TJ"},
        {**incident, "landmark": ""},
        {**incident, "latitude": "91", "longitude": "0"},
    ):
        assert _deliver(db, clock, partner, "incidents.incident", bad).status == "refused"
        partner.sequence -= 1
    assert _snapshot(db) == before
    assert _deliver(db, clock, partner, "incidents.incident", incident).status == "applied"
    received = db.scalars(select(Incident).where(Incident.uuid == incident["id"])).one()
    assert received.is_shared and received.reported_by_id is None
    with pytest.raises(AccessDenied):  # the partner's incident is read here, kept there
        incidents.set_incident_status(db, reps.tj, received, incidents.IncidentStatus.RESOLVED, now=clock.now)

    act = {
        "id": str(uuid.uuid4()),
        "section": ref.section.code,
        "incident": incident["id"],
        "kind": "livestock",
        "count": 12,
        "description": "12 sheep",
        "handing": "KG",
        "receiving": "TJ",
        "handed_over_at": iso(clock()),
        "handing_confirmed_at": iso(clock()),
        "receiving_confirmed_at": iso(clock()),  # TJ's part is TJ's to confirm
    }
    assert _deliver(db, clock, partner, "incidents.hand_over", act).status == "applied"
    stored = db.scalars(select(HandOverAct).where(HandOverAct.uuid == act["id"])).one()
    assert stored.handing_confirmed_at is not None and stored.receiving_confirmed_at is None
    incidents.confirm_hand_over(db, reps.tj, stored, now=clock.now)
    kind, body = _last_sent(db)
    assert (
        kind == "incidents.hand_over" and stored.is_confirmed and body["receiving_confirmed_at"] is not None
    )


def test_a_refusal_report_must_name_a_message_of_ours(db, ref, reps, clock, held, partner):
    before = _snapshot(db)
    body = {
        "meeting": held.uuid,
        "message": str(uuid.uuid4()),
        "kind": "meetings.text",
        "reason": "frozen",
        "at": iso(clock()),
        "against": "",
    }
    assert _deliver(db, clock, partner, "meetings.refused", body).status == "refused"
    assert _snapshot(db) == before


# --- who acts where; the pilot ------------------------------------------------------------------------


def test_the_partners_representatives_do_not_act_on_this_instance_once_linked(
    db, ref, reps, clock, registered, partner
):
    with pytest.raises(AccessDenied):
        request(db, ref, reps, clock, actor=reps.kg)
    ours = request(db, ref, reps, clock)
    with pytest.raises(AccessDenied):
        meetings.accept(db, reps.kg, ours, now=clock.now)
    with pytest.raises(AccessDenied):
        incidents.report_incident(
            db,
            reps.kg,
            ref.section,
            IncidentInput(IncidentType.OTHER, clock.now, "x", landmark="y"),
            now=clock.now,
        )


def test_an_unshared_incident_or_a_pilot_copy_of_the_partners_entry_cannot_go_to_the_partner(
    db, ref, reps, clock, link
):
    chiefs = appoint_chiefs(db, ref, reps)  # the Kyrgyz chief is this instance's own copy: never sent by KG
    with pytest.raises(ValidationFailed):
        request(db, ref, reps, clock)
    chiefs["kg"].received_in = str(uuid.uuid4())
    secret = incidents.report_incident(
        db,
        reps.tj,
        ref.section,
        IncidentInput(IncidentType.OTHER, clock.now, "x", landmark="y"),
        now=clock.now,
    )
    with pytest.raises(ValidationFailed):
        request(db, ref, reps, clock, incidents=[secret])


def test_the_single_instance_pilot_sends_nothing(db, ref, reps, clock):
    meeting = request(db, ref, reps, clock)
    meeting = hold(db, ref, reps, clock, meeting)
    write_both_languages(db, reps, clock, meeting)
    protocol = protocols.freeze_protocol(db, reps.tj, meeting, now=clock.now)
    protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    protocols.approve_protocol(db, reps.kg, protocol, now=clock.now)  # both sides on one instance, as today
    assert protocol.status is ProtocolStatus.SIGNED and not meeting.is_exchanged
    assert db.scalar(select(func.count()).select_from(OutgoingMessage)) == 0


def test_internal_notes_are_never_queued(db, ref, reps, clock, held):
    action = protocols.add_action(
        db,
        reps.tj,
        held.agenda[0],
        responsible_state_id=ref.tj.id,
        description="Patrol",
        due_on=clock.now.date() + timedelta(days=3),
        now=clock.now,
    )
    add_internal_note(db, reps.tj, held, "NOTE-7731 keep to ourselves", now=clock.now)
    add_internal_note(db, reps.tj, action, "NOTE-7732 keep to ourselves", now=clock.now)
    actions.add_progress_note(db, reps.tj, action, "Patrol done", status=ActionStatus.DONE, now=clock.now)
    protocols.freeze_protocol(db, reps.tj, held, now=clock.now)
    payloads = db.scalars(select(OutgoingMessage.payload)).all()
    assert len(payloads) >= 6 and {json.loads(p)["kind"] for p in payloads} >= {
        "meetings.request",
        "actions.progress",
        "protocols.freeze",
    }
    assert not any("NOTE-773" in payload for payload in payloads)


def test_the_meeting_page_shows_the_partners_steps_approvals_and_refused_changes(
    app, db, ref, reps, clock, held, partner
):
    protocol = protocols.freeze_protocol(db, reps.tj, held, now=clock.now)
    _deliver(db, clock, partner, "meetings.text", _text_body(held, (0, "")))  # too late: refused
    base = {"round": 1, "sha256": protocol.content_sha256}
    approval = {"meeting": held.uuid, "number": 0, "at": iso(clock()), "sha256": base["sha256"], "base": base}
    assert _deliver(db, clock, partner, "protocols.approval", approval).status == "applied"
    db.flush()
    client = app.test_client()
    assert client.login("rep-tj").status_code == 302

    page = client.get(f"/representatives/meetings/{held.id}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "KG, on its own instance" in html  # KG's acceptance, written there
    assert "Approved on the partner" in html
    assert "Changes not taken by the other instance" in html
    assert "The record was frozen by the other side; reopen to change it." in html


def test_a_meeting_of_the_pilot_is_finished_where_it_is_by_both_sides_and_never_sent(
    db, ref, reps, clock, partner
):
    meeting = request(db, ref, reps, clock)  # asked before the agreement was linked
    link_to(db, ref.agreement, partner)

    meetings.accept(db, reps.kg, meeting, now=clock.now)  # KG's account on this instance still answers it
    with pytest.raises(AccessDenied):  # but a new meeting is asked on KG's own instance
        request(db, ref, reps, clock, actor=reps.kg)

    assert meeting.status is MeetingStatus.SCHEDULED and not meeting.is_exchanged
    assert db.scalar(select(func.count()).select_from(OutgoingMessage)) == 0


def test_every_kind_of_the_representatives_is_documented_with_its_body():
    from pathlib import Path

    from lbt.exchange.kinds import kind_names
    from lbt.representatives.sharing import outgoing

    text = (Path(__file__).parents[2] / "docs" / "exchange.md").read_text(encoding="utf-8")
    section = text[
        text.index("## The border representatives' work") : text.index("## A partner that does not run lbt")
    ]
    ours = {
        value
        for name, value in vars(outgoing).items()
        if name.isupper() and isinstance(value, str) and "." in value
    }
    assert len(ours) == 15 and ours <= set(kind_names())
    for kind in ours:
        assert f"| `{kind}` |" in section, kind


def _bad_bodies(held, protocol) -> list[tuple[str, dict[str, Any]]]:
    """One malformed (or impossible) body of each draft and protocol kind."""
    base = {"round": 1, "sha256": protocol.content_sha256}
    common = {"meeting": held.uuid, "base": base, "at": iso(held.held_at)}
    item = held.agenda[0].uuid
    content = protocol.content
    freeze = {
        "meeting": held.uuid,
        "number": 0,
        "base": base,
        "at": iso(held.held_at),
        "protocol": protocol.uuid,
        "round": 2,
    }
    return [
        ("meetings.held", {**common, "held_at": "soon"}),
        (
            "meetings.agenda_item",
            {
                **common,
                "item": {
                    "id": str(uuid.uuid4()),
                    "position": 0,
                    "kind": "item",
                    "title": "x",
                    "incident": None,
                    "reviews_action": None,
                },
            },
        ),
        (
            "meetings.participant",
            {
                **common,
                "participant": {
                    "id": str(uuid.uuid4()),
                    "side": "UZ",
                    "name": "A",
                    "role": "b",
                    "head": False,
                    "register": None,
                },
            },
        ),
        (
            "meetings.text",
            {**common, "item": item, "language": "uz", "previous": "", "summary": "x", "decision": ""},
        ),
        (
            "meetings.action",
            {
                **common,
                "item": item,
                "action": {
                    "id": str(uuid.uuid4()),
                    "responsible": "UZ",
                    "description": "x",
                    "due_on": "2027-01-01",
                },
            },
        ),
        (
            "meetings.action",
            {
                **common,
                "meeting": str(uuid.uuid4()),
                "item": item,
                "action": {
                    "id": str(uuid.uuid4()),
                    "responsible": "KG",
                    "description": "x",
                    "due_on": "2027-01-01",
                },
            },
        ),
        ("protocols.freeze", {**freeze, "content": content, "sha256": "0" * 64}),  # not the content's SHA-256
        (
            "protocols.freeze",
            {**freeze, "content": content + " ", "sha256": sha256_hex((content + " ").encode())},
        ),  # not canonical
        ("protocols.freeze", {**freeze, "round": 5, "content": content, "sha256": protocol.content_sha256}),
        (
            "protocols.freeze",
            {**freeze, "content": _edited(content, "x").replace(held.uuid, str(uuid.uuid4())), "sha256": ""},
        ),
        ("protocols.reopen", {**common, "number": 0, "reason": ""}),
        (
            "incidents.hand_over",
            {
                "id": str(uuid.uuid4()),
                "section": "SEC-1",
                "incident": None,
                "kind": "persons",
                "count": 1,
                "description": "",
                "handing": "KG",
                "receiving": "KG",
                "handed_over_at": iso(held.held_at),
                "handing_confirmed_at": None,
                "receiving_confirmed_at": None,
            },
        ),
    ]


def test_each_handler_refuses_a_bad_body_and_changes_nothing(db, ref, reps, clock, held, partner):
    protocol = protocols.freeze_protocol(db, reps.tj, held, now=clock.now)
    protocols.reopen_protocol(db, reps.tj, protocol, reason="one more item", now=clock.now)
    before = _snapshot(db)
    for kind, body in _bad_bodies(held, protocol):
        if kind == "protocols.freeze" and body["sha256"] == "":
            body["sha256"] = sha256_hex(body["content"].encode())  # canonical, hashed, but of another meeting
        outcome = _deliver(db, clock, partner, kind, body)
        assert (outcome.status, outcome.reason) == ("refused", "not_applicable"), (kind, body)
        partner.sequence -= 1
    assert _snapshot(db) == before


def _addendum(held, protocol, texts: dict[str, str]) -> str:
    document = {
        "format": "lbt-protocol/3",
        "kind": "addendum",
        "meeting": held.uuid,
        "number": 1,
        "amends_sha256": protocol.content_sha256,
        "texts": texts,
    }
    return canonical_bytes(document).decode()


def test_the_partners_addendum_to_a_signed_protocol_is_approved_the_same_way(
    db, ref, reps, clock, held, partner
):
    protocol = protocols.freeze_protocol(db, reps.tj, held, now=clock.now)
    base = {"round": 1, "sha256": protocol.content_sha256}
    content = _addendum(held, protocol, {"tg": "Ислоҳ", "ky": "Оңдоо"})
    addendum = {
        "meeting": held.uuid,
        "number": 1,
        "base": {"round": 0, "sha256": ""},
        "at": iso(clock()),
        "protocol": str(uuid.uuid4()),
        "round": 1,
        "content": content,
        "sha256": sha256_hex(content.encode()),
    }

    # before the protocol is signed here, an addendum cannot stand: kept as refused, reported back
    assert _deliver(db, clock, partner, "protocols.freeze", addendum).status == "applied"
    assert [p.number for p in held.protocols] == [0]
    assert db.scalars(select(RefusedChange.reason)).all() == [RefusalReason.REOPENED]

    protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    _deliver(
        db,
        clock,
        partner,
        "protocols.approval",
        {"meeting": held.uuid, "number": 0, "at": iso(clock()), "sha256": base["sha256"], "base": base},
    )
    assert protocol.status is ProtocolStatus.SIGNED
    addendum["protocol"] = str(uuid.uuid4())
    assert _deliver(db, clock, partner, "protocols.freeze", addendum).status == "applied"
    made = next(p for p in held.protocols if p.number == 1)
    assert made.addendum_texts == {"tg": "Ислоҳ", "ky": "Оңдоо"} and made.uuid == addendum["protocol"]
    assert content_of(made) == (content, addendum["sha256"]) and made.frozen_at is not None

    protocols.approve_protocol(db, reps.tj, made, now=clock.now)
    on_addendum = {"round": 1, "sha256": addendum["sha256"]}
    _deliver(
        db,
        clock,
        partner,
        "protocols.approval",
        {
            "meeting": held.uuid,
            "number": 1,
            "at": iso(clock()),
            "sha256": on_addendum["sha256"],
            "base": on_addendum,
        },
    )
    assert made.status is ProtocolStatus.SIGNED
