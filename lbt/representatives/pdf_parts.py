"""Building blocks of the representatives' documents (the protocol, the hand-over act, the border-sign
record): styles, text in one language through the catalogs, names and dates as each language writes
them, and the signature blocks of both sides."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lbt.core.catalogs import translate
from lbt.core.dates import format_day, zone, zone_label
from lbt.core.errors import N_, Message
from lbt.core.pdf_document import canvas_maker, document_options
from lbt.core.pdf_fonts import BOLD, REGULAR, register_fonts
from lbt.reference.models import State
from lbt.reference.names import state_name

BODY = ParagraphStyle("body", fontName=REGULAR, fontSize=10, leading=13)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
HEADING = ParagraphStyle(
    "heading", parent=BODY, fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=6, spaceAfter=3
)
TITLE = ParagraphStyle("title", parent=BODY, fontName=BOLD, fontSize=14, leading=18, spaceAfter=4)

# a table sets its cells' font even when they hold paragraphs: Helvetica unless told otherwise
CELLS = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), REGULAR)]


def p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text: NFC (no shaping in reportlab), markup-escaped, line breaks kept."""
    register_fonts()  # a paragraph maps its font when made (cached after the first call)
    value = unicodedata.normalize("NFC", str(text))
    return Paragraph(escape(value).replace("\n", "<br/>"), style)


def t(locale: str, message: Message, /, **params: Any) -> str:
    return translate(locale, message, **params)


def language_name(language: str) -> str:
    try:
        return Locale.parse(language).get_display_name(language) or language
    except (UnknownLocaleError, ValueError):
        return language


def long_day(value: Any, language: str) -> str:
    """ "1 декабря 2026 г.", "1-декабрь, 2026-ж.": the day written out as the language writes it (Babel)."""
    try:
        return format_date(value, "long", locale=language)
    except (UnknownLocaleError, ValueError):
        return format_day(value, language)


def long_moment(value: datetime | None, language: str, zone_name: str) -> str:
    """The day written out, the time on the section's clock, the zone named."""
    if value is None:
        return ""
    local = value.astimezone(zone(zone_name))
    return f"{long_day(local.date(), language)}, {local:%H:%M} ({zone_label(value, zone_name)})"


def facts(rows: Sequence[tuple[str, Any]]) -> Table:
    table = Table([[p(k, SMALL), p(v)] for k, v in rows], colWidths=[45 * mm, None])
    table.setStyle(TableStyle([*CELLS, ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return table


def signature_blocks(language: str, sides: Sequence[tuple[State, str, str, str]]) -> Table:
    """One block per side: "For <state>", the signer's capacity and name, a line to sign on, and a
    note (the electronic approval, or that there is none yet)."""
    cells = []
    for state, capacity, name, note in sides:
        cells.append(
            [
                p(t(language, N_("For %(state)s"), state=state_name(state, language)), HEADING),
                p(capacity, SMALL),
                p(name or "_" * 30),
                Spacer(1, 12 * mm),
                p("_" * 30),
                p(t(language, N_("signature")), SMALL),
                p(note, SMALL),
            ]
        )
    table = Table([cells], colWidths=["50%", "50%"])
    table.setStyle(TableStyle(CELLS))
    return table


def build(story: list[Any], *, title: str, subject: str, created_at: datetime) -> bytes:
    """An A4 document from ``story``, with the shared hygiene and page numbers."""
    register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        **document_options(title=title, subject=subject),
    )
    document.build(story, canvasmaker=canvas_maker(created_at))
    return buffer.getvalue()
