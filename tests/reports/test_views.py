"""The reports pages: who reads which figures, the filters as permalinks, CSV, and the six-monthly
report made and downloaded from the page."""

from __future__ import annotations

import csv
import io
import json

from lbt.accounts.models import Role
from lbt.crossings.models import MisuseCase, MisuseKind
from lbt.reports.models import Report
from tests.fixtures.factories import make_user
from tests.reference.test_views import LOCALITY_FORM
from tests.reports.xlsx import read_cells


def test_an_analyst_reads_the_figures_without_personal_data(login_as, db, clock, permit):
    db.add(MisuseCase(permit=permit, kind=MisuseKind.OVERSTAY, detected_at=clock(), penalty="fine"))
    db.flush()
    page = login_as(Role.ANALYST).get("/reports/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Misuse cases by kind and penalty" in text and "Overstay" in text
    assert permit.number not in text and permit.surname_latin not in text and "RAHIMOV" not in text
    assert 'href="/reports/six-monthly"' in text


def test_the_filters_are_a_permalink_and_refuse_what_is_out_of_scope(login_as, ref, users):
    client = login_as(Role.SUPERVISOR)  # serves ref.agreement only
    url = f"/reports/?since=2026-11-01&until=2026-11-22&crossing_point={ref.crossing_point.id}"
    page = client.get(url)
    assert page.status_code == 200
    assert "2026-11-01" in page.get_data(as_text=True)
    refused = client.get(f"/reports/?agreement={ref.other_agreement.id}")
    assert refused.status_code == 400
    assert client.get(f"/reports/?crossing_point={ref.other_crossing_point.id}").status_code == 400
    assert client.get("/reports/?since=2026-11-22&until=2026-11-01").status_code == 400
    assert client.get("/reports/?agreement=abc").status_code == 400
    assert client.get("/reports/?since=2000-01-01&until=2026-01-01").status_code == 400


def test_a_figure_downloads_as_csv_in_the_readers_words(login_as, db, clock, permit):
    response = login_as(Role.ANALYST).get("/reports/figures/applications.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Step", "Applications"]
    assert ["Approved", "1"] in rows and ["Received", "1"] in rows
    assert login_as(Role.ANALYST).get("/reports/figures/nothing.csv").status_code == 404


def test_the_six_monthly_report_is_made_and_downloaded_from_the_page(login_as, db, ref, clock, permit):
    client = login_as(Role.ANALYST)
    form = {"csrf_token": client.csrf_token(), "agreement": ref.agreement.id, "half": "2026-2"}
    made = client.post("/reports/six-monthly", data=form)
    assert made.status_code == 302
    report = db.query(Report).one()
    page = client.get("/reports/six-monthly").get_data(as_text=True)
    assert report.content_sha256 in page
    body = client.get(f"/reports/six-monthly/{report.id}/report.json")
    assert body.status_code == 200 and json.loads(body.data)["period"]["half"] == "2026-2"
    assert client.get(f"/reports/six-monthly/{report.id}/report.pdf").data.startswith(b"%PDF")
    again = client.post("/reports/six-monthly", data=form)  # no reason: refused with one
    assert again.status_code == 400 and "say why it is corrected" in again.get_data(as_text=True)
    wrong = client.post("/reports/six-monthly", data={**form, "half": "2026-7"})
    assert wrong.status_code == 400
    assert db.query(Report).count() == 1


def test_a_report_of_an_agreement_out_of_scope_is_refused(app, login_as, db, ref, clock, permit):
    analyst = login_as(Role.ANALYST)
    analyst.post(
        "/reports/six-monthly",
        data={"csrf_token": analyst.csrf_token(), "agreement": ref.agreement.id, "half": "2026-2"},
    )
    report = db.query(Report).one()
    make_user(db, "supervisor2", Role.SUPERVISOR, agreements=[ref.other_agreement])
    other = app.test_client()
    assert other.login("supervisor2").status_code == 302
    assert other.get(f"/reports/six-monthly/{report.id}/report.json").status_code == 403
    refused = other.post(
        "/reports/six-monthly",
        data={"csrf_token": other.csrf_token(), "agreement": ref.agreement.id, "half": "2026-1"},
    )
    assert refused.status_code == 400


def test_the_analyst_home_page_links_to_the_reports(login_as):
    page = login_as(Role.ANALYST).get("/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/reports/"' in text and 'href="/reports/six-monthly"' in text


def test_a_figure_downloads_as_xlsx_with_the_cells_of_its_table(login_as, db, clock, permit):
    db.add(MisuseCase(permit=permit, kind=MisuseKind.OVERSTAY, detected_at=clock(), penalty="fine"))
    db.add(
        MisuseCase(
            permit=permit,
            kind=MisuseKind.OVERSTAY,
            detected_at=clock(),
            penalty='=HYPERLINK("http://evil.example","x")',
        )
    )
    db.flush()
    client = login_as(Role.ANALYST)
    page = client.get("/reports/").get_data(as_text=True)
    assert 'href="/reports/figures/misuse.xlsx' in page
    response = client.get("/reports/figures/misuse.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="misuse.xlsx"' in response.headers["Content-Disposition"]
    cells, types = read_cells(response.data)
    table = list(csv.reader(io.StringIO(client.get("/reports/figures/misuse.csv").get_data(as_text=True))))
    table[0][0] = table[0][0].lstrip("\ufeff")
    assert cells[0] == ["Kind", "Penalty", "Cases"]
    assert cells == [table[0], *([kind, penalty, int(count)] for kind, penalty, count in table[1:])]
    assert ["Overstay", "fine", 1] in cells
    assert ["Overstay", '\'=HYPERLINK("http://evil.example","x")', 1] in cells
    assert "f" not in types.values() and "str" not in types.values()  # no cell is a formula
    assert {types[f"C{row}"] for row in range(2, len(cells) + 1)} == {"n"}  # counts stay numbers


def _same_cell(cell: object, text: str) -> bool:
    if cell is None:
        return text == ""
    if isinstance(cell, int | float):
        return float(text) == cell
    return cell == text


def test_every_figure_downloads_as_xlsx_and_a_bad_filter_is_a_400(login_as, db, clock, permit):
    client = login_as(Role.ANALYST)
    keys = ("applications", "decision_times", "crossings_over_time", "permits_by_locality", "permits_by_age")
    for key in keys:
        response = client.get(f"/reports/figures/{key}.xlsx")
        assert response.status_code == 200, key
        cells, _types = read_cells(response.data)
        csv_text = client.get(f"/reports/figures/{key}.csv").get_data(as_text=True).lstrip("\ufeff")
        table = list(csv.reader(io.StringIO(csv_text)))
        assert len(cells) == len(table) >= 1, key
        for row, expected in zip(cells, table, strict=True):
            padded = row + [None] * (len(expected) - len(row))
            assert all(_same_cell(c, t) for c, t in zip(padded, expected, strict=True)), (key, row, expected)
    assert client.get("/reports/figures/nothing.xlsx").status_code == 404
    assert client.get("/reports/figures/misuse.xlsx?since=abc").status_code == 400


def test_the_population_typed_in_the_locality_form_gives_the_permits_per_1000_residents(
    login_as, db, ref, clock, permit
):
    assert permit.application.locality is ref.locality
    edit = {**LOCALITY_FORM, "population": "2000"}
    assert (
        login_as(Role.ADMIN).submit(f"/reference/localities/{ref.locality.id}/edit", edit).status_code == 302
    )
    analyst = login_as(Role.ANALYST)
    text = analyst.get("/reports/figures/permits_by_locality.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][2] == "Eligible population" and rows[0][-1] == "Per 1,000 residents"
    assert rows[1] == ["Ak-Sai", "Batken", "2000", "1", "0", "0", "0.5"]  # 1 first permit / 2,000 residents
