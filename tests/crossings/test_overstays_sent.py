"""An exit sent in a device's batch completes the overstay case the daily check opened (one case, not
two), as an exit recorded on the guard page does (test_overstays.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from lbt.crossings.models import MisuseCase
from lbt.crossings.overstays import open_overstay_cases
from tests.crossings import sending

permit, guard_token = sending.permit, sending.guard_token  # the shared fixtures, by name


def test_an_exit_in_a_device_batch_completes_the_case(client, db, clock, permit, guard_token):
    sending.send(client, guard_token, sending.item(permit, clock(), offline=False))
    clock.advance(days=95)
    assert open_overstay_cases(db, now=clock()) == 1
    clock.advance(hours=2)
    [result] = sending.send(client, guard_token, sending.item(permit, clock(), direction="exit"))
    case = db.scalars(select(MisuseCase)).one()
    assert result["status"] == "stored" and result["misuse_case"] == case.id
    assert case.crossing_id is not None and case.days_over == 6
    assert db.scalar(select(func.count()).select_from(MisuseCase)) == 1
