"""The six-monthly report as a PDF (A4): the same content as report.json, every fixed text in each of
the agreement's working languages side by side ("Russian / Tajik"), with the SHA-256 of report.json
and the audit anchor, so the paper copy names the signed file it was made from."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lbt.core.catalogs import translate
from lbt.core.errors import N_
from lbt.core.pdf_document import canvas_maker, document_options
from lbt.core.pdf_fonts import BOLD, REGULAR, register_fonts
from lbt.reports.words import word_for

BODY = ParagraphStyle("report-body", fontName=REGULAR, fontSize=9, leading=11.5)
SMALL = ParagraphStyle("report-small", parent=BODY, fontSize=7.5, leading=9.5)
HEADING = ParagraphStyle("report-heading", parent=BODY, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8)
TITLE = ParagraphStyle("report-title", parent=BODY, fontName=BOLD, fontSize=14, leading=18, spaceAfter=6)


def paragraph(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    value = unicodedata.normalize("NFC", "" if text is None else str(text))
    return Paragraph(escape(value).replace("\n", "<br/>"), style)


def _words(languages: Sequence[str]):  # type: ignore[no-untyped-def]
    def say(message: str, **params: Any) -> str:
        texts = [translate(language, message, **params) for language in languages]
        return " / ".join(dict.fromkeys(texts))  # one text once when two languages agree

    return say


def _cell(value: Any, say: Any) -> str:
    word = word_for(value)
    return say(word) if word else ("—" if value is None else str(value))


def figure_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], say: Any) -> Table:
    data = [[paragraph(say(column), SMALL) for column in columns]]
    data += [[paragraph(_cell(value, say), SMALL) for value in row] for row in rows]
    if len(data) == 1:
        data.append([paragraph("—", SMALL) for _ in columns])
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),  # else an unused Helvetica resource
            ]
        )
    )
    return table


def _holder(permit: Mapping[str, Any]) -> str:
    return f"{permit['number']} · {permit['surname_latin']} {permit['given_names_latin']} · {permit['birth_date']}"


def report_pdf(content: Mapping[str, Any], sha256: str) -> bytes:
    """The report of ``content`` (report.json's dict) on A4, in its ``languages``."""
    register_fonts()
    say = _words(content["languages"] or ["en"])
    period = content["period"]
    period_label, from_label, to_label = say(N_("Period")), say(N_("From")), say(N_("To"))
    version_label, made_label = say(N_("Version")), say(N_("Made"))
    story: list[Any] = [
        paragraph(say(N_("Six-monthly report on local border traffic")), TITLE),
        paragraph(f"{content['agreement']['code']} — {content['agreement']['name']}"),
        paragraph(
            f"{period_label}: {period['start']} – {period['end']} ({period['half']}, {period['time_zone']})"
        ),
        paragraph(f"{from_label}: {content['state']} · {to_label}: {content['partner_state']}"),
        paragraph(f"{version_label}: {content['version']} · {made_label}: {content['made_at']}"),
    ]
    if content["supersedes"]:
        corrects = say(N_("Corrects version"))
        story.append(
            paragraph(
                f"{corrects} {content['supersedes']['version']} "
                f"(SHA-256 {content['supersedes']['sha256']}): {content['correction_reason']}"
            )
        )
    story.append(paragraph(say(N_("Misuse cases and penalties")), HEADING))
    story.append(
        figure_table(
            (N_("Detected"), N_("Kind"), N_("Permit"), N_("Crossing point"), N_("Penalty")),
            [
                (
                    case["detected_at"][:10],
                    case["kind"],
                    _holder(case["permit"]),
                    case["crossing_point"],
                    case["penalty"],
                )
                for case in content["misuse_cases"]
            ],
            say,
        )
    )
    story.append(paragraph(say(N_("Withdrawals")), HEADING))
    story.append(
        figure_table(
            (N_("Date"), N_("Status"), N_("Permit"), N_("Reason")),
            [
                ((item["changed_at"] or "")[:10], item["status"], _holder(item["permit"]), item["reason"])
                for item in content["withdrawals"]
            ],
            say,
        )
    )
    for figure in content["figures"].values():
        story.append(paragraph(say(figure["title"]), HEADING))
        story.append(figure_table(figure["columns"], figure["rows"], say))
    audit = content["audit"]
    anchor_label = say(N_("Audit log when made (entries, head entry, head hash)"))
    story += [
        Spacer(1, 6 * mm),
        paragraph(f"report.json SHA-256: {sha256}", SMALL),
        paragraph(
            f"{anchor_label}: {audit['entry_count']} · #{audit['head_entry_id']} · {audit['head_hash']}",
            SMALL,
        ),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        **document_options(
            title=f"LBT report {content['agreement']['code']} {period['half']} v{content['version']}",
            subject="Six-monthly report on local border traffic",
        ),
    )
    document.build(story, canvasmaker=canvas_maker(datetime.now(UTC)))
    return buffer.getvalue()
