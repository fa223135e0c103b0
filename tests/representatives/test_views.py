"""The representatives' pages, walked through by the two sides of a section."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.representatives.ics import CalendarEvent, calendar
from lbt.representatives.models import HandOverAct, Meeting, MeetingStatus, ProtocolStatus
from tests.fixtures.clients import Client
from tests.fixtures.database import Clock
from tests.fixtures.representatives import appoint_chiefs


def _client(app: Flask, username: str) -> Client:
    client: Client = app.test_client()  # type: ignore[assignment]
    assert client.login(username).status_code == 302
    return client


def _at(moment) -> str:  # type: ignore[no-untyped-def]
    """As a representative types it: the section's local time (SEC-1 is on Dushanbe's clock)."""
    return moment.astimezone(ZoneInfo("Asia/Dushanbe")).strftime("%d.%m.%Y %H:%M")


@pytest.fixture
def tj(app, db, ref, reps) -> Client:  # type: ignore[no-untyped-def]
    appoint_chiefs(db, ref, reps)
    return _client(app, "rep-tj")


@pytest.fixture
def kg(app, db, ref, reps) -> Client:  # type: ignore[no-untyped-def]
    appoint_chiefs(db, ref, reps)
    return _client(app, "rep-kg")


def _request(tj: Client, ref, clock: Clock, **overrides: str):  # type: ignore[no-untyped-def]
    data = {
        "section_id": str(ref.section.id),
        "kind": "regular",
        "starts_at": _at(clock.now + timedelta(days=10)),
        "crossing_point_id": "0",
        "venue_name": "Vorukh school",
        "host_state_id": "0",
        "agenda": "Grazing near sign 114\nWater schedule",
    }
    data.update(overrides)
    return tj.submit("/representatives/meetings/new", data)


def _meeting(db) -> Meeting:  # type: ignore[no-untyped-def]
    return db.query(Meeting).order_by(Meeting.id.desc()).first()


def test_request_counter_proposal_accept_record_freeze_approve_by_both_and_locked(
    db, ref, reps, clock, tj, kg
):
    form = tj.get("/representatives/meetings/new")
    assert form.status_code == 200 and "Host proposed by alternation: TJ" in form.get_data(as_text=True)
    response = _request(tj, ref, clock)
    assert response.status_code == 302
    meeting = _meeting(db)
    url = f"/representatives/meetings/{meeting.id}"
    assert response.headers["Location"] == url
    assert meeting.host_state_id == ref.tj.id and len(meeting.agenda) == 2

    page = kg.get(url).get_data(as_text=True)
    assert "Counter-propose" in page and "Accept" in page
    assert "Counter-propose" not in tj.get(url).get_data(as_text=True)  # not TJ's turn

    later = clock.now + timedelta(days=11)
    response = kg.submit(
        f"{url}/counter",
        {"counter-starts_at": _at(later), "counter-crossing_point_id": "0", "counter-reason": "Holiday"},
    )
    assert response.status_code == 302
    db.expire_all()
    assert meeting.starts_at == later and meeting.awaiting_state_id == ref.tj.id
    assert "Holiday" in tj.get(url).get_data(as_text=True)

    assert tj.submit(f"{url}/accept").status_code == 302
    db.expire_all()
    assert meeting.status is MeetingStatus.SCHEDULED
    assert "Vorukh school" in tj.get("/representatives/").get_data(as_text=True)

    clock.now = later + timedelta(hours=2)
    assert kg.submit(f"{url}/held").status_code == 302
    response = kg.submit(
        f"{url}/guests",
        {"guest-state_id": str(ref.kg.id), "guest-full_name": "Bekova B.", "guest-role": "interpreter"},
    )
    assert response.status_code == 302

    for item in meeting.agenda:
        response = tj.submit(
            f"{url}/items/{item.id}/texts",
            {
                f"item{item.id}-summary_tg": f"Муҳокимаи масъалаи {item.position}: ҳамсоягӣ ва ҷамоа",
                f"item{item.id}-decision_tg": "Қарор қабул шуд",
                f"item{item.id}-summary_ky": f"Маселе {item.position} талкууланды: өрүш жана үй",
                f"item{item.id}-decision_ky": "Чечим кабыл алынды",
            },
        )
        assert response.status_code == 302
    first = meeting.agenda[0]
    response = kg.submit(
        f"{url}/items/{first.id}/actions",
        {
            f"action{first.id}-description": "Repair sign 114",
            f"action{first.id}-responsible_state_id": str(ref.kg.id),
            f"action{first.id}-due_on": (clock.now.date() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302

    assert tj.submit(f"{url}/freeze").status_code == 302
    db.expire_all()
    protocol = meeting.protocols[0]
    assert tj.submit(f"/representatives/protocols/{protocol.id}/approve").status_code == 302
    db.expire_all()
    assert protocol.status is ProtocolStatus.DRAFT
    clock.advance(hours=1)
    assert kg.submit(f"/representatives/protocols/{protocol.id}/approve").status_code == 302
    db.expire_all()
    assert protocol.status is ProtocolStatus.SIGNED

    page = kg.get(url).get_data(as_text=True)
    assert "Signed and locked" in page
    for approval in protocol.approvals:
        assert approval.content_sha256 in page

    response = tj.submit(
        f"{url}/items/{first.id}/texts",
        {f"item{first.id}-summary_tg": "Тағйир", f"item{first.id}-summary_ky": "Өзгөртүү"},
    )
    assert response.status_code == 400
    db.expire_all()
    assert "The protocol is signed; write corrections as an addendum." in response.get_data(as_text=True)
    assert first.text_in("tg").summary.startswith("Муҳокимаи")

    pdf = tj.get(f"/representatives/protocols/{protocol.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_a_form_error_is_shown_beside_the_field_with_400(db, ref, reps, clock, tj):
    response = _request(tj, ref, clock, starts_at=_at(clock.now + timedelta(days=2)))
    assert response.status_code == 400
    assert "at least 7 days ahead" in response.get_data(as_text=True)
    assert db.query(Meeting).count() == 0


def test_a_decline_needs_a_reason_and_is_kept_in_the_exchange(db, ref, reps, clock, tj, kg):
    _request(tj, ref, clock)
    meeting = _meeting(db)
    url = f"/representatives/meetings/{meeting.id}"
    assert kg.submit(f"{url}/decline", {"decline-reason": ""}).status_code == 400
    assert tj.submit(f"{url}/decline", {"decline-reason": "x"}).status_code == 400  # not TJ's turn
    assert kg.submit(f"{url}/decline", {"decline-reason": "Floods on the road"}).status_code == 302
    db.expire_all()
    assert meeting.status is MeetingStatus.DECLINED
    assert "Floods on the road" in tj.get(url).get_data(as_text=True)


def test_an_overdue_request_is_highlighted(db, ref, reps, clock, tj, kg):
    _request(tj, ref, clock)
    clock.advance(hours=49)
    page = kg.get("/representatives/").get_data(as_text=True)
    assert "your side must answer" in page and "Overdue" in page


def test_a_representative_of_another_section_is_refused(db, ref, reps, clock, app, tj):
    _request(tj, ref, clock)
    meeting = _meeting(db)
    outsider = _client(app, "rep-tj-uz")
    assert outsider.get(f"/representatives/meetings/{meeting.id}").status_code == 403
    assert (
        outsider.submit(f"/representatives/meetings/{meeting.id}/notes", {"note-text": "x"}).status_code
        == 403
    )
    assert "Vorukh" not in outsider.get("/representatives/").get_data(as_text=True)


def test_the_other_sides_internal_notes_are_not_shown(db, ref, reps, clock, tj, kg):
    _request(tj, ref, clock)
    url = f"/representatives/meetings/{_meeting(db).id}"
    assert tj.submit(f"{url}/notes", {"note-text": "Push for the water schedule"}).status_code == 302
    assert "Push for the water schedule" in tj.get(url).get_data(as_text=True)
    assert "Push for the water schedule" not in kg.get(url).get_data(as_text=True)


def test_actions_incidents_and_hand_over(db, ref, reps, clock, tj, kg):
    response = tj.submit(
        "/representatives/incidents/new",
        {
            "section_id": str(ref.section.id),
            "type": "stray_livestock",
            "occurred_at": _at(clock.now - timedelta(hours=3)),
            "border_sign": "114",
            "description": "Twelve sheep crossed",
            "animals_involved": "12",
            "persons_involved": "0",
        },
    )
    assert response.status_code == 302
    incident_url = response.headers["Location"]
    assert kg.get(incident_url).status_code == 403  # not shared yet
    assert tj.submit(f"{incident_url}/share").status_code == 302
    assert "Stray livestock" in kg.get("/representatives/incidents").get_data(as_text=True)
    response = kg.submit(
        f"{incident_url}/hand-overs",
        {
            "hand_over-kind": "livestock",
            "hand_over-count": "12",
            "hand_over-handing_state_id": str(ref.kg.id),
            "hand_over-handed_over_at": _at(clock.now - timedelta(hours=1)),
        },
    )
    assert response.status_code == 302
    act = db.scalar(select(HandOverAct.id))
    assert tj.submit(f"/representatives/hand-overs/{act}/confirm").status_code == 302
    assert "receiving side confirmed" in kg.get(incident_url).get_data(as_text=True)


def test_progress_notes_change_an_actions_status(db, ref, reps, clock, tj, kg, held_meeting):
    from lbt.representatives import protocols

    action = protocols.add_action(
        db,
        reps.tj,
        held_meeting.agenda[0],
        responsible_state_id=ref.kg.id,
        description="Repair sign",
        due_on=clock.now.date(),
        now=clock.now,
    )
    clock.advance(days=2)
    page = kg.get("/representatives/actions").get_data(as_text=True)
    assert "Repair sign" in page and "Overdue" in page
    response = kg.submit(
        f"/representatives/actions/{action.id}/progress",
        {f"a{action.id}-text": "Repaired", f"a{action.id}-status": "done"},
    )
    assert response.status_code == 302
    db.expire_all()
    assert action.status.value == "done"
    assert (
        kg.submit(f"/representatives/actions/{action.id}/progress", {f"a{action.id}-text": ""}).status_code
        == 400
    )


def test_the_calendar_feed_is_rfc5545(settings, db, ref, reps, clock, tj):
    _request(
        tj, ref, clock, venue_name="Школа Ворух, актовый зал; второй этаж, рядом с пограничным знаком 114"
    )
    response = tj.get("/representatives/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    raw = response.get_data()
    assert raw.endswith(b"\r\n") and all(len(line) <= 75 for line in raw.split(b"\r\n"))
    unfolded = raw.decode().replace("\r\n ", "").split("\r\n")
    assert unfolded[0] == "BEGIN:VCALENDAR" and "END:VCALENDAR" in unfolded
    props = dict(line.split(":", 1) for line in unfolded if ":" in line)
    host = urlsplit(settings.public_url).hostname  # the instance named: two states' UIDs never collide
    assert re.fullmatch(rf"lbt-meeting-\d+@{re.escape(str(host))}", props["UID"])
    # the section's clock, named, with its zone described (UTC+5, no daylight saving)
    start = (clock.now + timedelta(days=10)).astimezone(ZoneInfo("Asia/Dushanbe"))
    assert props["DTSTART;TZID=Asia/Dushanbe"] == start.strftime("%Y%m%dT%H%M%S")
    assert (
        "BEGIN:VTIMEZONE" in unfolded and "TZID:Asia/Dushanbe" in unfolded and "TZOFFSETTO:+0500" in unfolded
    )
    assert unfolded.index("END:VTIMEZONE") < unfolded.index("BEGIN:VEVENT")
    assert unfolded[unfolded.index("BEGIN:VALARM") : unfolded.index("BEGIN:VALARM") + 3] == [
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-P1D",
    ]
    assert props["DTSTAMP"] == clock.now.strftime("%Y%m%dT%H%M%SZ")
    assert props["LOCATION"] == "Школа Ворух\\, актовый зал\\; второй этаж\\, рядом с пограничным знаком 114"
    assert props["SUMMARY"].startswith("SEC-1")


def test_folding_never_splits_a_character(clock):
    text = calendar(
        [CalendarEvent(uid="x", start=clock.now, end=clock.now, summary="ҳҷқңөү" * 40)], stamp=clock.now
    )
    lines = text.encode().split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode()  # each physical line is whole UTF-8
    assert "SUMMARY:" + "ҳҷқңөү" * 40 in text.replace("\r\n ", "")


def test_each_side_keeps_its_own_register_and_a_replacement_keeps_the_history(app, db, ref, clock):
    from tests.fixtures.factories import make_user
    from tests.fixtures.passwords import PASSWORD

    make_user(db, "rep-tj-r", Role.REPRESENTATIVE, state=ref.tj, border_sections=[ref.section])
    make_user(db, "rep-kg-r", Role.REPRESENTATIVE, state=ref.kg, border_sections=[ref.section])
    tj, kg = app.test_client(), app.test_client()
    assert tj.login("rep-tj-r", PASSWORD).status_code == 302
    assert kg.login("rep-kg-r", PASSWORD).status_code == 302
    url = f"/representatives/sections/{ref.section.id}/register"
    first = {
        "post": "border_representative",
        "full_name": "Col. S. Nazarov",
        "credentials_number": "TJ-17/2024",
        "appointed_from": "2025-01-10",
    }
    assert tj.submit(url, first).status_code == 302
    second = {
        **first,
        "full_name": "Col. A. Karimov",
        "credentials_number": "TJ-3/2026",
        "appointed_from": "2026-11-01",
    }
    assert tj.submit(url, second).status_code == 302
    page = kg.get(url).get_data(as_text=True)  # the other side sees the register
    assert "Col. S. Nazarov" in page and "10/01/2025 – 01/11/2026" in page and "Col. A. Karimov" in page
    assert "Record an appointment of your side" in page
    missing = tj.submit(url, {**first, "credentials_number": ""})
    assert missing.status_code == 400
    other = make_user(db, "rep-uz", Role.REPRESENTATIVE, state=ref.uz, border_sections=[ref.other_section])
    outsider = app.test_client()
    outsider.login(other.username, PASSWORD)
    assert outsider.get(url).status_code == 403
