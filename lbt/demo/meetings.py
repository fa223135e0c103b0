"""The border representatives' part of the demo: both chiefs of the first border section in its
register (linked to the demo accounts ``representative`` and ``rep-<partner>``), a meeting held last
week whose protocol the home side has frozen and approved, waiting for the partner's head, and a
meeting the partner asks for, waiting for the home side's answer. Made through the services, as
the representatives would, so the audit log has it all."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.services import find_user
from lbt.core.dates import zone
from lbt.demo.sides import SECTION_CODES, Side
from lbt.reference.models import BorderSection, State
from lbt.representatives import meetings, protocols, register
from lbt.representatives.delegations import from_register, guest
from lbt.representatives.meetings import Venue
from lbt.representatives.models import Meeting, MeetingKind, Post

# (summary, decision) of the held meeting's two items, in each working language of the section
TEXTS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "tg": (
        ("Тарафҳо чарогоҳи назди аломати 114-ро муҳокима карданд.", "Ҷадвали чаронидан то 1 май тасдиқ шуд."),
        ("Навбати обёрӣ аз канали Ворух муҳокима шуд.", "Гурӯҳи корӣ то 15 март ҷадвал пешниҳод мекунад."),
    ),
    "ky": (
        ("Тараптар 114-белгинин жанындагы жайытты талкуулашты.", "Жайылтуу графиги 1-майга чейин бекитилди."),
        ("Ворух каналынан сугат кезеги талкууланды.", "Жумушчу топ 15-мартка чейин график сунуштайт."),
    ),
    "ru": (
        ("Стороны обсудили выпас у пограничного знака 114.", "График выпаса утверждён до 1 мая."),
        ("Обсуждена очерёдность полива из канала Ворух.", "Рабочая группа представит график до 15 марта."),
    ),
}


def _at(day: date, hour: int, section: BorderSection) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone(section.zone_name))


def load_meetings(session: Session, side: Side, *, now: datetime) -> None:
    """Add the representatives' demo once (nothing when the section already has a meeting)."""
    section = session.scalars(select(BorderSection).where(BorderSection.code == SECTION_CODES[0])).one()
    if session.scalars(select(Meeting.id).where(Meeting.section_id == section.id)).first() is not None:
        return
    home_rep, partner_rep = (
        find_user(session, "representative"),
        find_user(session, f"rep-{side.partner.lower()}"),
    )
    if home_rep is None or partner_rep is None:
        return
    states = {
        s.code: s for s in session.scalars(select(State).where(State.code.in_([side.code, side.partner])))
    }
    chiefs = {
        code: register.appoint(
            session,
            user,
            section=section,
            state=states[code],
            post=Post.BORDER_REPRESENTATIVE,
            full_name=user.full_name,
            credentials_number=f"{code}-BR-2024-0{index}",
            appointed_from=date(2024, 1, 15),
            user=user,
            now=now - timedelta(days=30),
        )
        for index, (code, user) in enumerate(((side.code, home_rep), (side.partner, partner_rep)), start=1)
    }
    people = [
        from_register(chiefs[side.code], is_head=True),
        from_register(chiefs[side.partner], is_head=True),
        guest(states[side.partner].id, "Aisuluu Bekova", "interpreter"),
    ]
    _held_meeting(session, section, home_rep, partner_rep, people, now=now)
    asked = now - timedelta(hours=6)
    meetings.request_meeting(
        session,
        partner_rep,
        section=section,
        kind=MeetingKind.REGULAR,
        starts_at=_at((now + timedelta(days=12)).date(), 10, section),
        venue=Venue(name="Ak-Sai village council"),
        agenda=["Repair of border signs 120-126", "Joint patrol schedule for the spring"],
        participants=people[:2],
        now=asked,
    )


def _held_meeting(
    session: Session, section: BorderSection, home: Any, partner: Any, people: list[Any], *, now: datetime
) -> None:
    asked = now - timedelta(days=20)
    meeting = meetings.request_meeting(
        session,
        home,
        section=section,
        kind=MeetingKind.REGULAR,
        starts_at=_at((now - timedelta(days=9)).date(), 10, section),
        venue=Venue(name="Vorukh school"),
        agenda=["Grazing near border sign 114", "Water schedule of the Vorukh canal"],
        participants=people,
        now=asked,
    )
    meetings.accept(session, partner, meeting, now=asked + timedelta(days=1))
    held = meeting.starts_at + timedelta(hours=3)
    meetings.mark_held(session, home, meeting, now=held)
    for index, item in enumerate(meeting.agenda[: len(TEXTS["ru"])]):
        for language in section.working_languages:
            summary, decision = TEXTS[language][index]
            writer = partner if language == "ky" else home
            protocols.write_item_text(
                session, writer, item, language=language, summary=summary, decision=decision, now=held
            )
    protocol = protocols.freeze_protocol(session, home, meeting, now=held + timedelta(hours=1))
    protocols.approve_protocol(session, home, protocol, now=held + timedelta(hours=2))
