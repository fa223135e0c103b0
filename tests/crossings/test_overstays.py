"""The worker's daily overstay check (Art. 17): a holder still inside beyond the permit's longest stay
gets one misuse case, before they leave; the exit that ends the stay completes that case, so each
overstay is counted once (a device's batch: test_overstays_sent.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lbt.crossings.models import Direction, MisuseCase
from lbt.crossings.overstays import open_overstay_cases
from tests.crossings.test_stays import START, at, cross, permit  # noqa: F401 - the fixtures, by name


def cases(db) -> list[MisuseCase]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(MisuseCase).order_by(MisuseCase.id)))


def test_a_holder_inside_on_day_91_of_a_90_day_stay_gets_one_case_before_leaving(db, cross, permit):  # noqa: F811
    cross(Direction.ENTRY, START)
    assert open_overstay_cases(db, now=at(START + timedelta(days=89), 12)) == 0  # day 90: still lawful
    # 20:00 UTC is already the next day on the crossing point's clock (UTC+5 or +6): day 91
    assert open_overstay_cases(db, now=at(START + timedelta(days=89), 20)) == 1
    [case] = cases(db)
    assert case.permit_id == permit.id and case.crossing_id is None and case.days_over == 1
    assert "daily check" in case.description and permit.surname_latin not in case.description
    assert open_overstay_cases(db, now=at(START + timedelta(days=91), 20)) == 0  # one case per stay
    assert len(cases(db)) == 1


def test_a_holder_who_left_in_time_gets_no_case(db, cross):  # noqa: F811
    cross(Direction.ENTRY, START)
    cross(Direction.EXIT, START + timedelta(days=30))
    assert open_overstay_cases(db, now=at(START + timedelta(days=120))) == 0
    assert cases(db) == []


def test_the_exit_completes_the_case_the_daily_check_opened(db, cross):  # noqa: F811
    cross(Direction.ENTRY, START)
    open_overstay_cases(db, now=at(START + timedelta(days=92), 1))
    recorded = cross(Direction.EXIT, START + timedelta(days=94), reason="Overstay noted; holder informed.")
    [case] = cases(db)
    assert recorded.misuse is not None and recorded.misuse.id == case.id
    assert case.crossing_id == recorded.crossing.id and case.days_over == 5
    assert case.description.endswith("after an overstay of 5 days.")
    # the next stay is a new one: its overstay gets a case of its own
    cross(Direction.ENTRY, START + timedelta(days=200))
    assert open_overstay_cases(db, now=at(START + timedelta(days=300))) == 1
    assert len(cases(db)) == 2
