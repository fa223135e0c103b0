"""A figure as CSV (and, later, XLSX): the table as shown, headings and codes in the reader's words."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from lbt.reports.figures import Figure
from lbt.reports.words import word_for

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
