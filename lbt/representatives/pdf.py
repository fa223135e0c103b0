"""The protocol as the document the border representatives sign (A4): exactly the frozen canonical
content, once per working language, each authentic text complete in itself (its own headings, dates,
names of states, section, place, both delegations, agenda, discussion and decisions, signature blocks,
the SHA-256 and both approvals), one language after the other, pages numbered.

Flask-free: fixed texts come from the catalogs (``lbt.core.catalogs.translate``) in each language. Fonts
are the vendored DejaVu ones, which cover Cyrillic with the Tajik and Kyrgyz letters."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Spacer

from lbt.core.errors import N_
from lbt.reference.models import State
from lbt.representatives.delegations import POST_NAMES
from lbt.representatives.models import Post, Protocol, ProtocolKind
from lbt.representatives.pdf_parts import (
    BODY,
    HEADING,
    SMALL,
    TITLE,
    build,
    facts,
    language_name,
    long_day,
    long_moment,
    p,
    signature_blocks,
    state_name,
    t,
)

SUBJECT = N_("Protocol of the meeting of border representatives")


def _role(language: str, role: str) -> str:
    """A register post in the language; a guest's role as it was typed."""
    try:
        return t(language, POST_NAMES[Post(role)])
    except ValueError:
        return role


def _moment(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _header(protocol: Protocol, language: str) -> list[Any]:
    meeting = protocol.meeting
    section = meeting.section
    if protocol.kind is ProtocolKind.PROTOCOL:
        title = t(language, SUBJECT)
    else:
        title = t(language, N_("Addendum %(n)d to the protocol"), n=protocol.number)
    venue = (
        f"{meeting.crossing_point.code} {meeting.crossing_point.name}"
        if meeting.crossing_point
        else meeting.venue_name or meeting.crossing_point_code
    )
    return [
        p(title, TITLE),
        p(t(language, N_("Authentic text in %(language)s"), language=language_name(language)), SMALL),
        Spacer(1, 3 * mm),
        facts(
            [
                (t(language, N_("Border section")), f"{section.code} {section.name}"),
                (
                    t(language, N_("States")),
                    f"{state_name(section.state_a, language)} — {state_name(section.state_b, language)}",
                ),
                (
                    t(language, N_("Date and time")),
                    long_moment(meeting.starts_at, language, section.zone_name),
                ),
                (t(language, N_("Venue")), venue),
                (t(language, N_("Host")), state_name(meeting.host_state, language)),
            ]
        ),
    ]


def _delegations(record: dict[str, Any], states: dict[str, State], language: str) -> list[Any]:
    story: list[Any] = [p(t(language, N_("Delegations")), HEADING)]
    for code, state in states.items():
        story.append(p(t(language, N_("Delegation of %(state)s"), state=state_name(state, language)), BODY))
        head = record.get("heads", {}).get(code)
        people = [person for person in record["participants"] if person["side"] == code]
        if head and not any(person["head"] for person in people):
            role = _role(language, head["post"]) if head["post"] else ""
            story.append(p(f"• {head['name']}, {role} — {t(language, N_('Head of delegation'))}"))
        for person in people:
            suffix = f" — {t(language, N_('Head of delegation'))}" if person["head"] else ""
            story.append(p(f"• {person['name']}, {_role(language, person['role'])}{suffix}"))
    return story


def _agenda(record: dict[str, Any], states: dict[str, State], language: str) -> list[Any]:
    story: list[Any] = [p(t(language, N_("Agenda")), HEADING)]
    for item in record["agenda"]:
        text = item["texts"].get(language, {})
        block: list[Any] = [p(f"{item['position']}. {item['title']}", HEADING)]
        block += [p(t(language, N_("Discussion")), SMALL), p(text.get("summary", ""))]
        if text.get("decision"):
            block += [p(t(language, N_("Decision")), SMALL), p(text["decision"])]
        for action in item["actions"]:
            responsible = states.get(action["responsible"])
            block.append(
                p(
                    f"• {action['description']} — "
                    f"{t(language, N_('Responsible side'))}: "
                    f"{state_name(responsible, language) if responsible else action['responsible']}; "
                    f"{t(language, N_('Deadline'))}: {long_day(date.fromisoformat(action['due_on']), language)}"
                )
            )
        story.append(KeepTogether(block))
    return story


def _signatures(protocol: Protocol, record: dict[str, Any] | None, language: str) -> list[Any]:
    section = protocol.meeting.section
    live = {a.state_id: a for a in protocol.approvals if a.voided_at is None}
    sides = []
    for state in (section.state_a, section.state_b):
        name = ""
        if record is not None:
            head = record.get("heads", {}).get(state.code)
            marked = [x for x in record["participants"] if x["side"] == state.code and x["head"]]
            name = marked[0]["name"] if marked else (head["name"] if head else "")
        approval = live.get(state.id)
        note = (
            t(
                language,
                N_("Approved electronically on %(when)s"),
                when=long_moment(approval.approved_at, language, section.zone_name),
            )
            if approval is not None
            else t(language, N_("Not approved yet"))
        )
        sides.append((state, t(language, N_("Head of delegation")), name, note))
    story: list[Any] = [
        Spacer(1, 6 * mm),
        p(t(language, N_("Signatures of the heads of delegation")), HEADING),
        signature_blocks(language, sides),
        Spacer(1, 4 * mm),
        p(
            f"{t(language, N_('Version'))} {protocol.version} · {t(language, N_('SHA-256 of the approved content'))}:",
            SMALL,
        ),
        p(protocol.content_sha256, SMALL),
    ]
    for state in (section.state_a, section.state_b):
        if state.id in live:
            approval = live[state.id]
            story.append(
                p(
                    f"{state_name(state, language)}: {t(language, N_('Approved'))} "
                    f"{long_moment(approval.approved_at, language, section.zone_name)} · "
                    f"SHA-256 {approval.content_sha256}",
                    SMALL,
                )
            )
    return story


def protocol_pdf(protocol: Protocol, created_at: datetime, locale: str = "en") -> bytes:
    """The frozen protocol (or addendum) as approved, one complete authentic text per working language,
    the reader's language (``locale``) first when it is one of them."""
    document = json.loads(protocol.content)
    section = protocol.meeting.section
    states = {section.state_a.code: section.state_a, section.state_b.code: section.state_b}
    languages = sorted(section.working_languages, key=lambda lang: (lang != locale, lang))
    record = document.get("record")
    story: list[Any] = []
    for index, language in enumerate(languages):
        if index:
            story.append(PageBreak())
        story += _header(protocol, language)
        if record is not None:
            story += _delegations(record, states, language)
            story += _agenda(record, states, language)
        else:
            story += [
                p(t(language, N_("Amends the protocol whose SHA-256 is")), SMALL),
                p(document["amends_sha256"], SMALL),
                Spacer(1, 3 * mm),
                p(document["texts"].get(language, "")),
            ]
        story += _signatures(protocol, record, language)
    first = languages[0] if languages else "en"
    title = (
        t(first, SUBJECT)
        if record is not None
        else t(first, N_("Addendum %(n)d to the protocol"), n=protocol.number)
    )
    return build(
        story,
        title=f"{title}: {section.code}, {long_day(protocol.meeting.starts_at.date(), first)}",
        subject=t(first, SUBJECT),
        created_at=created_at,
    )
