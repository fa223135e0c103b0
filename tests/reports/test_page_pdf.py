"""The reports page as a PDF (its filters, each chart's text summary, every table's figures, in the
reader's language), and the holders flagged by their stay patterns counted on the analysts' page."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pypdf

from lbt.accounts.models import Role
from lbt.crossings import services
from lbt.crossings.models import Direction, MisuseCase, MisuseKind
from lbt.reports.figures import Scope
from lbt.reports.periods import Period
from lbt.reports.risk import stay_patterns
from tests.crossings import sending

permit = sending.permit

START = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _short_stays(db, permit, ref, users, count=8):  # type: ignore[no-untyped-def]
    """``count`` stays of an hour at ref.crossing_point, recorded as the guard page records them."""
    for n in range(count):
        entered = START + timedelta(hours=8 * n)
        for direction, at in ((Direction.ENTRY, entered), (Direction.EXIT, entered + timedelta(hours=1))):
            services.record(
                db,
                client_id=str(uuid.uuid4()),
                permit=permit,
                crossing_point=ref.crossing_point,
                direction=direction,
                at=at,
                officer=users[Role.BORDER_GUARD],
                reason="Seen, short trip.",
                now=at,
            )
    db.flush()


def test_the_page_as_pdf_holds_its_filters_summaries_and_every_tables_figures(
    login_as, db, ref, clock, permit
):
    db.add(MisuseCase(permit=permit, kind=MisuseKind.OVERSTAY, detected_at=clock(), penalty="fine 50 TJS"))
    db.flush()
    client = login_as(Role.ANALYST)
    query = f"?crossing_point={ref.crossing_point.id}"
    page = client.get("/reports/" + query).get_data(as_text=True)
    assert f'href="/reports/page.pdf{query}"' in page
    response = client.get("/reports/page.pdf" + query)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    point = f"{ref.crossing_point.code} {ref.crossing_point.name}"
    assert f"Crossing point: {point}" in text and "Agreement: All" in text
    assert "(Asia/Dushanbe)" in text
    # the figures of the page's tables, row by row as the page shows them
    assert "Received 1" in text and "Approved 1" in text
    assert "Misuse cases by kind and penalty" in text and "Overstay fine 50 TJS 1" in text
    assert "Largest: Overstay · fine 50 TJS, 1." in text  # the misuse chart's text summary
    assert "Female 0" in text and "Male 1" in text
    assert "Risk indicators: the last 7 days against the usual band" in text
    assert permit.number not in text and permit.surname_latin not in text


def test_the_pdf_is_in_the_readers_language_and_a_refused_filter_is_a_400_with_the_reason(
    login_as, db, ref, permit
):
    client = login_as(Role.ANALYST)
    russian = _text(client.get("/reports/page.pdf", headers={"Accept-Language": "ru"}).data)
    assert "Отчёты" in russian and "Получен 1" in russian and "Соглашение: Все" in russian
    assert "Figures from" not in russian and "Holders flagged" not in russian
    refused = client.get("/reports/page.pdf?since=2026-11-22&until=2026-11-01")
    assert refused.status_code == 400 and "The end date is before the start date." in refused.get_data(
        as_text=True
    )
    assert login_as(Role.OFFICER).get("/reports/page.pdf").status_code == 403


def test_holders_flagged_by_their_stays_are_counted_per_crossing_point_without_naming_them(
    login_as, db, ref, users, clock, permit
):
    _short_stays(db, permit, ref, users)
    scope = Scope(period=Period(START.date(), START.date()), agreement_ids=(ref.agreement.id,))
    rows = {row[:2]: row[2] for row in stay_patterns(db, scope, now=START + timedelta(days=3)).rows}
    assert rows[(ref.crossing_point.code, "short_stays")] == 1
    assert rows[(ref.crossing_point.code, "near_limit")] == 0
    assert sum(rows.values()) == 1
    aged = stay_patterns(db, scope, now=START + timedelta(days=33))  # the window passed: aged out
    assert sum(row[2] for row in aged.rows) == 0

    clock.advance(days=6)
    analyst = login_as(Role.ANALYST).get("/reports/").get_data(as_text=True)
    section = analyst.split('id="figure-stay_patterns"')[1].split("</section>")[0]
    assert "Many short stays" in section and "<td>1</td>" in section
    assert permit.number not in analyst and permit.surname_latin not in analyst
    assert "/permits/patterns" not in section  # analysts may not open the officers' list
    supervisor = login_as(Role.SUPERVISOR).get("/reports/").get_data(as_text=True)
    assert 'href="/permits/patterns"' in supervisor.split('id="figure-stay_patterns"')[1]
