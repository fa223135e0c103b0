"""A figure as CSV or XLSX: the table as shown, headings and codes in the reader's words."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import xlsxwriter

from lbt.reports.figures import Figure
from lbt.reports.words import word_for

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _safe(value: Any) -> Any:
    """A text a spreadsheet would run as a formula (CSV injection, OWASP) is quoted with a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def shown_rows(figure: Figure, translate: Callable[[str], str]) -> list[list[Any]]:
    """The figure's rows with each code replaced by its words."""
    return [[translate(word) if (word := word_for(value)) else value for value in row] for row in figure.rows]


def figure_csv(figure: Figure, translate: Callable[[str], str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([translate(column) for column in figure.columns])
    for row in shown_rows(figure, translate):
        writer.writerow([_safe(value) for value in row])
    return buffer.getvalue()


def figure_xlsx(figure: Figure, translate: Callable[[str], str]) -> bytes:
    """The same table as the CSV in one worksheet: numbers stay numbers, every text is written as a
    text (never read as a formula or link) and neutralised like the CSV's, empty cells stay empty."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet(SHEET_NAME_FORBIDDEN.sub("_", figure.key)[:31] or "figure")
    bold = workbook.add_format({"bold": True})
    for column, heading in enumerate(figure.columns):
        sheet.write_string(0, column, _safe(translate(heading)), bold)
    for row_number, row in enumerate(shown_rows(figure, translate), start=1):
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(row_number, column, value)
            else:
                sheet.write_string(row_number, column, _safe(str(value)))
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
