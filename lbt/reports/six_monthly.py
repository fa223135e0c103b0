"""The six-monthly report to the partner state (Reg. 1931/2006 Art. 17): every case of misuse and its
penalty, every withdrawal, and the monitoring figures, for one agreement and half-year.

``report.json`` is the canonical JSON (sorted keys, no whitespace, UTF-8) that ``report.jws`` signs
(compact JWS, ES256, the permit signing key, typ ``lbt-report+jws``), so the signed payload *is* the
file and its SHA-256 names it. The report carries where the audit log ended when it was made (a
checkpoint: head hash, entry count), so a partner holding it can show later that the log was not cut
back (``lbt audit verify --against report.jws``). A report is frozen once made; a correction is a new
version naming the old one and why. See docs/reports.md for the schema."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.audit.checkpoint import (
    ChainNotIntact,
    Checkpoint,
    CheckpointRejected,
    checkpoint_from_claims,
    make_checkpoint,
)
from lbt.core.catalogs import LOCALES
from lbt.core.errors import N_, DomainError
from lbt.crossings.models import Crossing, MisuseCase
from lbt.permits.models import Permit, PermitStatusChange
from lbt.permits.signing import SigningKey, TokenRejected, canonical_json, sign, verify
from lbt.reference.models import Agreement, CrossingPoint
from lbt.reports.figures import WITHDRAWALS, Scope, in_period
from lbt.reports.models import Report, ReportKind
from lbt.reports.monitoring import monitoring_figures, section_ids_of
from lbt.reports.pdf import report_pdf
from lbt.reports.periods import Period

REPORT_TYP = "lbt-report+jws"
SCHEMA = "lbt-six-monthly-report/1"
MAX_REPORT_BYTES = 64 * 1024 * 1024
# the national languages of the states, for the PDF; Russian is every agreement's common language
STATE_LANGUAGES = {"TJ": "tg", "KG": "ky", "UZ": "uz", "KZ": "kk", "RU": "ru"}


class CorrectionNeedsReason(DomainError):
    """A report for this agreement and period exists: a new one is a correction and says why."""


class AuditLogBroken(DomainError):
    """The audit chain is broken: a report would vouch for a tampered log."""


def working_languages(agreement: Agreement) -> list[str]:
    """Russian, then the two states' languages, as far as the catalogs hold them."""
    wanted = [
        "ru",
        *(STATE_LANGUAGES.get(state.code, "") for state in (agreement.state_a, agreement.state_b)),
    ]
    return [
        language
        for index, language in enumerate(wanted)
        if language in LOCALES and language not in wanted[:index]
    ]


def _misuse_cases(session: Session, scope: Scope) -> list[dict[str, Any]]:
    rows = session.execute(
        select(MisuseCase, Permit, CrossingPoint.code)
        .join(Permit, Permit.id == MisuseCase.permit_id)
        .outerjoin(Crossing, Crossing.id == MisuseCase.crossing_id)
        .outerjoin(CrossingPoint, CrossingPoint.id == Crossing.crossing_point_id)
        .where(Permit.agreement_id.in_(scope.agreement_ids), in_period(MisuseCase.detected_at, scope))
        .order_by(MisuseCase.detected_at, MisuseCase.id)
    )
    return [
        {
            "id": case.id,
            "kind": case.kind.value,
            "detected_at": case.detected_at.isoformat(),
            "crossing_point": point_code,
            "days_over": case.days_over,
            "description": case.description,
            "penalty": case.penalty,
            "permit": _holder(permit),
        }
        for case, permit, point_code in rows
    ]


def _holder(permit: Permit) -> dict[str, Any]:
    """What the partner needs to know whose permit it is (its own national): no address, no photo."""
    return {
        "number": permit.number,
        "surname_latin": permit.surname_latin,
        "given_names_latin": permit.given_names_latin,
        "birth_date": permit.birth_date.isoformat(),
        "nationality": permit.nationality,
    }


def _withdrawals(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Every suspension, revocation, annulment and replacement of the period, as it happened."""
    rows = session.execute(
        select(PermitStatusChange, Permit)
        .join(Permit, Permit.id == PermitStatusChange.permit_id)
        .where(
            PermitStatusChange.agreement_id.in_(scope.agreement_ids),
            PermitStatusChange.status.in_(WITHDRAWALS),
            in_period(PermitStatusChange.changed_at, scope),
        )
        .order_by(PermitStatusChange.changed_at, PermitStatusChange.id)
    )
    return [
        {
            "status": change.status.value,
            "changed_at": change.changed_at.isoformat(),
            "reason": change.reason,
            "permit": _holder(permit),
        }
        for change, permit in rows
    ]


def latest_report(session: Session, agreement_id: int, period: Period) -> Report | None:
    return session.scalar(
        select(Report)
        .where(
            Report.kind == ReportKind.SIX_MONTHLY,
            Report.agreement_id == agreement_id,
            Report.period_start == period.start,
        )
        .order_by(Report.version.desc())
        .limit(1)
    )


def report_content(
    session: Session,
    agreement: Agreement,
    period: Period,
    *,
    home_state: str,
    now: datetime,
    anchor: Checkpoint,
    previous: Report | None,
    correction_reason: str,
) -> dict[str, Any]:
    """What report.json says (docs/reports.md)."""
    partner = agreement.state_b if agreement.state_a.code == home_state else agreement.state_a
    home = agreement.state_a if partner is agreement.state_b else agreement.state_b
    scope = Scope(
        period=period,
        agreement_ids=(agreement.id,),
        section_ids=section_ids_of(session, [agreement]),
        home_state_id=home.id,
    )
    figures = monitoring_figures(session, scope, now=now, deadline_days=agreement.decision_deadline_days)
    return {
        "schema": SCHEMA,
        "state": home_state,
        "partner_state": partner.code,
        "agreement": {"code": agreement.code, "name": agreement.name},
        "period": {
            "half": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "time_zone": str(period.zone),
        },
        "version": previous.version + 1 if previous else 1,
        "supersedes": (
            {"version": previous.version, "sha256": previous.content_sha256} if previous is not None else None
        ),
        "correction_reason": correction_reason,
        "made_at": now.isoformat(),
        "languages": working_languages(agreement),
        "figures": {figure.key: figure.as_json() for figure in figures},
        "misuse_cases": _misuse_cases(session, scope),
        "withdrawals": _withdrawals(session, scope),
        "audit": anchor.claims(),
    }


def check_correction(session: Session, agreement: Agreement, period: Period, reason: str) -> Report | None:
    """The report made before for the period (None: this is the first), refused without a reason to
    correct it (the page checks this before it queues the report)."""
    previous = latest_report(session, agreement.id, period)
    if previous is not None and not reason.strip():
        raise CorrectionNeedsReason(
            N_("A report for %(agreement)s %(half)s exists (version %(version)s): say why it is corrected."),
            agreement=agreement.code,
            half=period.label,
            version=previous.version,
        )
    return previous


def make_six_monthly_report(
    session: Session,
    agreement: Agreement,
    period: Period,
    *,
    key: SigningKey,
    home_state: str,
    now: datetime,
    made_by: User | None,
    correction_reason: str = "",
) -> Report:
    """Make, sign and store the report; when one exists for the period, a correction that names it."""
    reason = correction_reason.strip()
    previous = check_correction(session, agreement, period, reason)
    try:
        anchor, _token = make_checkpoint(session, key, state=home_state, now=now)
    except ChainNotIntact:
        raise AuditLogBroken(
            N_("The audit log is broken: no report is made until `lbt audit verify` finds it intact.")
        ) from None
    content = report_content(
        session,
        agreement,
        period,
        home_state=home_state,
        now=now,
        anchor=anchor,
        previous=previous,
        correction_reason=reason if previous else "",
    )
    payload = canonical_json(content)
    report = Report(
        kind=ReportKind.SIX_MONTHLY,
        agreement_id=agreement.id,
        period_start=period.start,
        period_end=period.end,
        version=content["version"],
        supersedes_id=previous.id if previous else None,
        correction_reason=content["correction_reason"],
        made_at=now,
        made_by_id=made_by.id if made_by else None,
        content=payload.decode("utf-8"),
        content_sha256=hashlib.sha256(payload).hexdigest(),
        jws=sign(content, key, REPORT_TYP),
        pdf=report_pdf(content, hashlib.sha256(payload).hexdigest()),
        audit_entry_count=anchor.entry_count,
        audit_head_hash=anchor.head_hash,
    )
    session.add(report)
    session.flush()
    return report


def reports_of(session: Session, agreement_ids: Sequence[int]) -> Sequence[Report]:
    return session.scalars(
        select(Report)
        .where(Report.agreement_id.in_(agreement_ids))
        .order_by(Report.period_start.desc(), Report.agreement_id, Report.version.desc())
    ).all()


def anchor_of_report(content: bytes, jwks: Mapping[str, Any], *, state: str) -> Checkpoint:
    """The audit checkpoint a signed report carries, once its signature is checked against ``jwks``."""
    if len(content) > MAX_REPORT_BYTES:
        raise CheckpointRejected("the file is too large to be a report")
    try:
        token = content.decode("ascii").strip()
    except UnicodeDecodeError:
        raise CheckpointRejected("not a signed report: report.jws holds one line of ASCII") from None
    try:
        claims = verify(token, jwks, REPORT_TYP)
    except TokenRejected as error:
        raise CheckpointRejected(f"not a genuine report: {error}") from None
    audit = claims.get("audit")
    if not isinstance(audit, dict):
        raise CheckpointRejected("the report carries no audit anchor")
    return checkpoint_from_claims(audit, state=state)
