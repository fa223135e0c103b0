"""What travels, on one instance (the Tajik one) with a partner the test plays (Kyrgyzstan): the changes
queued in their own transaction (a withdrawal, a misuse case, a report), the partner's trust list
making its permits genuine at this side's crossing points, its withdrawals refusing them, its report
acknowledged, and the guard's and the public pages using them."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.crossings.models import Direction, MisuseCase, MisuseKind
from lbt.crossings.verify import verify_scan
from lbt.exchange.inbox import receive
from lbt.exchange.models import (
    OutgoingMessage,
    PartnerCrossing,
    PartnerReport,
    PartnerSigningKey,
    ReportAcknowledgement,
)
from lbt.exchange.outbox import link_for
from lbt.exchange.withdrawals import withdrawal_of
from lbt.permits import services as permits
from lbt.permits.signing import PERMIT_TYP, PermitClaims, SigningKey, new_private_key, sign
from lbt.permits.status_list import token_digest
from lbt.reports.six_monthly import REPORT_TYP
from tests.exchange.helpers import Partner, link_to


@pytest.fixture
def partner(db, ref):
    return Partner("KG", "TJ", ref.agreement.code)


@pytest.fixture
def link(db, ref, partner):
    return link_to(db, ref.agreement, partner)


@pytest.fixture
def partner_permit_key() -> SigningKey:
    return SigningKey.of(new_private_key())


def _deliver(db, clock, token):
    outcome = receive(db, token, home_state="TJ", now=clock(), source="test")
    assert outcome.status == "applied", outcome
    return outcome


def _kg_permit(key: SigningKey, **changes) -> str:
    claims = {
        "permit_number": "KG-2026-000042-7",
        "surname": "ASANOV",
        "given_names": "BAKYT",
        "birth_date": date(1980, 5, 5),
        "document_number": "ID1234567",
        "issuing_state": "KG",
        "agreement_code": "TJ-KG",
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2027, 12, 31),
        "max_stay_days": 30,
        "issued_at": datetime(2026, 1, 1, tzinfo=UTC),
        **changes,
    }
    return sign(PermitClaims(**claims).to_payload(), key, PERMIT_TYP)


def _trusted(db, clock, partner, *keys: SigningKey) -> None:
    """The partner's trust list came, publishing ``keys``."""
    jwks = {"keys": [key.public_jwk() for key in keys]}
    _deliver(db, clock, partner.message("trust.jwks", {"jwks": jwks}, now=clock()))


def _withdrawn(db, clock, partner, token: str, status: str) -> None:
    """The partner withdrew its permit ``token`` (its status: revoked or suspended)."""
    change = {
        "number": "KG-2026-000042-7",
        "status": status,
        "valid_until": "2027-12-31",
        "digest": token_digest(token),
    }
    _deliver(db, clock, partner.message("revocations.delta", {"changes": [change]}, now=clock()))


def _at_exit(db, ref, clock, token: str):
    """The guard's scan of ``token`` at the crossing point, on the way out."""
    return verify_scan(
        db, token, {"keys": []}, crossing_point=ref.crossing_point, direction=Direction.EXIT, at=clock()
    )


def _queued(db, kind):
    return db.scalars(
        select(OutgoingMessage).where(OutgoingMessage.kind == kind).order_by(OutgoingMessage.sequence)
    ).all()


def test_a_withdrawal_is_queued_in_its_own_transaction_only_when_linked(
    db, clock, ref, users, permit, partner
):
    permits.suspend(db, permit, officer=users[Role.OFFICER], reason="Checked", now=clock())
    db.flush()
    assert _queued(db, "revocations.delta") == []  # not linked: the single-instance pilot sends nothing

    link_to(db, ref.agreement, partner)
    permits.revoke(db, permit, officer=users[Role.OFFICER], reason="Resale trade", now=clock())
    db.flush()

    (message,) = _queued(db, "revocations.delta")
    body = json.loads(message.payload)["body"]
    assert body["changes"] == [
        {
            "number": permit.number,
            "status": "revoked",
            "changed_at": clock().isoformat(),
            "valid_until": permit.valid_until.isoformat(),
            "digest": token_digest(permit.token),
        }
    ]
    assert json.loads(message.payload)["seq"] == 1 and link_for(db, ref.agreement.id).out_sequence == 1


def test_a_misuse_case_and_a_changed_penalty_are_queued(db, clock, link, permit):
    case = MisuseCase(
        permit=permit, kind=MisuseKind.OVERSTAY, detected_at=clock(), days_over=3, description="Overstay"
    )
    db.add(case)
    db.flush()
    case.penalty = "Fine of 50 EUR"
    db.flush()

    first, second = (json.loads(message.payload)["body"] for message in _queued(db, "misuse.case"))
    assert first["id"] == second["id"] == case.id
    assert (first["penalty"], second["penalty"]) == ("", "Fine of 50 EUR")
    assert first["permit"]["number"] == permit.number and "address" not in first["permit"]


def test_the_partner_s_permit_is_genuine_at_this_side_once_its_trust_list_came(
    db, clock, ref, link, partner, partner_permit_key
):
    token = _kg_permit(partner_permit_key)
    before = _at_exit(db, ref, clock, token)
    assert before.reasons[0].code == "unknown_key"

    _trusted(db, clock, partner, partner_permit_key)
    after = _at_exit(db, ref, clock, token)

    assert after.verdict.value == "pass"
    assert [reason.code for reason in after.reasons] == ["partner_permit"]
    assert after.partner is not None and after.partner.state.code == "KG"
    assert after.partner.records is False  # the agreement does not ask both sides to record
    # a permit claiming another issuer is not the partner's, whatever key signed it
    other = _kg_permit(partner_permit_key, issuing_state="UZ")
    assert _at_exit(db, ref, clock, other).partner is None


def test_a_withdrawal_the_partner_sent_refuses_its_permit_and_a_reinstatement_lifts_it(
    db, clock, ref, link, partner, partner_permit_key
):
    token = _kg_permit(partner_permit_key)
    _trusted(db, clock, partner, partner_permit_key)
    _withdrawn(db, clock, partner, token, "revoked")

    refused = _at_exit(db, ref, clock, token)
    assert refused.verdict.value == "refuse"
    assert [reason.code for reason in refused.reasons] == ["partner_permit", "revoked"]

    _deliver(
        db,
        clock,
        partner.message("revocations.list", {"as_of": clock().isoformat(), "withdrawn": []}, now=clock()),
    )
    assert withdrawal_of(db, "KG", "KG-2026-000042-7") is None
    lifted = _at_exit(db, ref, clock, token)
    assert lifted.verdict.value == "pass"


def test_a_key_dropped_from_the_trust_list_no_longer_makes_a_permit_genuine(
    db, clock, ref, link, partner, partner_permit_key
):
    token = _kg_permit(partner_permit_key)
    other = SigningKey.of(new_private_key())
    _trusted(db, clock, partner, partner_permit_key)
    _trusted(db, clock, partner, other)

    verdict = _at_exit(db, ref, clock, token)

    assert verdict.reasons[0].code == "unknown_key"
    assert (
        db.scalars(select(PartnerSigningKey).where(PartnerSigningKey.kid == partner_permit_key.kid))
        .one()
        .withdrawn_at
    )


def _report(key: SigningKey, clock) -> tuple[str, str]:
    content = {
        "schema": "lbt-six-monthly-report/1",
        "state": "KG",
        "period": {"start": "2026-07-01", "end": "2026-12-31"},
        "version": 1,
        "made_at": clock().isoformat(),
    }
    jws = sign(content, key, REPORT_TYP)
    payload = jws.split(".")[1]
    digest = hashlib.sha256(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).hexdigest()
    return jws, digest


def test_a_report_signed_before_its_key_s_trust_list_came_waits_for_it_then_is_acknowledged(
    db, clock, link, partner, partner_permit_key
):
    jws, digest = _report(partner_permit_key, clock)
    body = {
        "period_start": "2026-07-01",
        "period_end": "2026-12-31",
        "version": 1,
        "sha256": digest,
        "made_at": clock().isoformat(),
        "jws": jws,
    }

    _deliver(db, clock, partner.message("reports.six_monthly", body, now=clock()))
    report = db.scalars(select(PartnerReport)).one()
    assert report.verified_at is None and _queued(db, "reports.acknowledgement") == []

    _trusted(db, clock, partner, partner_permit_key)

    assert report.verified_at == clock()
    (ack,) = _queued(db, "reports.acknowledgement")
    assert json.loads(ack.payload)["body"]["sha256"] == digest


def test_a_report_with_a_wrong_sha256_is_refused(db, clock, link, partner, partner_permit_key):
    jws, _digest = _report(partner_permit_key, clock)
    body = {"sha256": "0" * 64, "jws": jws}
    outcome = receive(
        db,
        partner.message("reports.six_monthly", body, now=clock()),
        home_state="TJ",
        now=clock(),
        source="test",
    )
    assert outcome.reason == "not_applicable"
    assert db.scalars(select(PartnerReport)).all() == []


def test_the_partner_s_acknowledgement_is_recorded_against_our_report(db, clock, ref, link, partner):
    from lbt.reports.models import Report, ReportKind

    report = Report(
        kind=ReportKind.SIX_MONTHLY,
        agreement_id=ref.agreement.id,
        period_start=date(2026, 7, 1),
        period_end=date(2026, 12, 31),
        version=1,
        made_at=clock(),
        content="{}",
        content_sha256="a" * 64,
        jws="x.y.z",
        pdf=b"%PDF",
        audit_entry_count=0,
        audit_head_hash="0" * 64,
    )
    db.add(report)
    db.flush()
    wrong = {
        "period_start": "2026-07-01",
        "version": 1,
        "sha256": "b" * 64,
        "received_at": clock().isoformat(),
    }
    assert (
        receive(
            db,
            partner.message("reports.acknowledgement", wrong, now=clock()),
            home_state="TJ",
            now=clock(),
            source="t",
        ).reason
        == "not_applicable"
    )

    _deliver(
        db,
        clock,
        partner.message("reports.acknowledgement", {**wrong, "sha256": "a" * 64}, now=clock(), sequence=1),
    )

    ack = db.scalars(select(ReportAcknowledgement)).one()
    assert (ack.report_id, ack.content_sha256) == (report.id, "a" * 64)


# --- the pages ----------------------------------------------------------------------------------


def test_the_guard_records_the_exit_of_a_partner_permit_when_the_agreement_asks(
    app, db, clock, ref, users, link, partner, partner_permit_key, login_as
):
    token = _kg_permit(partner_permit_key)
    _trusted(db, clock, partner, partner_permit_key)
    guard = login_as(Role.BORDER_GUARD)
    csrf = {"X-CSRFToken": guard.csrf_token()}

    answer = guard.post(
        "/api/v1/verify",
        json={"token": token, "crossing_point": ref.crossing_point.code, "direction": "exit"},
        headers=csrf,
    ).get_json()
    assert answer["reasons"][0] == {"code": "partner_permit", "message": "Genuine permit of Kyrgyzstan."}
    assert answer["partner"] == {"state": "KG", "records": False}
    assert answer["permit"]["surname"] == {"national": "", "latin": "ASANOV"}

    item = {
        "id": str(uuid.uuid4()),
        "token": token,
        "crossing_point": ref.crossing_point.code,
        "direction": "exit",
        "at": clock().isoformat(),
    }
    refused = guard.post("/api/v1/partner-crossings", json=[item], headers=csrf).get_json()["results"][0]
    assert refused["status"] == "refused"

    ref.agreement.both_sides_record = True
    db.flush()
    stored = guard.post("/api/v1/partner-crossings", json=[item], headers=csrf).get_json()["results"][0]
    again = guard.post("/api/v1/partner-crossings", json=[item], headers=csrf).get_json()["results"][0]
    assert (stored["status"], again["status"]) == ("stored", "duplicate")
    assert db.scalars(select(PartnerCrossing.permit_number)).all() == ["KG-2026-000042-7"]
    bad = guard.post(
        "/api/v1/partner-crossings", json=[{**item, "id": "not-a-uuid"}], headers=csrf
    ).get_json()["results"][0]
    assert bad["status"] == "refused"
    assert guard.post("/api/v1/partner-crossings", json={"nothing": 1}, headers=csrf).status_code == 400


def test_the_public_check_gets_the_partners_keys_and_withdrawn_digests(
    client, db, clock, link, partner, partner_permit_key
):
    token = _kg_permit(partner_permit_key)
    _trusted(db, clock, partner, partner_permit_key)
    _withdrawn(db, clock, partner, token, "suspended")

    states = client.get("/v/partners").get_json()["states"]

    assert states["KG"]["keys"] == [partner_permit_key.public_jwk()]
    assert states["KG"]["withdrawn"] == {token_digest(token): "suspended"}
    assert "KG-2026-000042-7" not in json.dumps(states)  # no permit numbers in public
