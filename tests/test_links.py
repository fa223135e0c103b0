"""Links that keep the request's filters (lbt/web/links.py): a hostile query cannot reach url_for's own
arguments or the names a link sets, so the list and report pages answer 200, not 500."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from lbt.accounts.models import Role
from lbt.web.links import kept_query, page_url

HOSTILE = "_method=POST&_anchor=x&_external=1&_scheme=ftp"


def test_a_page_link_keeps_the_filters_and_drops_what_url_for_takes_for_itself(app):
    with app.test_request_context(f"/permits/?status=active&page=3&{HOSTILE}"):
        link = page_url("permits.index", 2)
        assert kept_query() == {"status": "active", "page": "3"}
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == ("", "", "/permits/", "")
    assert parse_qs(parts.query) == {"status": ["active"], "page": ["2"]}


def test_a_view_argument_in_the_query_does_not_replace_the_views_own(app):
    with app.test_request_context("/reference/localities/7?page=1&permit_id=5"):
        assert kept_query("page") == {"permit_id": "5"}
    with app.test_request_context("/reports/?key=x&since=2026-01-01"):
        assert kept_query("key") == {"since": "2026-01-01"}


def test_lists_and_reports_answer_a_hostile_query(login_as, ref):
    officer = login_as(Role.OFFICER)
    for path in ("/permits/", "/applications/", "/alerts/"):
        response = officer.get(f"{path}?{HOSTILE}&page=2")
        assert response.status_code == 200, path
    analyst = login_as(Role.ANALYST)
    assert analyst.get(f"/reports/?key=x&{HOSTILE}").status_code == 200  # its downloads set key= themselves
