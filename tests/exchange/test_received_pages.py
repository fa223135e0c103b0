"""The pages of what the partner sent: its misuse cases, its six-monthly reports (downloadable as the
JWS and the JSON received) and its acknowledgements of our reports, for the readers of the reports
(analysts, supervisors, administrators), each on the agreements it may see, paged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lbt.accounts.models import Role
from lbt.exchange.models import PartnerMisuseCase, PartnerReport, ReportAcknowledgement
from lbt.reports.models import Report, ReportKind
from tests.exchange.helpers import Partner, link_to


@pytest.fixture
def links(db, ref):
    """A link to Kyrgyzstan on the supervisor's agreement and one to Uzbekistan on the other."""
    kg = link_to(db, ref.agreement, Partner("KG", "TJ", ref.agreement.code))
    uz_partner = Partner("UZ", "TJ", ref.other_agreement.code)
    uz = link_to(db, ref.other_agreement, uz_partner)
    uz.partner_state = "UZ"
    db.flush()
    return kg, uz


def _case(db, link, clock, number: int, **changes) -> PartnerMisuseCase:
    values = {
        "link_id": link.id,
        "remote_id": number,
        "permit_number": f"{link.partner_state}-2026-{number:06d}-1",
        "holder": {
            "surname_latin": "ASANOV",
            "given_names_latin": "BAKYT",
            "birth_date": "1980-05-05",
            "nationality": link.partner_state,
        },
        "kind": "overstay",
        "detected_at": clock() - timedelta(minutes=number),
        "crossing_point": f"{link.partner_state}-TJ-01",
        "days_over": 3,
        "description": "Stayed three days past the limit.",
        "penalty": "Fine of 500 som.",
        **changes,
    }
    case = PartnerMisuseCase(**values)
    db.add(case)
    return case


def _partner_report(db, link, clock, start: date) -> PartnerReport:
    report = PartnerReport(
        link_id=link.id,
        period_start=start,
        period_end=start + timedelta(days=180),
        version=1,
        content=f'{{"state":"{link.partner_state}"}}',
        content_sha256="c" * 64,
        jws=f"header-{link.partner_state}.payload.signature",
        made_at=clock(),
        verified_at=clock() if link.partner_state == "KG" else None,
    )
    db.add(report)
    db.flush()
    return report


def _our_report(db, agreement, clock, start: date) -> Report:
    report = Report(
        kind=ReportKind.SIX_MONTHLY,
        agreement_id=agreement.id,
        period_start=start,
        period_end=start + timedelta(days=180),
        version=1,
        made_at=clock(),
        content="{}",
        content_sha256=("d" if agreement.code == "TJ-KG" else "e") * 64,
        jws="x.y.z",
        pdf=b"%PDF",
        audit_entry_count=0,
        audit_head_hash="0" * 64,
    )
    db.add(report)
    db.flush()
    return report


def test_the_partner_s_misuse_cases_are_listed_for_readers_in_their_scope_and_paged(
    db, clock, ref, links, login_as
):
    kg, uz = links
    for number in range(1, 53):
        _case(db, kg, clock, number)
    _case(db, uz, clock, 1, kind="resale_trade", penalty="Permit withdrawn.")
    db.flush()

    analyst = login_as(Role.ANALYST)
    first = analyst.get("/exchange/received/")
    text = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "KG-2026-000001-1" in text and "UZ-2026-000001-1" in text
    assert "Overstay" in text and "Resale trade" in text and "Fine of 500 som." in text
    assert "Page 1 of 2 (53 in all)" in text
    second = analyst.get("/exchange/received/?page=2").get_data(as_text=True)
    assert "KG-2026-000052-1" in second and "KG-2026-000001-1" not in second
    # a page number past the end, or not a number, is still a page (never a server error)
    assert analyst.get("/exchange/received/?page=99999999999999999999").status_code == 200
    assert analyst.get("/exchange/received/?page=abc").status_code == 200

    supervisor = login_as(Role.SUPERVISOR).get("/exchange/received/").get_data(as_text=True)
    assert "KG-2026-000001-1" in supervisor and "UZ-2026-000001-1" not in supervisor
    for role in (Role.BORDER_GUARD, Role.OFFICER, Role.AUDITOR):
        assert login_as(role).get("/exchange/received/").status_code == 403


def test_the_partner_s_reports_are_listed_and_downloadable_as_received(db, clock, ref, links, login_as):
    kg, uz = links
    kg_report = _partner_report(db, kg, clock, date(2026, 1, 1))
    uz_report = _partner_report(db, uz, clock, date(2026, 7, 1))

    admin = login_as(Role.ADMIN)
    page = admin.get("/exchange/received/reports").get_data(as_text=True)
    assert f"/exchange/received/reports/{kg_report.id}/report.jws" in page
    assert f"/exchange/received/reports/{uz_report.id}/report.json" in page
    assert 'data-verified="true"' in page and 'data-verified="false"' in page

    jws = admin.get(f"/exchange/received/reports/{kg_report.id}/report.jws")
    assert (jws.status_code, jws.mimetype) == (200, "application/jose")
    assert jws.get_data(as_text=True) == kg_report.jws
    assert 'filename="report-KG-2026-01-01-v1.jws"' in jws.headers["Content-Disposition"]
    content = admin.get(f"/exchange/received/reports/{kg_report.id}/report.json")
    assert (content.mimetype, content.get_data(as_text=True)) == ("application/json", '{"state":"KG"}')
    assert admin.get(f"/exchange/received/reports/{kg_report.id}/report.pdf").status_code == 404
    assert admin.get("/exchange/received/reports/999999/report.jws").status_code == 404

    supervisor = login_as(Role.SUPERVISOR)
    assert f"report-{uz_report.id}" not in supervisor.get("/exchange/received/reports").get_data(as_text=True)
    assert supervisor.get(f"/exchange/received/reports/{kg_report.id}/report.jws").status_code == 200
    # the other agreement's report is not the supervisor's to read: as if it did not exist
    assert supervisor.get(f"/exchange/received/reports/{uz_report.id}/report.jws").status_code == 404


def test_our_reports_show_the_partner_s_acknowledgement_or_that_none_came(db, clock, ref, links, login_as):
    kg, _uz = links
    acknowledged = _our_report(db, ref.agreement, clock, date(2026, 1, 1))
    _our_report(db, ref.agreement, clock, date(2026, 7, 1))
    _our_report(db, ref.other_agreement, clock, date(2026, 1, 1))
    db.add(
        ReportAcknowledgement(
            report_id=acknowledged.id, link_id=kg.id, content_sha256="d" * 64, acknowledged_at=clock()
        )
    )
    db.flush()

    page = login_as(Role.ANALYST).get("/exchange/received/acknowledgements").get_data(as_text=True)
    assert page.count('data-acknowledged="true"') == 1 and page.count('data-acknowledged="false"') == 2
    assert "received by the partner" in page and "not acknowledged yet" in page

    scoped = login_as(Role.SUPERVISOR).get("/exchange/received/acknowledgements").get_data(as_text=True)
    assert "e" * 64 not in scoped and scoped.count("d" * 64) == 2


def test_the_readers_find_the_pages_in_their_menu_in_their_language(db, ref, links, login_as):
    analyst = login_as(Role.ANALYST)
    home = analyst.get("/").get_data(as_text=True)
    assert 'href="/exchange/received/"' in home and "From the partner" in home
    assert 'href="/exchange/received/"' not in login_as(Role.BORDER_GUARD).get("/").get_data(as_text=True)
    analyst.post("/language", data={"locale": "ru", "csrf_token": analyst.csrf_token()})
    page = analyst.get("/exchange/received/reports").get_data(as_text=True)
    assert "The partner's six-monthly reports" not in page
