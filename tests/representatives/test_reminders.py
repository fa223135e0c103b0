"""Invitations and reminders by mail: once each, on the section's clock with the zone named."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lbt.notifications.models import OutboxMessage
from lbt.representatives import meetings
from lbt.representatives.reminders import send_due
from tests.fixtures.representatives import request

URL = "https://lbt.example.tj"


def _mails(db):  # type: ignore[no-untyped-def]
    return db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_a_scheduled_meeting_invites_its_participants_once_and_reminds_them_the_day_before(
    db, ref, reps, clock
):
    reps.tj.email, reps.tj.locale = "rahimov@example.tj", "tg"
    reps.kg.email, reps.kg.locale = "asanov@example.kg", "ru"
    meeting = request(db, ref, reps, clock)
    assert send_due(db, public_url=URL, now=clock.now).invitations == 0  # only a request so far

    meetings.accept(db, reps.kg, meeting, now=clock.now)
    sent = send_due(db, public_url=URL, now=clock.now)
    assert (sent.invitations, sent.reminders) == (2, 0)
    assert send_due(db, public_url=URL, now=clock.now + timedelta(minutes=15)) == type(sent)(0, 0)

    local = meeting.starts_at.astimezone(ZoneInfo("Asia/Dushanbe"))
    invitations = {mail.recipient: mail for mail in _mails(db)}
    russian = invitations["asanov@example.kg"]
    assert f"{local:%d.%m.%Y %H:%M} (Asia/Dushanbe, UTC+5)" in russian.body
    assert f"{URL}/representatives/meetings/{meeting.id}" in russian.body
    assert "Grazing near sign 114" in russian.body
    assert f"{local:%d/%m/%Y %H:%M} (Asia/Dushanbe, UTC+5)" in invitations["rahimov@example.tj"].body  # Tajik

    day_before = meeting.starts_at - timedelta(hours=23)
    assert send_due(db, public_url=URL, now=day_before - timedelta(hours=2)).reminders == 0
    assert send_due(db, public_url=URL, now=day_before).reminders == 2
    assert send_due(db, public_url=URL, now=day_before + timedelta(hours=1)).reminders == 0
    assert len(_mails(db)) == 4
    assert send_due(db, public_url=URL, now=meeting.starts_at + timedelta(minutes=1)).invitations == 0


def test_participants_without_an_address_get_nothing(db, ref, reps, clock):
    meeting = request(db, ref, reps, clock)
    meetings.accept(db, reps.kg, meeting, now=clock.now)
    assert send_due(db, public_url=URL, now=clock.now).invitations == 0
    assert _mails(db) == []
