"""Overstays found while the holder is still inside (Art. 17), by the worker's daily check: one misuse
case per stay, opened once the holder is inside longer than the permit's longest stay (or the rolling
limit, for the stays the check looks at), without a crossing yet. The exit that ends the stay completes
that case (its crossing, the days over at the exit) instead of opening a second one, so the six-monthly
report counts each overstay once."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.crossings import stays as rules
from lbt.crossings.history import histories
from lbt.crossings.models import MisuseCase, MisuseKind, PermitPresence
from lbt.permits.models import Permit
from lbt.reference.models import CrossingPoint


def open_cases(session: Session, permit_ids: Collection[int]) -> dict[int, MisuseCase]:
    """The overstay cases of these permits that the daily check opened and no exit has completed yet."""
    if not permit_ids:
        return {}
    found = session.scalars(
        select(MisuseCase).where(
            MisuseCase.permit_id.in_(sorted(set(permit_ids))),
            MisuseCase.kind == MisuseKind.OVERSTAY,
            MisuseCase.crossing_id.is_(None),
        )
    ).all()
    return {case.permit_id: case for case in found}


def open_overstay_cases(session: Session, *, now: datetime) -> int:
    """Open a case for each holder inside beyond a stay limit today (on the entry point's clock) who has
    none open yet; returns how many were opened. Idempotent: a second run the same day opens none."""
    rows = session.execute(
        select(Permit, CrossingPoint)
        .join(PermitPresence, PermitPresence.permit_id == Permit.id)
        .join(CrossingPoint, CrossingPoint.id == PermitPresence.last_crossing_point_id)
        # a stay of at least one whole day: the shortest limit is one day (max_stay_days >= 1)
        .where(PermitPresence.entered_at.is_not(None), PermitPresence.entered_at <= now - timedelta(days=1))
        .order_by(Permit.id)
    ).all()
    candidates = {permit.id: (permit, point) for permit, point in rows}
    already = open_cases(session, candidates)
    found = histories(session, [pid for pid in candidates if pid not in already])
    opened = 0
    for permit_id, (permit, point) in candidates.items():
        if permit_id in already:
            continue
        zone = point.zone_name
        today = rules.local_day(now, zone)
        stays = rules.stays_from((c.direction, rules.local_day(c.at, zone)) for c in found.of(permit_id))
        agreement = permit.agreement
        over = rules.overstay_days(
            stays,
            today,
            max_stay_days=permit.max_stay_days,
            window_days=agreement.rolling_window_days,
            window_limit=agreement.rolling_limit_days,
        )
        if over <= 0:
            continue
        session.add(
            MisuseCase(
                permit=permit,
                kind=MisuseKind.OVERSTAY,
                detected_at=now,
                crossing_id=None,
                days_over=over,
                description=(
                    f"Still inside on {today.isoformat()} after entering at {point.code} on "
                    f"{stays[-1].entered.isoformat()}: {over} days beyond the limit (daily check)."
                ),
                created_at=now,
            )
        )
        opened += 1
    session.flush()
    return opened


def complete_at_exit(session: Session, exits: Mapping[int, tuple[int, int, str]]) -> dict[int, MisuseCase]:
    """For exits after an overstay (permit id: (crossing id, days over, where)), complete the case the
    daily check opened; returns those completed, by permit id (the others need a case of their own)."""
    completed = open_cases(session, exits)
    for permit_id, case in completed.items():
        crossing_id, over, where = exits[permit_id]
        case.crossing_id = crossing_id
        case.days_over = over
        case.description = f"{case.description} Exit at {where} after an overstay of {over} days."
    if completed:
        session.flush()
    return completed
