"""What Art. 17 asks each side to tell the other: every case of misuse as it is recorded (and again
when it changes, e.g. its penalty), and the six-monthly report, which the partner acknowledges by its
SHA-256 once it has checked the report's signature with this state's trust list."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.core.errors import N_
from lbt.crossings.models import MisuseCase
from lbt.exchange.kinds import BodyRefused, Received, handles
from lbt.exchange.models import PartnerMisuseCase, PartnerReport, ReportAcknowledgement
from lbt.exchange.outbox import enqueue_on_link, locked
from lbt.exchange.trust import partner_key
from lbt.permits.models import Permit
from lbt.permits.signing import TokenRejected, verify
from lbt.reports.models import Report, ReportKind
from lbt.reports.six_monthly import REPORT_TYP

MISUSE_KIND = "misuse.case"
REPORT_KIND = "reports.six_monthly"
ACK_KIND = "reports.acknowledgement"
MISUSE_FIELDS = ("kind", "detected_at", "crossing_id", "days_over", "description", "penalty")


def misuse_body(case: MisuseCase, permit: Permit, crossing_point: str) -> dict[str, Any]:
    """The case as the six-monthly report lists it: whose permit (no address, no photo) and what."""
    return {
        "id": case.id,
        "kind": case.kind.value,
        "detected_at": case.detected_at.isoformat(),
        "crossing_point": crossing_point,
        "days_over": case.days_over,
        "description": case.description,
        "penalty": case.penalty,
        "permit": {
            "number": permit.number,
            "surname_latin": permit.surname_latin,
            "given_names_latin": permit.given_names_latin,
            "birth_date": permit.birth_date.isoformat(),
            "nationality": permit.nationality,
        },
    }


def report_body(report: Report) -> dict[str, Any]:
    return {
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "version": report.version,
        "sha256": report.content_sha256,
        "made_at": report.made_at.isoformat(),
        "jws": report.jws,
    }


def _text(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise BodyRefused(N_("The message's %(field)s is not usable."), field=name)
    return value


def _whole(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
        raise BodyRefused(N_("The message's %(field)s is not usable."), field=name)
    return value


def _moment(body: dict[str, Any], name: str) -> datetime:
    try:
        value = datetime.fromisoformat(_text(body, name, 40))
    except ValueError:
        raise BodyRefused(N_("The message's %(field)s is not usable."), field=name) from None
    if value.tzinfo is None:
        raise BodyRefused(N_("The message's %(field)s is not usable."), field=name)
    return value


def _day(body: dict[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(_text(body, name, 10))
    except ValueError:
        raise BodyRefused(N_("The message's %(field)s is not usable."), field=name) from None


@handles(MISUSE_KIND)
def apply_misuse_case(session: Session, received: Received, body: dict[str, Any]) -> None:
    """A case about a permit the partner issued: stored, or updated when the partner changed it."""
    permit = body.get("permit")
    if not isinstance(permit, dict):
        raise BodyRefused(N_("The misuse case names no permit."))
    holder = {
        name: _text(permit, name, 100)
        for name in ("surname_latin", "given_names_latin", "birth_date", "nationality")
    }
    remote_id = _whole(body, "id")
    values = {
        "permit_number": _text(permit, "number", 20),
        "holder": holder,
        "kind": _text(body, "kind", 30),
        "detected_at": _moment(body, "detected_at"),
        "crossing_point": _text(body, "crossing_point", 20) if body.get("crossing_point") else "",
        "days_over": _whole(body, "days_over"),
        "description": _text(body, "description", 5000),
        "penalty": _text(body, "penalty", 5000),
    }
    case = session.scalar(
        select(PartnerMisuseCase).where(
            PartnerMisuseCase.link_id == received.link.id, PartnerMisuseCase.remote_id == remote_id
        )
    )
    if case is None:
        session.add(PartnerMisuseCase(link_id=received.link.id, remote_id=remote_id, **values))
        return
    for name, value in values.items():
        setattr(case, name, value)
    case.updated_at = received.now


@handles(REPORT_KIND)
def apply_report(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The partner's six-monthly report, kept as signed. Checked with the partner's trust list and then
    acknowledged at once; one signed with a key whose trust list has not come yet (the partner rotated
    its key just before) is kept unverified and checked, and acknowledged, when the trust list comes."""
    jws = _text(body, "jws", 60 * 1024 * 1024)
    if jws.count(".") != 2:
        raise BodyRefused(N_("The report's signature does not match."))
    try:
        content = _unb64(jws.split(".")[1])
        claims = json.loads(content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BodyRefused(N_("The report's signature does not match.")) from None
    if not isinstance(claims, dict):
        raise BodyRefused(N_("The report's signature does not match."))
    digest = hashlib.sha256(content).hexdigest()
    if body.get("sha256") != digest:
        raise BodyRefused(N_("The report's SHA-256 does not match its content."))
    period = claims.get("period") if isinstance(claims.get("period"), dict) else {}
    start, end, version = _day(period, "start"), _day(period, "end"), _whole(claims, "version")
    report = session.scalar(
        select(PartnerReport).where(
            PartnerReport.link_id == received.link.id,
            PartnerReport.period_start == start,
            PartnerReport.version == version,
        )
    )
    if report is None:
        report = PartnerReport(
            link_id=received.link.id,
            period_start=start,
            period_end=end,
            version=version,
            content=content.decode("utf-8"),
            content_sha256=digest,
            jws=jws,
            made_at=_moment(claims, "made_at"),
        )
        session.add(report)
        session.flush()
    if report.verified_at is None:
        check_report(session, received, report)


def check_report(session: Session, received: Received, report: PartnerReport) -> bool:
    """Check a stored report's signature with the partner's trust list; acknowledge it when it holds.
    False while its key is not (yet) in the trust list; refused when the signature does not match."""
    key = partner_key(session, _kid(report.jws) or "")
    if key is None or key.state != received.link.partner_state:
        return False
    try:
        claims = verify(report.jws, {"keys": [key.jwk]}, REPORT_TYP)
    except TokenRejected:
        raise BodyRefused(N_("The report's signature does not match.")) from None
    if claims.get("state") != received.link.partner_state:
        raise BodyRefused(N_("The report is not the partner's own."))
    report.verified_at = received.now
    ack = {
        "period_start": report.period_start.isoformat(),
        "version": report.version,
        "sha256": report.content_sha256,
        "received_at": received.now.isoformat(),
    }
    enqueue_on_link(session, locked(session, received.link), ACK_KIND, ack, now=received.now)
    return True


def check_waiting_reports(session: Session, received: Received) -> int:
    """After a trust list: the reports that waited for its keys, checked and acknowledged."""
    waiting = session.scalars(
        select(PartnerReport).where(
            PartnerReport.link_id == received.link.id, PartnerReport.verified_at.is_(None)
        )
    ).all()
    return sum(1 for report in waiting if check_report(session, received, report))


def _kid(jws: str) -> str | None:
    try:
        header = json.loads(_unb64(jws.split(".")[0]).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@handles(ACK_KIND)
def apply_acknowledgement(session: Session, received: Received, body: dict[str, Any]) -> None:
    """The partner received our report byte for byte: recorded against the report it names."""
    start, version, digest = _day(body, "period_start"), _whole(body, "version"), _text(body, "sha256", 64)
    report = session.scalar(
        select(Report).where(
            Report.kind == ReportKind.SIX_MONTHLY,
            Report.agreement_id == received.link.agreement_id,
            Report.period_start == start,
            Report.version == version,
        )
    )
    if report is None or report.content_sha256 != digest:
        raise BodyRefused(N_("The acknowledgement names no report of ours with that SHA-256."))
    if session.scalar(select(ReportAcknowledgement.id).where(ReportAcknowledgement.report_id == report.id)):
        return
    session.add(
        ReportAcknowledgement(
            report_id=report.id,
            link_id=received.link.id,
            content_sha256=digest,
            acknowledged_at=_moment(body, "received_at"),
        )
    )


def acknowledgements(session: Session, report_ids: list[int]) -> dict[int, ReportAcknowledgement]:
    if not report_ids:
        return {}
    rows = session.scalars(
        select(ReportAcknowledgement).where(ReportAcknowledgement.report_id.in_(report_ids))
    )
    return {row.report_id: row for row in rows}
