"""The border representatives' work between two real instances (a Tajik and a Kyrgyz one, each its own
database and gunicorn, linked through their commands, syncing over real HTTP on loopback). Each side's
representatives act on their own instance only (through the same services the pages call); what one
side does reaches the other through `lbt exchange sync`.

The tests run in order on one pair: the first moves both pilot registers over (`lbt representatives
resend`), the next ones build on the meetings made before."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.exchange.models import IncomingMessage, OutgoingMessage
from lbt.reference.models import BorderSection, State
from lbt.representatives import actions, incidents, meetings, protocols
from lbt.representatives.delegations import from_register, guest
from lbt.representatives.incidents import IncidentInput
from lbt.representatives.meetings import Venue
from lbt.representatives.models import (
    ActionStatus,
    HandOverAct,
    HandOverKind,
    Incident,
    IncidentType,
    InternalNote,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Post,
    ProtocolStatus,
    RefusalReason,
    RefusedChange,
    Representative,
)
from lbt.representatives.services import add_internal_note
from tests.exchange.pair import AGREEMENT, Instance, Pair, linked_pair

SECTION = "TJ-KG-ISF"  # the demo's first section: tg, ky and ru are its working languages
T = TypeVar("T")
made: dict[str, Any] = {}  # what one test leaves for the next (the tests run in order on one pair)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):
    with linked_pair(tmp_path_factory.mktemp("representatives")) as linked:
        yield linked


def _sync(instance: Instance) -> None:
    """One sync of ``instance``: it pushes what it queued and fetches what the partner queued."""
    result = instance.lbt("exchange", "sync", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _act(
    instance: Instance,
    work: Callable[[Session, User, BorderSection, datetime], T],
    user: str = "representative",
) -> T:
    """What the instance's own representative does on its pages, through the same services."""
    with instance.session() as session, session.begin():
        actor = session.scalars(select(User).where(User.username == user)).one()
        section = session.scalars(select(BorderSection).where(BorderSection.code == SECTION)).one()
        return work(session, actor, section, datetime.now(UTC))


def _state(session: Session, code: str) -> State:
    return session.scalars(select(State).where(State.code == code)).one()


def _chief(session: Session, section: BorderSection, code: str) -> Representative:
    return session.scalars(
        select(Representative).where(
            Representative.section_id == section.id,
            Representative.state_id == _state(session, code).id,
            Representative.post == Post.BORDER_REPRESENTATIVE,
            Representative.appointed_until.is_(None),
        )
    ).one()


def _meeting(session: Session, uuid: str) -> Meeting:
    return session.scalars(select(Meeting).where(Meeting.uuid == uuid)).one()


def _look(instance: Instance, uuid: str, read: Callable[[Meeting], T]) -> T:
    with instance.session() as session:
        return read(_meeting(session, uuid))


def _request(pair: Pair, *, urgent: bool, agenda: list[str]) -> str:
    """A meeting asked for on TJ (the host: the Vorukh school), both chiefs heading their delegations."""

    def request(session: Session, user: User, section: BorderSection, now: datetime) -> str:
        tj, kg = _state(session, "TJ"), _state(session, "KG")
        people = [
            from_register(_chief(session, section, "TJ"), is_head=True),
            from_register(_chief(session, section, "KG"), is_head=True),
            guest(kg.id, "Aisuluu Bekova", "interpreter"),
        ]
        meeting = meetings.request_meeting(
            session,
            user,
            section=section,
            kind=MeetingKind.URGENT if urgent else MeetingKind.REGULAR,
            starts_at=now - timedelta(minutes=10) if urgent else now + timedelta(days=10),
            venue=Venue(name="Vorukh school", host_state_id=tj.id),
            agenda=agenda,
            participants=people,
            now=now,
        )
        return meeting.uuid

    return _act(pair.tj, request)


def _write(instance: Instance, uuid: str, languages: tuple[str, ...], text: str) -> None:
    def write(session: Session, user: User, _section: BorderSection, now: datetime) -> None:
        meeting = _meeting(session, uuid)
        for item in meeting.agenda:
            for language in languages:
                protocols.write_item_text(
                    session,
                    user,
                    item,
                    language=language,
                    summary=f"{text} {item.position} {language}",
                    decision=f"Decision {item.position}",
                    now=now,
                )

    _act(instance, write)


def _held_with_texts(pair: Pair, agenda: list[str]) -> str:
    """A meeting asked on TJ, accepted on KG, held, its texts written on each side in its languages."""
    uuid = _request(pair, urgent=True, agenda=agenda)
    _sync(pair.tj)
    _act(
        pair.kg,
        lambda session, user, _s, now: meetings.accept(session, user, _meeting(session, uuid), now=now),
    )
    _sync(pair.kg)
    _act(
        pair.tj,
        lambda session, user, _s, now: meetings.mark_held(session, user, _meeting(session, uuid), now=now),
    )
    _write(pair.tj, uuid, ("tg", "ru"), "Муҳокима")
    _sync(pair.tj)
    _write(pair.kg, uuid, ("ky",), "Талкуу")
    _sync(pair.kg)
    return uuid


def _record(meeting: Meeting) -> dict[str, Any]:
    """What both instances must hold alike of a meeting's record."""
    protocol = next((p for p in meeting.protocols if p.number == 0), None)
    return {
        "status": meeting.status.value,
        "held_at": meeting.held_at,
        "texts": sorted(
            (item.uuid, text.language, text.summary, text.decision)
            for item in meeting.agenda
            for text in item.texts
        ),
        "protocol": None
        if protocol is None
        else (
            protocol.uuid,
            protocol.status.value,
            protocol.content_sha256,
            protocol.frozen_at is not None,
            list(protocol.freeze_hashes),
        ),
        "live_approvals": sorted(
            (a.state.code, a.content_sha256)
            for p in meeting.protocols
            for a in p.approvals
            if a.voided_at is None
        ),
    }


def test_each_side_sends_its_register_and_the_partner_adopts_its_pilot_copy(pair):
    for instance in (pair.tj, pair.kg):
        result = instance.lbt("representatives", "resend", "--agreement", AGREEMENT).stdout
        assert "1 register entries" in result, result
    _sync(pair.tj)

    ids = {}
    for instance, own, partner in ((pair.tj, "TJ", "KG"), (pair.kg, "KG", "TJ")):
        with instance.session() as session:
            section = session.scalars(select(BorderSection).where(BorderSection.code == SECTION)).one()
            own_chief, partner_chief = _chief(session, section, own), _chief(session, section, partner)
            ids[instance.state] = (own_chief.uuid, partner_chief.uuid)
            assert own_chief.received_in == "" and partner_chief.received_in != ""
            # the partner's own credentials replaced the pilot copy's
            assert partner_chief.credentials_number == f"{partner}-BR-2024-01"
    assert ids["TJ"] == tuple(reversed(ids["KG"]))  # one id per appointment on both instances


def test_a_meeting_requested_on_tj_accepted_on_kg_ends_signed_with_one_hash_on_both(pair):
    uuid = _request(pair, urgent=True, agenda=["Grazing near border sign 114", "Water of the Vorukh canal"])
    _sync(pair.tj)

    with pair.kg.session() as session:
        meeting = _meeting(session, uuid)
        assert meeting.status is MeetingStatus.REQUESTED and meeting.awaiting_state.code == "KG"
        assert meeting.proposed_by_id is None and meeting.proposer_state.code == "TJ"
        kg_head = next(p for p in meeting.participants if p.is_head and p.state.code == "KG")
        assert kg_head.user is not None and kg_head.user.username == "representative"  # KG's own account
        assert [step.user_id for step in meeting.exchanges] == [None]

    _act(
        pair.kg,
        lambda session, user, _s, now: meetings.accept(session, user, _meeting(session, uuid), now=now),
    )
    _sync(pair.kg)
    assert _look(pair.tj, uuid, lambda m: m.status) is MeetingStatus.SCHEDULED

    def hold_and_decide(session: Session, user: User, _section: BorderSection, now: datetime) -> str:
        meeting = _meeting(session, uuid)
        meetings.mark_held(session, user, meeting, now=now)
        action = protocols.add_action(
            session,
            user,
            meeting.agenda[0],
            responsible_state_id=_state(session, "KG").id,
            description="Repair border sign 114",
            due_on=date.today() + timedelta(days=30),
            now=now,
        )
        return action.uuid

    made["action"] = _act(pair.tj, hold_and_decide)
    _write(pair.tj, uuid, ("tg", "ru"), "Муҳокима")
    _sync(pair.tj)
    _write(pair.kg, uuid, ("ky",), "Талкуу")
    _sync(pair.kg)
    assert _look(pair.tj, uuid, _record) == _look(pair.kg, uuid, _record)

    _act(
        pair.tj,
        lambda session, user, _s, now: protocols.freeze_protocol(
            session, user, _meeting(session, uuid), now=now
        ),
    )
    _sync(pair.tj)

    def approve(session: Session, user: User, _section: BorderSection, now: datetime) -> None:
        protocols.approve_protocol(session, user, protocols.the_protocol(_meeting(session, uuid)), now=now)

    _act(pair.tj, approve)  # the Tajik head on the Tajik instance
    _act(pair.kg, approve)  # the Kyrgyz head on the Kyrgyz instance
    _sync(pair.tj)

    documents = {}
    for instance in (pair.tj, pair.kg):
        with instance.session() as session:
            protocol = protocols.the_protocol(_meeting(session, uuid))
            assert protocol.status is ProtocolStatus.SIGNED, instance.state
            approvals = {a.state.code: a for a in protocol.approvals if a.voided_at is None}
            assert set(approvals) == {"TJ", "KG"}
            assert all(protocols.approval_is_valid(a) for a in approvals.values())
            partner = approvals["KG" if instance.state == "TJ" else "TJ"]
            assert partner.user_id is None and partner.message_id  # approved on the partner's instance
            documents[instance.state] = (protocol.content, protocol.content_sha256, protocol.signed_at)
    assert documents["TJ"] == documents["KG"]
    assert json.loads(documents["TJ"][0])["record"]["meeting"] == uuid
    made["signed"] = uuid


def test_a_counter_proposal_then_a_decline_with_its_reason(pair):
    uuid = _request(pair, urgent=False, agenda=["Joint patrol schedule for the spring"])
    _sync(pair.tj)
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)

    def counter(session: Session, user: User, _section: BorderSection, now: datetime) -> None:
        meetings.counter_propose(
            session,
            user,
            _meeting(session, uuid),
            starts_at=later,
            reason="Our chief is away that week",
            now=now,
        )

    _act(pair.kg, counter)
    _sync(pair.kg)
    with pair.tj.session() as session:
        meeting = _meeting(session, uuid)
        assert meeting.status is MeetingStatus.REQUESTED and meeting.awaiting_state.code == "TJ"
        assert meeting.starts_at == later
        assert [(e.kind.value, e.state_id == _state(session, "KG").id) for e in meeting.exchanges][-1] == (
            "counter_proposed",
            True,
        )

    def decline(session: Session, user: User, _section: BorderSection, now: datetime) -> None:
        meetings.decline(session, user, _meeting(session, uuid), reason="The river is in flood", now=now)

    _act(pair.tj, decline)
    _sync(pair.tj)
    with pair.kg.session() as session:
        meeting = _meeting(session, uuid)
        assert meeting.status is MeetingStatus.DECLINED and meeting.awaiting_state_id is None
        assert meeting.exchanges[-1].reason == "The river is in flood"
        assert [e.kind.value for e in meeting.exchanges] == ["proposed", "counter_proposed", "declined"]


def test_the_responsible_side_reports_progress_and_the_other_side_sees_it(pair):
    def report(session: Session, user: User, _section: BorderSection, now: datetime) -> None:
        action = (
            session.scalars(select(Meeting).where(Meeting.uuid == made["signed"])).one().agenda[0].actions[0]
        )
        actions.add_progress_note(
            session, user, action, "Sign 114 repaired and painted", status=ActionStatus.DONE, now=now
        )

    _act(pair.kg, report)  # KG is responsible
    _sync(pair.kg)
    with pair.tj.session() as session:
        action = _meeting(session, made["signed"]).agenda[0].actions[0]
        assert action.uuid == made["action"]
        assert action.status is ActionStatus.DONE and action.completed_at is not None
        assert [(n.text, n.user_id, n.state_id == _state(session, "KG").id) for n in action.notes] == [
            ("Sign 114 repaired and painted", None, True)
        ]


def test_an_incident_and_a_hand_over_act_confirmed_by_both(pair):
    def report(session: Session, user: User, section: BorderSection, now: datetime) -> str:
        incident = incidents.report_incident(
            session,
            user,
            section,
            IncidentInput(
                IncidentType.STRAY_LIVESTOCK,
                now - timedelta(hours=5),
                "Twelve sheep crossed near sign 120",
                landmark="Sign 120",
                animals_involved=12,
                is_shared=True,
            ),
            now=now,
        )
        act = incidents.record_hand_over(
            session,
            user,
            section=section,
            kind=HandOverKind.LIVESTOCK,
            count=12,
            handing_state_id=_state(session, "TJ").id,
            handed_over_at=now - timedelta(hours=1),
            description="12 sheep",
            incident=incident,
            now=now,
        )
        return act.uuid

    act_uuid = _act(pair.tj, report)
    _sync(pair.tj)

    def confirm(session: Session, user: User, _section: BorderSection, now: datetime) -> None:
        act = session.scalars(select(HandOverAct).where(HandOverAct.uuid == act_uuid)).one()
        assert act.handing_confirmed_at is not None and act.handing_confirmed_by_id is None
        assert act.receiving_confirmed_at is None and act.incident is not None
        assert (
            act.incident.description == "Twelve sheep crossed near sign 120"
            and act.incident.reported_by_id is None
        )
        incidents.confirm_hand_over(session, user, act, now=now)

    _act(pair.kg, confirm)
    _sync(pair.kg)
    for instance in (pair.tj, pair.kg):
        with instance.session() as session:
            act = session.scalars(select(HandOverAct).where(HandOverAct.uuid == act_uuid)).one()
            assert act.is_confirmed, instance.state


def test_concurrent_edits_and_freezes_end_alike_on_both_sides(pair):
    uuid = _held_with_texts(pair, ["Border signs 120-126"])
    assert _look(pair.tj, uuid, _record) == _look(pair.kg, uuid, _record)

    # 1. KG changes a text while TJ freezes: the freeze stands, KG's change is refused on both sides
    _write(pair.kg, uuid, ("ky",), "Кеч өзгөртүү")
    _act(pair.tj, lambda s, u, _x, now: protocols.freeze_protocol(s, u, _meeting(s, uuid), now=now))
    _sync(pair.tj)
    _sync(pair.kg)
    tj, kg = _look(pair.tj, uuid, _record), _look(pair.kg, uuid, _record)
    assert tj == kg and tj["protocol"][3] is True
    assert not any("Кеч" in text[2] for text in kg["texts"])  # undone on KG as it was refused on TJ
    for instance in (pair.tj, pair.kg):
        with instance.session() as session:
            refused = session.scalars(
                select(RefusedChange).where(RefusedChange.meeting_id == _meeting(session, uuid).id)
            ).all()
            assert [(r.state.code, r.kind, r.reason) for r in refused] == [
                ("KG", "meetings.text", RefusalReason.FROZEN)
            ]

    # 2. KG reopens; then both change the record and freeze at once: the host's (TJ's) freeze stands
    _act(
        pair.kg,
        lambda s, u, _x, now: protocols.reopen_protocol(
            s, u, protocols.the_protocol(_meeting(s, uuid)), reason="A name is misspelt", now=now
        ),
    )
    _sync(pair.kg)
    assert _look(pair.tj, uuid, _record)["protocol"][3] is False
    _write(pair.tj, uuid, ("tg",), "Ислоҳ")
    _act(pair.tj, lambda s, u, _x, now: protocols.freeze_protocol(s, u, _meeting(s, uuid), now=now))
    _write(pair.kg, uuid, ("ky",), "Оңдоо")
    _act(pair.kg, lambda s, u, _x, now: protocols.freeze_protocol(s, u, _meeting(s, uuid), now=now))
    _sync(pair.tj)
    _sync(pair.kg)
    tj, kg = _look(pair.tj, uuid, _record), _look(pair.kg, uuid, _record)
    assert tj == kg, (tj, kg)
    assert any("Ислоҳ" in text[2] for text in tj["texts"]) and not any(
        "Оңдоо" in text[2] for text in tj["texts"]
    )
    assert len(tj["protocol"][4]) == 2  # two freeze rounds on both
    for instance in (pair.tj, pair.kg):
        with instance.session() as session:
            refused = session.scalars(
                select(RefusedChange).where(RefusedChange.meeting_id == _meeting(session, uuid).id)
            ).all()
            assert sorted((r.state.code, r.kind, r.reason.value) for r in refused) == [
                ("KG", "meetings.text", "frozen"),
                ("KG", "meetings.text", "frozen"),
                ("KG", "protocols.freeze", "superseded"),
            ], instance.state

    # 3. and the version both hold is approved by both heads, each on his own instance
    def approve(session: Session, user: User, _section: BorderSection, now: datetime) -> None:
        protocols.approve_protocol(session, user, protocols.the_protocol(_meeting(session, uuid)), now=now)

    _act(pair.kg, approve)
    _act(pair.tj, approve)
    _sync(pair.tj)
    tj, kg = _look(pair.tj, uuid, _record), _look(pair.kg, uuid, _record)
    assert tj == kg and tj["protocol"][1] == "signed"


def _payloads(instance: Instance) -> list[str]:
    """Every message body this instance sent or received, as JSON text."""
    with instance.session() as session:
        sent = list(session.scalars(select(OutgoingMessage.payload)))
        received = [
            base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
            for token in session.scalars(select(IncomingMessage.token))
        ]
    return sent + received


def test_internal_notes_never_leave_their_side(pair):
    secrets = {
        "TJ": "TJ-ONLY: the KG chief seemed unprepared",
        "KG": "KG-ONLY: ask for the water figures first",
    }
    for instance in (pair.tj, pair.kg):

        def note(
            session: Session, user: User, _section: BorderSection, now: datetime, state: str = instance.state
        ) -> None:
            meeting = _meeting(session, made["signed"])
            add_internal_note(session, user, meeting, secrets[state], now=now)
            add_internal_note(
                session, user, meeting.agenda[0].actions[0], secrets[state] + " (action)", now=now
            )
            meetings_incident = session.scalars(select(Incident).order_by(Incident.id.desc())).first()
            add_internal_note(session, user, meetings_incident, secrets[state] + " (incident)", now=now)

        _act(instance, note)
    # something more travels after the notes were written
    uuid = _request(pair, urgent=False, agenda=["Exchange of information on the spring floods"])
    _sync(pair.tj)
    _sync(pair.kg)
    assert _look(pair.kg, uuid, lambda m: m.status) is MeetingStatus.REQUESTED

    everything = _payloads(pair.tj) + _payloads(pair.kg)
    assert len(everything) > 20
    for text in secrets.values():
        assert not any(text.split(":")[0] in body for body in everything)
    for instance in (pair.tj, pair.kg):
        with instance.session() as session:
            sides = {note.state_id for note in session.scalars(select(InternalNote))}
            assert sides == {_state(session, instance.state).id}  # each holds its own notes only
