"""What a figure's chart draws, for static/js/report-charts.js: the rows' labels and the charted
columns' numbers, in the reader's words. The chart only redraws the table beside it (which stays, with
the `<progress>` bars for pages read without JavaScript), so it adds no figure of its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lbt.reports.figures import Figure


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _label_width(rows: Sequence[Sequence[Any]]) -> int:
    """How many leading columns name a row: those before the first column holding only numbers."""
    width = len(rows[0])
    for column in range(1, width):
        if all(row[column] is None or _is_number(row[column]) for row in rows):
            return column
    return 1


def chart_of(
    figure: Figure, rows: Sequence[Sequence[Any]], translate: Callable[[str], str]
) -> dict[str, Any] | None:
    """The chart of a figure's shown rows, or None when it has no chart or nothing to count."""
    if not figure.chart or not rows:
        return None
    charted = figure.series or (len(figure.columns) - 1,)
    if figure.chart == "bar":
        charted = charted[:2]
    width = _label_width(rows)
    series = [
        {
            "label": translate(figure.columns[column]),
            "values": [row[column] if _is_number(row[column]) else None for row in rows],
        }
        for column in charted
    ]
    if not any(value for one in series for value in one["values"]):
        return None
    return {
        "kind": figure.chart,
        "label": translate(figure.columns[0]),
        "labels": [" · ".join(str(value) for value in row[:width] if value is not None) for row in rows],
        "series": series,
    }


def bars_of(chart: dict[str, Any] | None) -> list[tuple[str, int | float]]:
    """The chart as (label, number) pairs, for the `<progress>` bars drawn without JavaScript and the
    text summary: one per row, or per row and series when it draws two."""
    if chart is None:
        return []
    several = len(chart["series"]) > 1
    return [
        (f"{label} · {one['label']}" if several else label, value)
        for one in chart["series"]
        for label, value in zip(chart["labels"], one["values"], strict=True)
        if value is not None
    ]
