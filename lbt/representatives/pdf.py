"""The protocol as a PDF (A4): exactly the frozen canonical content that the heads of delegation
approved, in every working language, with signature blocks and the approvals' SHA-256 hashes.

Flask-free: the caller passes the translated fixed texts in ``labels``. Fonts are the vendored DejaVu
ones registered by ``lbt.core.pdf_fonts``, which cover Cyrillic with the Tajik and Kyrgyz letters."""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lbt.core.dates import format_day, format_moment
from lbt.core.pdf_fonts import BOLD, REGULAR, register_fonts
from lbt.representatives.models import Protocol, ProtocolKind

BODY = ParagraphStyle("body", fontName=REGULAR, fontSize=10, leading=13)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
HEADING = ParagraphStyle(
    "heading", parent=BODY, fontName=BOLD, fontSize=12, leading=15, spaceBefore=6, spaceAfter=4
)
TITLE = ParagraphStyle("title", parent=BODY, fontName=BOLD, fontSize=15, leading=19, spaceAfter=8)


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text: NFC (no shaping in reportlab), markup-escaped, line breaks kept."""
    value = unicodedata.normalize("NFC", str(text))
    return Paragraph(escape(value).replace("\n", "<br/>"), style)


def _facts(rows: list[tuple[str, Any]]) -> Table:
    table = Table([[_p(k, SMALL), _p(v)] for k, v in rows], colWidths=[40 * mm, None])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return table


def _moment(value: str | datetime, locale: str, zone_name: str) -> str:
    """A canonical time (ISO, UTC) as the reader writes it, on the section's clock, the zone named."""
    moment = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    return format_moment(moment, locale, zone_name)


def _day(value: str, locale: str) -> str:
    try:
        return format_day(date.fromisoformat(str(value)), locale)
    except ValueError:
        return str(value)


def _record(record: Mapping[str, Any], labels: Mapping[str, str], locale: str, zone_name: str) -> list[Any]:
    story: list[Any] = [
        _facts(
            [
                (labels["section"], record["section"]),
                (labels["date"], _moment(record["starts_at"], locale, zone_name)),
                (labels["venue"], record["crossing_point"] or record["venue"]),
                (labels["host"], record["host"]),
            ]
        ),
        _p(labels["participants"], HEADING),
    ]
    for person in record["participants"]:
        head = f" — {labels['head']}" if person["head"] else ""
        story.append(_p(f"{person['side']}: {person['name']}, {person['role']}{head}"))
    story.append(_p(labels["agenda"], HEADING))
    for item in record["agenda"]:
        block: list[Any] = [_p(f"{item['position']}. {item['title']}", HEADING)]
        for language in record["languages"]:
            text = item["texts"].get(language, {})
            block.append(_p(f"[{language.upper()}] {labels['summary']}: {text.get('summary', '')}"))
            if text.get("decision"):
                block.append(_p(f"[{language.upper()}] {labels['decision']}: {text['decision']}"))
        for action in item["actions"]:
            block.append(
                _p(
                    f"• {action['description']} — {labels['responsible']}: {action['responsible']}, "
                    f"{labels['due']}: {_day(action['due_on'], locale)}"
                )
            )
        story.append(KeepTogether(block))
    return story


def _signatures(
    protocol: Protocol, heads: Mapping[str, str], labels: Mapping[str, str], locale: str
) -> list[Any]:
    section = protocol.meeting.section
    zone_name = section.zone_name
    live = {a.state_id: a for a in protocol.approvals if a.voided_at is None}
    cells = []
    for state in (section.state_a, section.state_b):
        approval = live.get(state.id)
        lines = [
            _p(f"{labels['head']} ({state.code})", SMALL),
            _p(heads.get(state.code, "")),
            Spacer(1, 12 * mm),
            _p("_" * 30),
        ]
        if approval is None:
            lines.append(_p(labels["not_approved"], SMALL))
        else:
            lines.append(
                _p(f"{labels['approved']}: {_moment(approval.approved_at, locale, zone_name)}", SMALL)
            )
        cells.append(lines)
    table = Table([cells], colWidths=["50%", "50%"])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    hashes = [
        _p(
            f"{state.code} · {_moment(live[state.id].approved_at, locale, zone_name)} · {labels['content_hash']}:",
            SMALL,
        )
        for state in (section.state_a, section.state_b)
        if state.id in live
    ]
    story: list[Any] = [_p(labels["signatures"], HEADING), table, Spacer(1, 4 * mm)]
    for state in (section.state_a, section.state_b):
        if state.id in live:
            story += [hashes.pop(0), _p(live[state.id].content_sha256, SMALL)]
    return story


def protocol_pdf(protocol: Protocol, labels: Mapping[str, str], locale: str = "en") -> bytes:
    """The frozen protocol (or addendum) as approved, on A4; times on the section's clock, the zone named,
    dates as ``locale`` writes them."""
    register_fonts()
    document = json.loads(protocol.content)
    meeting = protocol.meeting
    zone_name = meeting.section.zone_name
    if protocol.kind is ProtocolKind.PROTOCOL:
        title = labels["title"]
        record = document["record"]
        story = [_p(title, TITLE), *_record(record, labels, locale, zone_name)]
        heads = {p["side"]: p["name"] for p in record["participants"] if p["head"]}
    else:
        title = labels["addendum"]
        story = [
            _p(title, TITLE),
            _facts(
                [
                    (labels["section"], meeting.section.code),
                    (labels["date"], _moment(meeting.starts_at, locale, zone_name)),
                ]
            ),
        ]
        for language, text in sorted(document["texts"].items()):
            story.append(_p(f"[{language.upper()}] {text}"))
        heads = {p.state.code: p.full_name for p in meeting.participants if p.is_head}
    story += [
        Spacer(1, 6 * mm),
        _p(f"{labels['version']} {protocol.version} · SHA-256 {protocol.content_sha256}", SMALL),
        *_signatures(protocol, heads, labels, locale),
    ]
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="LBT",
        invariant=1,
    )
    pdf.build(story)
    return buffer.getvalue()
