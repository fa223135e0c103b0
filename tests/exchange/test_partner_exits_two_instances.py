"""Two real instances (tests/exchange/pair.py): the exit of a Tajik permit's holder recorded by a
Kyrgyz guard travels to Tajikistan over the exchange and is kept there against the permit, as
recorded by the partner, not as a crossing of Tajikistan's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from lbt.crossings.models import Crossing
from lbt.exchange.models import OutgoingMessage, PartnerCrossing, PartnerRecordedCrossing
from lbt.exchange.partner_permits import RECORDED_KIND
from lbt.permits.models import Permit, PermitStatus
from lbt.reference.models import Agreement
from tests.exchange.pair import AGREEMENT, Instance, linked_pair


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):
    with linked_pair(tmp_path_factory.mktemp("pair")) as linked:
        yield linked


def _sync(instance: Instance) -> None:
    result = instance.lbt("exchange", "sync", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _count(instance: Instance, model, *where) -> int:
    with instance.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_kyrgyz_guard_s_record_of_a_tajik_permit_reaches_tajikistan_as_the_partner_s(pair):
    today = pair.tj.today()
    with pair.tj.session() as session:
        permit = session.scalars(
            select(Permit)
            .where(
                Permit.status == PermitStatus.ACTIVE, Permit.valid_from <= today, Permit.valid_until >= today
            )
            .order_by(Permit.id)
        ).first()
    assert permit is not None
    ours_before = _count(pair.tj, Crossing, Crossing.permit_id == permit.id)
    _sync(pair.tj)  # the trust list: the Kyrgyz side knows Tajik permits
    with pair.kg.session() as session, session.begin():
        session.execute(update(Agreement).where(Agreement.code == AGREEMENT).values(both_sides_record=True))
    crossing_id = str(uuid.uuid4())
    at = datetime.now(UTC).replace(microsecond=0)
    crossing = {
        "id": crossing_id,
        "token": permit.token,
        "crossing_point": "KG-TJ-01",
        "direction": "exit",
        "at": at.isoformat(),
    }

    for _ in range(2):  # a retry after a lost answer: stored once, sent once
        status, body = pair.kg.post_json("/api/v1/partner-crossings", [crossing], pair.guard_token)
        assert status == 200 and body["results"][0]["status"] in ("stored", "duplicate"), body
    assert _count(pair.kg, PartnerCrossing, PartnerCrossing.client_id == crossing_id) == 1
    assert _count(pair.kg, OutgoingMessage, OutgoingMessage.kind == RECORDED_KIND) == 1

    _sync(pair.kg)

    with pair.tj.session() as session:
        rows = session.scalars(select(PartnerRecordedCrossing)).all()
    assert [(row.permit_id, row.client_id, row.direction, row.crossing_point) for row in rows] == [
        (permit.id, crossing_id, "exit", "KG-TJ-01")
    ]
    assert rows[0].at == at
    assert _count(pair.tj, Crossing, Crossing.permit_id == permit.id) == ours_before  # not ours
    assert (
        _count(
            pair.kg,
            OutgoingMessage,
            OutgoingMessage.kind == RECORDED_KIND,
            OutgoingMessage.delivered_at.is_(None),
        )
        == 0
    )
    _sync(pair.kg)  # nothing is sent or kept twice
    assert _count(pair.tj, PartnerRecordedCrossing) == 1
