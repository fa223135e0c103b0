"""The charts redraw their tables: what report-charts.js gets in data-chart, and that the page loads the
vendored uPlot from this server under the CSP, keeping the <progress> bars for pages without it."""

from __future__ import annotations

import html
import json
import re

from lbt.accounts.models import Role
from lbt.reports.charts import bars_of, chart_of
from lbt.reports.figures import Figure


def _words(text: str) -> str:
    return text.upper()


def test_a_bar_chart_draws_the_last_column_labelled_by_the_leading_text_columns():
    figure = Figure(
        "permits_by_locality",
        "Permits",
        ("Locality", "District", "Population", "First", "Per 1,000"),
        (("Ak-Sai", "Batken", 2000, 1, 0.5), ("Vorukh", "Isfara", None, 3, None)),
    )
    chart = chart_of(figure, [list(row) for row in figure.rows], _words)
    assert chart == {
        "kind": "bar",
        "label": "LOCALITY",
        "labels": ["Ak-Sai · Batken", "Vorukh · Isfara"],
        "series": [{"label": "PER 1,000", "values": [0.5, None]}],
    }


def test_a_line_chart_draws_its_series_and_nothing_to_count_draws_no_chart():
    figure = Figure(
        "crossings_over_time",
        "Crossings",
        ("Day", "Entries", "Exits"),
        (("2026-11-01", 4, 0), ("2026-11-02", 0, 3)),
        chart="line",
        series=(1, 2),
    )
    chart = chart_of(figure, [list(row) for row in figure.rows], _words)
    assert chart is not None and chart["kind"] == "line"
    assert chart["series"] == [{"label": "ENTRIES", "values": [4, 0]}, {"label": "EXITS", "values": [0, 3]}]
    empty = Figure("x", "X", ("Day", "Entries"), (("2026-11-01", 0),))
    assert chart_of(empty, [list(row) for row in empty.rows], _words) is None
    table_only = Figure("y", "Y", ("Step", "Days"), (("median", 3),), chart="")
    assert chart_of(table_only, [list(row) for row in table_only.rows], _words) is None


def test_the_page_gives_each_chart_its_data_and_keeps_the_table_and_progress_bars(
    login_as, db, clock, permit
):
    page = login_as(Role.ANALYST).get("/reports/")
    text = page.get_data(as_text=True)
    assert '<script src="/static/vendor/uplot/uPlot.iife.min.js"></script>' in text
    assert '<script src="/static/js/report-charts.js"></script>' in text
    assert 'href="/static/vendor/uplot/uPlot.min.css"' in text
    charts = [json.loads(html.unescape(found)) for found in re.findall(r"data-chart='([^']*)'", text)]
    applications = next(chart for chart in charts if "Received" in chart["labels"])
    assert applications["series"][0]["values"][applications["labels"].index("Received")] == 1
    assert "<progress" in text and "<table" in text  # the fallback and the table stay
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_vendored_chart_library_is_served_with_its_licence(client):
    with client.get("/static/vendor/uplot/uPlot.iife.min.js") as script:
        assert script.status_code == 200 and b"uPlot" in script.data
    with client.get("/static/vendor/uplot/LICENSE") as licence:
        assert b"MIT License" in licence.data


def test_the_progress_bars_and_the_summary_count_every_charted_series():
    figure = Figure(
        "crossings_by_point",
        "Crossings",
        ("Crossing point", "Entries", "Exits"),
        (("TJ-KG-01", 3, 0), ("TJ-KG-02", 0, 0)),
        series=(1, 2),
    )
    bars = bars_of(chart_of(figure, [list(row) for row in figure.rows], _words))
    assert bars == [
        ("TJ-KG-01 · ENTRIES", 3),
        ("TJ-KG-02 · ENTRIES", 0),
        ("TJ-KG-01 · EXITS", 0),
        ("TJ-KG-02 · EXITS", 0),
    ]  # the exits are none, yet the figure has something to count
    assert bars_of(None) == []
