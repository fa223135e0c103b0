"""A reports page as a PDF (A4 landscape): what it was filtered by, and every figure as the page shows
it (its title, the text summary of its chart, its notes, its table), in the reader's language, with the
days and the moment it was made in the place's time. The six-monthly report's styles and table."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate

from lbt.core.pdf_document import canvas_maker, document_options
from lbt.core.pdf_fonts import register_fonts
from lbt.reports.figures import Figure
from lbt.reports.pdf import BODY, HEADING, SMALL, TITLE, figure_table, paragraph


def page_pdf(
    figures: Sequence[Figure],
    summaries: Mapping[str, str],
    *,
    title: str,
    lines: Sequence[str],
    say: Callable[..., str],
    made_at: datetime,
) -> bytes:
    """``title`` and ``lines`` (the filters, the period, when made) already in words; ``summaries`` the
    text summary of each figure's chart by key (none for a table-only figure); ``say`` translates the
    figures' titles, headings, notes and codes."""
    register_fonts()
    story: list[Any] = [paragraph(title, TITLE), *(paragraph(line, BODY) for line in lines)]
    for figure in figures:
        story.append(paragraph(say(figure.title), HEADING))
        if summaries.get(figure.key):
            story.append(paragraph(summaries[figure.key], BODY))
        story += [paragraph(say(note), SMALL) for note in figure.notes]
        story.append(figure_table(figure.columns, figure.rows, say))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=15 * mm,
        **document_options(title=title, subject=title),
    )
    document.build(story, canvasmaker=canvas_maker(made_at))
    return buffer.getvalue()
