"""Report commands: the six-monthly report to the partner state."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from lbt.cli.core import _cli_actor, _fail, main
from lbt.permits.signing import KeyStore
from lbt.web.state import state as _state


@main.group("reports")
def reports_group() -> None:
    """Reports for the central office and the partner state."""


@reports_group.command("six-monthly")
@click.option("--agreement", "agreement_code", required=True, help="The agreement's code, e.g. TJ-KG.")
@click.option("--half", required=True, help="The half-year: YYYY-1 (January-June) or YYYY-2 (July-December).")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False), help="The folder to write the three files to."
)
@click.option("--correction", default="", help="Why a report already made for this half is corrected.")
@with_appcontext
def six_monthly(agreement_code: str, half: str, out: str, correction: str) -> None:
    """Make, sign and store the six-monthly report (Art. 17) and write report.json, report.jws and
    report.pdf to OUT. A report made before for the same half is corrected only with --correction."""
    from lbt.audit.checkpoint import ChainNotIntact
    from lbt.core.errors import DomainError
    from lbt.permits.signing import SigningKeyError
    from lbt.reports.periods import Period
    from lbt.reports.services import agreement_by_code, report_zone
    from lbt.reports.six_monthly import make_six_monthly_report

    state = _state()
    try:
        key = state.find(KeyStore).active_key()
        with state.database.transaction(_cli_actor()) as session:
            agreement = agreement_by_code(session, agreement_code, home_state=state.settings.home_state)
            period = Period.half(half, report_zone(state.settings))
            report = make_six_monthly_report(
                session,
                agreement,
                period,
                key=key,
                home_state=state.settings.home_state,
                now=state.clock(),
                made_by=None,
                correction_reason=correction,
            )
            files = {"report.json": report.content, "report.jws": report.jws + "\n"}
            pdf, version, sha256 = report.pdf, report.version, report.content_sha256
    except (DomainError, SigningKeyError) as error:
        _fail(str(error))
        return
    except ChainNotIntact as error:
        _fail(f"{error}; no report made (run `lbt audit verify`)")
        return
    try:
        os.makedirs(out, exist_ok=True)
        for name, text in files.items():
            _write_private(Path(out) / name, text.encode("utf-8"))
        _write_private(Path(out) / "report.pdf", pdf)
    except OSError as error:
        _fail(f"cannot write to {out}: {error}")
    click.echo(
        f"Report {agreement_code.upper()} {half} version {version} (SHA-256 {sha256}) written to {out}."
    )


def _write_private(path: Path, content: bytes) -> None:
    """Whole or not at all, mode 0600: the report names the holders in its misuse cases and withdrawals."""
    import tempfile

    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".report-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


@reports_group.command("rebuild-summaries")
@with_appcontext
def rebuild_summaries() -> None:
    """Recompute each application's first decision (applications.first_decided_at and its local day,
    which the decision times read) from the applications' events, and the permits issued per local day
    (permit_issue_counts, on the instance's report zone: run it after LBT_TIME_ZONE changes) from the
    permits, and say how many differed (0: they were right). The people inside and their longest stays
    are `lbt crossings rebuild-summaries`."""
    from lbt.applications.first_decisions import rebuild
    from lbt.reports import issued_counts

    with _state().database.transaction(_cli_actor()) as session:
        differences = rebuild(session)
        issued = issued_counts.rebuild(session)
    click.echo(
        f"first decisions: {differences.first_decisions} application(s) differed"
        + ("; rebuilt." if differences.first_decisions else "; nothing to change.")
    )
    click.echo(
        f"permits issued per day: {issued.issue_counts} row(s) differed"
        + ("; rebuilt." if issued.issue_counts else "; nothing to change.")
    )
