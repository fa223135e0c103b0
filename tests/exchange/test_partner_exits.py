"""Crossings of partner permits recorded here travel to their issuer (kind ``crossings.recorded``), and
the partner's records of our permits' holders are kept against the permit, shown on its history page
as recorded by the partner, never as a crossing of ours (on one instance, the partner played by the
test)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.crossings.models import Crossing
from lbt.exchange.inbox import receive
from lbt.exchange.models import OutgoingMessage, PartnerRecordedCrossing
from lbt.exchange.partner_permits import RECORDED_KIND
from lbt.permits.signing import PERMIT_TYP, PermitClaims, SigningKey, new_private_key, sign
from tests.exchange.helpers import Partner, link_to


@pytest.fixture
def partner(db, ref):
    return Partner("KG", "TJ", ref.agreement.code)


@pytest.fixture
def link(db, ref, partner):
    return link_to(db, ref.agreement, partner)


def _receive(db, clock, partner, body, **changes):
    return receive(
        db,
        partner.message(RECORDED_KIND, body, now=clock(), **changes),
        home_state="TJ",
        now=clock(),
        source="t",
    )


def _body(our_permit, clock, **changes) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "permit": our_permit.number,
        "direction": "exit",
        "at": (clock() - timedelta(hours=1)).isoformat(),
        "crossing_point": "KG-TJ-01",
        **changes,
    }


def _kg_permit(key: SigningKey) -> str:
    claims = PermitClaims(
        permit_number="KG-2026-000042-7",
        surname="ASANOV",
        given_names="BAKYT",
        birth_date=date(1980, 5, 5),
        document_number="ID1234567",
        issuing_state="KG",
        agreement_code="TJ-KG",
        valid_from=date(2026, 1, 1),
        valid_until=date(2027, 12, 31),
        max_stay_days=30,
        issued_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return sign(claims.to_payload(), key, PERMIT_TYP)


def test_a_partner_permit_s_crossing_recorded_here_is_queued_for_its_issuer_once(
    db, clock, ref, link, partner, login_as
):
    key = SigningKey.of(new_private_key())
    trust = partner.message("trust.jwks", {"jwks": {"keys": [key.public_jwk()]}}, now=clock())
    assert receive(db, trust, home_state="TJ", now=clock(), source="t").status == "applied"
    ref.agreement.both_sides_record = True
    db.flush()
    guard = login_as(Role.BORDER_GUARD)
    item = {
        "id": str(uuid.uuid4()).upper(),  # a device may write its UUID in capitals
        "token": _kg_permit(key),
        "crossing_point": ref.crossing_point.code,
        "direction": "exit",
        "at": clock().isoformat(),
    }

    for _ in range(2):  # the retry after a lost answer is a duplicate: nothing more is sent
        guard.post("/api/v1/partner-crossings", json=[item], headers={"X-CSRFToken": guard.csrf_token()})

    sent = db.scalars(select(OutgoingMessage).where(OutgoingMessage.kind == RECORDED_KIND)).all()
    assert len(sent) == 1
    body = json.loads(sent[0].payload)["body"]
    assert body == {
        "id": item["id"].lower(),
        "permit": "KG-2026-000042-7",
        "direction": "exit",
        "at": clock().isoformat(),
        "crossing_point": ref.crossing_point.code,
    }


def test_the_partner_s_record_of_our_permit_is_kept_once_and_shown_on_its_history(
    db, clock, ref, link, partner, permit, login_as
):
    body = _body(permit, clock)
    assert _receive(db, clock, partner, body).status == "applied"
    again = _receive(db, clock, partner, {**body, "crossing_point": "KG-TJ-02"})  # the same UUID again
    assert again.status == "applied"

    rows = db.scalars(select(PartnerRecordedCrossing)).all()
    assert [(row.permit_id, row.direction, row.crossing_point) for row in rows] == [
        (permit.id, "exit", "KG-TJ-01")
    ]
    assert rows[0].at == datetime.fromisoformat(body["at"])
    assert db.scalar(select(func.count()).select_from(Crossing)) == 0  # not a crossing of ours

    page = login_as(Role.BORDER_GUARD).get(f"/crossings/permits/{permit.id}").get_data(as_text=True)
    assert "Recorded by the partner" in page and "Exit recorded by the partner" in page
    assert "KG-TJ-01" in page and "Kyrgyzstan" in page
    assert "No crossings recorded for this permit." in page  # our own table stays empty


def test_a_history_without_the_partner_s_records_has_no_such_table(db, ref, permit, login_as):
    page = login_as(Role.BORDER_GUARD).get(f"/crossings/permits/{permit.id}").get_data(as_text=True)
    assert "Recorded by the partner" not in page


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "not-a-uuid"},
        {"direction": "sideways"},
        {"at": "2026-12-01T10:00:00"},  # no offset
        {"crossing_point": ""},
        {"permit": 42},
    ],
    ids=["id", "direction", "naive_time", "no_point", "number_not_text"],
)
def test_a_record_the_receiver_cannot_place_is_refused_and_nothing_stays(
    db, clock, ref, link, partner, permit, changes
):
    outcome = _receive(db, clock, partner, _body(permit, clock, **changes))
    assert (outcome.status, outcome.reason) == ("refused", "not_applicable")
    assert db.scalars(select(PartnerRecordedCrossing)).all() == []


def test_a_record_naming_no_permit_here_is_kept_unmatched_and_the_link_goes_on(
    db, clock, ref, link, partner, permit
):
    """A number the partner's guard scanned that names no permit here (a restore from an older
    backup): the record stays, with its number, against no permit, and the next message applies."""
    outcome = _receive(db, clock, partner, _body(permit, clock, permit="TJ-2026-999999-9"))
    assert outcome.status == "applied"
    (kept,) = db.scalars(select(PartnerRecordedCrossing)).all()
    assert (kept.permit_id, kept.permit_number) == (None, "TJ-2026-999999-9")
    following = _receive(db, clock, partner, _body(permit, clock, id=str(uuid.uuid4())))
    assert following.status == "applied"
    assert {row.permit_id for row in db.scalars(select(PartnerRecordedCrossing))} == {None, permit.id}


def test_a_permit_of_another_agreement_is_not_the_link_s_to_record(db, clock, ref, link, permit):
    other = Partner("UZ", "TJ", ref.other_agreement.code)
    other_link = link_to(db, ref.other_agreement, other)
    other_link.partner_state = "UZ"
    db.flush()
    outcome = receive(
        db,
        other.message(RECORDED_KIND, _body(permit, clock), now=clock()),
        home_state="TJ",
        now=clock(),
        source="t",
    )
    assert outcome.status == "applied"  # kept unmatched: not against the other agreement's permit
    assert [row.permit_id for row in db.scalars(select(PartnerRecordedCrossing))] == [None]
