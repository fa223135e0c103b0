"""The six-monthly report (Art. 17) made by the worker: verifying the whole audit log for its anchor,
counting the half-year and drawing the PDF take longest of the reports, and grow with the log. The
report is stored as before; the job's outcome names it, and the report page offers its files to whoever
may read the agreement's reports."""

from __future__ import annotations

from typing import Any

from lbt.accounts.models import User
from lbt.core.errors import N_
from lbt.jobs.runtime import JobContext, JobRefused, JobResult
from lbt.permits.signing import KeyStore
from lbt.reports.periods import Period
from lbt.reports.services import report_zone, visible_agreements
from lbt.reports.six_monthly import make_six_monthly_report

KIND = "six_monthly_report"


def report_params(*, agreement_id: int, half: str, correction: str) -> dict[str, Any]:
    return {"agreement_id": agreement_id, "half": half, "correction": correction}


def run_six_monthly(context: JobContext) -> JobResult:
    settings = context.runtime.settings
    key = context.runtime.find(KeyStore).active_key()
    with context.runtime.database.transaction(context.actor) as session:
        user = session.get(User, context.actor.user_id) if context.actor.user_id else None
        if user is None or not user.is_active:
            raise JobRefused(N_("The user who started this job can no longer make reports."))
        agreement_id = context.params.get("agreement_id")
        agreement = next(
            (
                a
                for a in visible_agreements(session, user, home_state=settings.home_state)
                if a.id == agreement_id
            ),
            None,
        )
        if agreement is None:
            raise JobRefused(N_("This agreement's reports are not yours to make."))
        context.progress(0, 1)
        report = make_six_monthly_report(
            session,
            agreement,
            Period.half(str(context.params.get("half", "")), report_zone(settings)),
            key=key,
            home_state=settings.home_state,
            now=context.now,
            made_by=user,
            correction_reason=str(context.params.get("correction", "")),
        )
        outcome = {
            "report_id": report.id,
            "version": report.version,
            "agreement": agreement.code,
            "half": str(context.params.get("half", "")),
        }
    return JobResult(outcome, None, 1, 1)
