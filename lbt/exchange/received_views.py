"""The pages of what the partner sent us (issue 13): its misuse cases, its six-monthly reports (each
downloadable as the JWS and the JSON received) and its acknowledgements of our reports, for the
readers of the reports, on the agreements they may see."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lbt.exchange import received
from lbt.exchange.models import ExchangeLink
from lbt.reports.services import READERS, visible_agreements
from lbt.reports.words import word_for
from lbt.web.security import roles
from lbt.web.state import get_session, settings

bp = Blueprint("exchange_received", __name__, url_prefix="/exchange/received")

FILES = {"jws": "application/jose", "json": "application/json"}


def _agreement_ids() -> list[int]:
    session = get_session()
    return [a.id for a in visible_agreements(session, current_user, home_state=settings().home_state)]


def _page_number() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _kind_label(code: str) -> str:
    msgid = word_for(code)
    return _(msgid) if msgid else code


def _page_url(endpoint: str) -> Callable[[int], str]:
    return lambda number: url_for(endpoint, page=number)


@bp.get("/")
@roles(*READERS)
def misuse_cases() -> str:
    page = received.misuse_cases(get_session(), _agreement_ids(), page=_page_number())
    return render_template(
        "exchange/received_cases.html",
        page=page,
        page_url=_page_url("exchange_received.misuse_cases"),
        misuse_kind_label=_kind_label,
    )


@bp.get("/reports")
@roles(*READERS)
def reports() -> str:
    page = received.partner_reports(get_session(), _agreement_ids(), page=_page_number())
    return render_template(
        "exchange/received_reports.html", page=page, page_url=_page_url("exchange_received.reports")
    )


@bp.get("/reports/<int:report_id>/report.<part>")
@roles(*READERS)
def report_file(report_id: int, part: str) -> Response:
    """The report as it came: its JWS (the partner's signature over report.json) or report.json."""
    if part not in FILES:
        abort(404)
    session = get_session()
    report = received.partner_report(session, report_id, _agreement_ids())
    if report is None:
        abort(404)
    body = report.jws if part == "jws" else report.content
    link = session.get(ExchangeLink, report.link_id)
    name = received.report_file_name(report, link.partner_state if link else "", part)
    return Response(
        body.encode("utf-8"),
        mimetype=FILES[part],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/acknowledgements")
@roles(*READERS)
def acknowledgements() -> str:
    page = received.our_reports(get_session(), _agreement_ids(), page=_page_number())
    return render_template(
        "exchange/received_acknowledgements.html",
        page=page,
        page_url=_page_url("exchange_received.acknowledgements"),
    )
