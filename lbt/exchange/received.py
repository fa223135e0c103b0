"""What the partner sent us, as its readers (analysts, supervisors, administrators: the readers of the
reports) list it: the misuse cases about permits it issued, its six-monthly reports (kept as signed,
downloadable as received) and its acknowledgements of our reports. Each list is limited to the
agreements the reader may see and paged."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from lbt.core.dates import state_time_zone
from lbt.core.pagination import PER_PAGE, Page, cut
from lbt.exchange.models import (
    ExchangeLink,
    PartnerMisuseCase,
    PartnerRecordedCrossing,
    PartnerReport,
    ReportAcknowledgement,
)
from lbt.reference.models import Agreement, State
from lbt.reports.models import Report, ReportKind

MAX_PAGE = 100_000  # a page number past every list (a larger one is this one)


def _page(number: int) -> int:
    return min(max(number, 1), MAX_PAGE)


@dataclass(frozen=True)
class ReceivedCase:
    case: PartnerMisuseCase
    state: str
    agreement: str


@dataclass(frozen=True)
class ReceivedReport:
    report: PartnerReport
    state: str
    agreement: str


@dataclass(frozen=True)
class OurReport:
    """One of our six-monthly reports on a linked agreement, with the partner's acknowledgement."""

    report: Report
    agreement: str
    acknowledged_at: datetime | None
    acknowledged_sha256: str


def _agreement_codes(session: Session, agreement_ids: Collection[int]) -> dict[int, str]:
    if not agreement_ids:
        return {}
    return dict(
        session.execute(select(Agreement.id, Agreement.code).where(Agreement.id.in_(agreement_ids))).all()
    )


def misuse_cases(
    session: Session, agreement_ids: Collection[int], *, page: int = 1, per_page: int = PER_PAGE
) -> Page[ReceivedCase]:
    """The partner's misuse cases, the latest detected first."""
    query = (
        select(PartnerMisuseCase, ExchangeLink.partner_state, ExchangeLink.agreement_id)
        .join(ExchangeLink, ExchangeLink.id == PartnerMisuseCase.link_id)
        .where(ExchangeLink.agreement_id.in_(list(agreement_ids)))
        .order_by(PartnerMisuseCase.detected_at.desc(), PartnerMisuseCase.id.desc())
    )
    found = cut(session, query, _page(page), per_page, rows=True)
    codes = _agreement_codes(session, agreement_ids)
    items = [ReceivedCase(case, state, codes.get(agreement, "")) for case, state, agreement in found.rows]
    return Page(items, found.number, per_page, found.total, found.more)


def partner_reports(
    session: Session, agreement_ids: Collection[int], *, page: int = 1, per_page: int = PER_PAGE
) -> Page[ReceivedReport]:
    """The partner's six-monthly reports, the latest period (then version) first."""
    query = (
        select(PartnerReport, ExchangeLink.partner_state, ExchangeLink.agreement_id)
        .join(ExchangeLink, ExchangeLink.id == PartnerReport.link_id)
        .where(ExchangeLink.agreement_id.in_(list(agreement_ids)))
        .options(defer(PartnerReport.content), defer(PartnerReport.jws))  # the files are downloaded
        .order_by(PartnerReport.period_start.desc(), PartnerReport.version.desc(), PartnerReport.id.desc())
    )
    found = cut(session, query, _page(page), per_page, rows=True)
    codes = _agreement_codes(session, agreement_ids)
    items = [
        ReceivedReport(report, state, codes.get(agreement, "")) for report, state, agreement in found.rows
    ]
    return Page(items, found.number, per_page, found.total, found.more)


def partner_report(session: Session, report_id: int, agreement_ids: Collection[int]) -> PartnerReport | None:
    """One report the partner sent, when it came on a link of an agreement the reader may see."""
    return session.scalar(
        select(PartnerReport)
        .join(ExchangeLink, ExchangeLink.id == PartnerReport.link_id)
        .where(PartnerReport.id == report_id, ExchangeLink.agreement_id.in_(list(agreement_ids)))
    )


def our_reports(
    session: Session, agreement_ids: Collection[int], *, page: int = 1, per_page: int = PER_PAGE
) -> Page[OurReport]:
    """Our six-monthly reports on the linked agreements, each with the partner's acknowledgement or
    none yet, the latest period (then version) first."""
    query = (
        select(Report, ReportAcknowledgement.acknowledged_at, ReportAcknowledgement.content_sha256)
        .join(ExchangeLink, ExchangeLink.agreement_id == Report.agreement_id)
        .outerjoin(ReportAcknowledgement, ReportAcknowledgement.report_id == Report.id)
        .where(Report.kind == ReportKind.SIX_MONTHLY, Report.agreement_id.in_(list(agreement_ids)))
        .options(defer(Report.content), defer(Report.jws), defer(Report.pdf))
        .order_by(Report.period_start.desc(), Report.version.desc(), Report.id.desc())
    )
    found = cut(session, query, _page(page), per_page, rows=True)
    codes = _agreement_codes(session, agreement_ids)
    items = [
        OurReport(report, codes.get(report.agreement_id, ""), at, digest or "")
        for report, at, digest in found.rows
    ]
    return Page(items, found.number, per_page, found.total, found.more)


def report_file_name(report: PartnerReport, state: str, suffix: str) -> str:
    return f"report-{state}-{report.period_start.isoformat()}-v{report.version}.{suffix}"


@dataclass(frozen=True)
class RecordedByPartner:
    """A crossing of one of our permits that the partner's guard recorded on its side."""

    at: datetime
    direction: str
    crossing_point: str  # the partner's code for its point
    state: State
    received_at: datetime

    @property
    def zone(self) -> str:
        """The partner state's clock: its point stands on its side of the border."""
        return state_time_zone(self.state.code)


def recorded_by_partner(
    session: Session, permit_id: int, *, page: int = 1, per_page: int = PER_PAGE
) -> Page[RecordedByPartner]:
    """The crossings of a permit that the partner recorded (when the agreement asks both sides to
    record), the newest first."""
    query = (
        select(
            PartnerRecordedCrossing.at,
            PartnerRecordedCrossing.direction,
            PartnerRecordedCrossing.crossing_point,
            State,
            PartnerRecordedCrossing.received_at,
        )
        .join(ExchangeLink, ExchangeLink.id == PartnerRecordedCrossing.link_id)
        .join(State, State.code == ExchangeLink.partner_state)
        .where(PartnerRecordedCrossing.permit_id == permit_id)
        .order_by(PartnerRecordedCrossing.at.desc(), PartnerRecordedCrossing.id.desc())
    )
    found = cut(session, query, _page(page), per_page, rows=True)
    return Page(
        [RecordedByPartner(*row) for row in found.rows], found.number, per_page, found.total, found.more
    )
