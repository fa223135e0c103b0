"""The central office's analyst on a phone: opens the reports from the home page, filters them by a
crossing point, reads the crossings chart (with the keyboard) and its table, downloads the table as
CSV and XLSX, and makes the six-monthly report."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from lbt.accounts.models import User
from lbt.crossings import services as crossings
from lbt.crossings.models import Crossing, CrossingStatus, Direction
from lbt.permits.models import Permit
from lbt.reference.models import CrossingPoint
from tests.browser.test_verify_page import Holder, issue_permit
from tests.fixtures.browser import LiveServer, logged_in
from tests.reports.xlsx import read_cells

pytestmark = pytest.mark.browser


def _an_entry(live_server: LiveServer) -> str:
    """A permit of its own enters at the guard's first post a minute ago; returns the post's code."""
    state = live_server.state
    number, _token, _pdf = issue_permit(
        state, Holder("Сафаров", "Бахтиёр", "SAFAROV", "BAKHTIYOR", date(1979, 8, 9)), "AC9990077", card=False
    )
    now = datetime.now(UTC)
    with state.database.transaction() as session:
        guard = session.scalar(select(User).where(User.username == "guard"))
        permit = session.scalar(select(Permit).where(Permit.number == number))
        assert guard is not None and permit is not None
        point = sorted(guard.crossing_points, key=lambda point: point.code)[0]
        crossings.record(
            session,
            client_id=str(uuid.uuid4()),
            permit=permit,
            crossing_point=point,
            direction=Direction.ENTRY,
            at=now - timedelta(minutes=1),
            officer=guard,
            now=now,
        )
        return point.code


def _counted(live_server: LiveServer, code: str, direction: Direction) -> int:
    """An independent count: the counted crossings at the post in the last 30 days (every crossing of
    the browser tests is today's)."""
    with live_server.state.database.transaction() as session:
        return session.scalar(
            select(func.count())
            .select_from(Crossing)
            .join(CrossingPoint, CrossingPoint.id == Crossing.crossing_point_id)
            .where(
                CrossingPoint.code == code,
                Crossing.direction == direction,
                Crossing.status == CrossingStatus.COUNTED,
                Crossing.at >= datetime.now(UTC) - timedelta(days=29),
            )
        )


def test_an_analyst_filters_reads_a_chart_downloads_its_table_and_makes_the_report(
    page, live_server: LiveServer, tmp_path: Path
):  # type: ignore[no-untyped-def]
    code = _an_entry(live_server)
    entries, exits = _counted(live_server, code, Direction.ENTRY), _counted(live_server, code, Direction.EXIT)
    assert entries >= 1
    logged_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/")
    page.locator("#main").get_by_role("link", name="Reports", exact=True).click()  # the home page's tile
    page.wait_for_url(f"{live_server.url}/reports/")

    page.get_by_label("Crossing point", exact=True).select_option(
        label=next(
            option
            for option in page.get_by_label("Crossing point", exact=True).locator("option").all_inner_texts()
            if option.startswith(code + " ")
        )
    )
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/reports/?*crossing_point=*")
    permalink = page.url

    section = page.locator(
        "section.figure", has=page.get_by_role("heading", name="Crossings by crossing point")
    )
    # the chart is drawn (uPlot's canvas, inside the phone's width) and replaces the <progress> bars
    chart = section.locator(".chart")
    chart.locator("canvas").first.wait_for()
    assert section.locator(".bar-chart").is_hidden()
    box = chart.locator(".chart__plot").bounding_box()
    assert box is not None and 0 < box["width"] <= 390
    # read with the keyboard: the first (only) post and its numbers
    chart.locator(".chart__plot").focus()
    page.keyboard.press("Home")
    readout = chart.locator(".chart__readout")
    assert readout.inner_text() == f"{code}: Entries {entries}, Exits {exits} (1/1)"
    # its table, with the same numbers
    row = section.locator("table.table tbody tr")  # (uPlot's legend is a table too)
    assert row.count() == 1, row.all_inner_texts()
    assert row.locator("th").inner_text() == code
    assert row.locator("td").all_inner_texts() == [str(entries), str(exits)]

    with page.expect_download() as csv_download:
        section.get_by_role("link", name="Download CSV").click()
    csv_path = tmp_path / "crossings.csv"
    csv_download.value.save_as(csv_path)
    assert csv_download.value.suggested_filename == "crossings_by_point.csv"
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert rows == [["Crossing point", "Entries", "Exits"], [code, str(entries), str(exits)]]

    with page.expect_download() as xlsx_download:
        section.get_by_role("link", name="Download XLSX").click()
    xlsx_path = tmp_path / "crossings.xlsx"
    xlsx_download.value.save_as(xlsx_path)
    cells, _types = read_cells(xlsx_path.read_bytes())
    assert cells == [["Crossing point", "Entries", "Exits"], [code, entries, exits]]

    with page.expect_download() as pdf_download:  # the filtered page as a PDF: the same post and numbers
        page.get_by_role("link", name="Download this page as PDF").click()
    assert pdf_download.value.suggested_filename.startswith("reports-")
    document = PdfReader(pdf_download.value.path())
    text = " ".join(sheet.extract_text() for sheet in document.pages)
    assert code in text and str(entries) in text, text[:500]

    page.goto(permalink)  # the permalink shows the same filtered figures again
    assert (
        page.get_by_label("Crossing point", exact=True)
        .locator("option:checked")
        .inner_text()
        .startswith(code)
    )

    page.get_by_role("link", name="Six-monthly reports to the partner state").click()
    today = datetime.now(UTC).date()
    half = f"{today.year}-{1 if today.month <= 6 else 2}"
    page.get_by_label("Agreement", exact=True).select_option(index=0)
    page.get_by_label("Half-year").fill(half)
    page.get_by_role("button", name="Make the report").click()
    # the worker makes it; the page follows the job (static/js/job-progress.js) and shows it when done
    page.wait_for_url(re.compile(re.escape(f"{live_server.url}/reports/six-monthly?job=") + r"\d+$"))
    page.get_by_text(f"Report {half} version 1 made.").wait_for(timeout=60_000)
    with page.expect_download() as report_download:
        page.get_by_role("link", name="report.jws").first.click()
    jws = report_download.value.path().read_text()
    assert jws.count(".") == 2  # a compact JWS
    assert page.csp_violations == []
