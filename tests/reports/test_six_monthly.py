"""The six-monthly report: report.json is what report.jws signs (ES256, verified here with PyJWT
against the published JWKS), its PDF names the holders of misuse cases, it is frozen once made and a
correction is a new version naming the old; `lbt audit verify --against report.jws` finds a log cut
back behind it."""

from __future__ import annotations

import hashlib
import io
import json
import os

import jwt
import pytest
from pypdf import PdfReader

from lbt.accounts.models import Role
from lbt.audit.models import AuditActor
from lbt.crossings.models import MisuseCase, MisuseKind
from lbt.permits import services as permit_services
from lbt.permits.services import published_jwks
from lbt.reference.models import Agreement
from lbt.reports.periods import Period
from lbt.reports.six_monthly import REPORT_TYP, CorrectionNeedsReason, make_six_monthly_report
from tests.audit.test_checkpoint import add_states, cli_app, delete_newest, run  # noqa: F401 (fixture)
from tests.fixtures.factories import make_agreement, make_state

HALF = Period.half("2026-2")


@pytest.fixture
def misused(db, users, clock, permit):  # type: ignore[no-untyped-def]
    db.add(
        MisuseCase(permit=permit, kind=MisuseKind.OVERSTAY, detected_at=clock(), days_over=3, penalty="fine")
    )
    permit_services.revoke(db, permit, officer=users[Role.OFFICER], reason="overstay twice", now=clock())
    db.flush()
    return permit


def make(db, ref, keystore, clock, reason: str = ""):  # type: ignore[no-untyped-def]
    return make_six_monthly_report(
        db,
        ref.agreement,
        HALF,
        key=keystore.active_key(),
        home_state="TJ",
        now=clock(),
        made_by=None,
        correction_reason=reason,
    )


def test_the_report_verifies_with_pyjwt_against_the_published_keys(db, ref, keystore, clock, misused):
    report = make(db, ref, keystore, clock)
    jwks = published_jwks(db, keystore, clock().date())
    header = jwt.get_unverified_header(report.jws)
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    decoded = jwt.api_jws.PyJWS().decode_complete(report.jws, key=key, algorithms=["ES256"])
    assert header["typ"] == REPORT_TYP
    assert decoded["payload"] == report.content.encode()  # the signed payload is report.json itself
    assert report.content_sha256 == hashlib.sha256(decoded["payload"]).hexdigest()
    content = json.loads(report.content)
    assert content["period"] == {
        "half": "2026-2",
        "start": "2026-07-01",
        "end": "2026-12-31",
        "time_zone": "UTC",
    }
    assert content["state"] == "TJ" and content["partner_state"] == "KG"
    assert [case["kind"] for case in content["misuse_cases"]] == ["overstay"]
    assert content["misuse_cases"][0]["permit"]["number"] == misused.number
    assert [(w["status"], w["reason"]) for w in content["withdrawals"]] == [("revoked", "overstay twice")]
    assert content["audit"]["entry_count"] == report.audit_entry_count > 0
    assert set(content["figures"]) >= {"applications", "misuse", "withdrawals", "permits_by_locality"}
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report.pdf)).pages)
    assert misused.number in text and report.content_sha256 in text
    assert "Злоупотребления" in text or "злоупотреб" in text.lower()  # Russian, a working language


def test_a_second_report_for_the_half_is_a_correction_that_names_the_first(db, ref, keystore, clock, misused):
    first = make(db, ref, keystore, clock)
    with pytest.raises(CorrectionNeedsReason):
        make(db, ref, keystore, clock)
    second = make(db, ref, keystore, clock, reason="a misuse case was recorded late")
    content = json.loads(second.content)
    assert (second.version, second.supersedes_id) == (2, first.id)
    assert content["supersedes"] == {"version": 1, "sha256": first.content_sha256}
    assert content["correction_reason"] == "a misuse case was recorded late"
    assert json.loads(first.content)["version"] == 1  # the first stays as it was


def _agreement_in(app) -> None:  # type: ignore[no-untyped-def]
    with app.extensions["lbt"].database.transaction(AuditActor(None, "registrar", "test")) as session:
        tj, kg = (
            make_state(session, "TJ", "TJK", "Tajikistan"),
            make_state(session, "KG", "KGZ", "Kyrgyzstan"),
        )
        session.add(make_agreement(session, "TJ-KG", tj, kg))
        session.flush()
        assert session.query(Agreement).count() == 1


def test_verify_against_a_report_finds_the_log_cut_back(cli_app, tmp_path):  # noqa: F811
    _agreement_in(cli_app)
    add_states(cli_app, "DA", "DB", "DC")
    out = tmp_path / "report"
    made = run(
        cli_app, "reports", "six-monthly", "--agreement", "tj-kg", "--half", "2026-2", "--out", str(out)
    )
    assert made.exit_code == 0, made.output
    assert "version 1" in made.output
    assert sorted(os.listdir(out)) == ["report.json", "report.jws", "report.pdf"]
    assert all(os.stat(out / name).st_mode & 0o077 == 0 for name in os.listdir(out))  # names holders
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")

    intact = run(cli_app, "audit", "verify", "--against", str(out / "report.jws"))
    assert intact.exit_code == 0, intact.output
    assert "agrees with 1 checkpoint(s)" in intact.output

    delete_newest(cli_app, 3)  # the report's own entry and two made before it
    cut = run(cli_app, "audit", "verify", "--against", str(out / "report.jws"))
    assert cut.exit_code == 1, cut.output
    assert "the newest entries were removed" in cut.output


def test_a_forged_or_foreign_report_is_refused(cli_app, tmp_path):  # noqa: F811
    _agreement_in(cli_app)
    out = tmp_path / "report"
    assert (
        run(
            cli_app, "reports", "six-monthly", "--agreement", "TJ-KG", "--half", "2026-2", "--out", str(out)
        ).exit_code
        == 0
    )
    token = (out / "report.jws").read_text().strip()
    header, payload, signature = token.split(".")
    forged = tmp_path / "forged.jws"
    forged.write_text(f"{header}.{payload[:-4]}AAAA.{signature}")
    refused = run(cli_app, "audit", "verify", "--against", str(forged))
    assert refused.exit_code == 2
    assert "refused" in refused.output
    checkpoint = tmp_path / "checkpoint.jws"
    assert run(cli_app, "audit", "checkpoint", "--out", str(checkpoint)).exit_code == 0
    assert run(cli_app, "audit", "verify", "--against", str(checkpoint)).exit_code == 2  # another typ


def test_a_wrong_half_or_agreement_is_refused_with_a_reason(cli_app, tmp_path):  # noqa: F811
    _agreement_in(cli_app)
    wrong_half = run(
        cli_app, "reports", "six-monthly", "--agreement", "TJ-KG", "--half", "2026-3", "--out", str(tmp_path)
    )
    assert wrong_half.exit_code == 2 and "YYYY-1 or YYYY-2" in wrong_half.output
    unknown = run(
        cli_app, "reports", "six-monthly", "--agreement", "XX-YY", "--half", "2026-1", "--out", str(tmp_path)
    )
    assert unknown.exit_code == 2 and "XX-YY" in unknown.output
