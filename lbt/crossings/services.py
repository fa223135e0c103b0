"""At the crossing point: the verdict for a permit (may the holder pass?) and recording entries and
exits exactly once (idempotent on the device's UUID), with misuse cases for overstays. Each verdict is
judged against the permit's whole counted history, with the permit's row locked while a crossing is
recorded, so two crossings of one permit are never judged side by side."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.core.errors import N_, AccessDenied, Message, Nn_
from lbt.core.metrics import count_crossing
from lbt.crossings import stays as rules
from lbt.crossings import summaries
from lbt.crossings.errors import CrossingConflict, CrossingInvalid, EntryRefused
from lbt.crossings.history import Counted, histories
from lbt.crossings.models import (
    COUNTED_STATUSES,
    Crossing,
    CrossingStatus,
    Direction,
    MisuseCase,
    MisuseKind,
    Verdict,
)
from lbt.crossings.overstays import complete_at_exit
from lbt.crossings.timing import DEFAULT_LIMITS, CrossingLimits, must_be_held, shown
from lbt.permits.models import Permit, PermitStatus
from lbt.reference.models import CrossingPoint

STATUS_REASONS = {
    PermitStatus.SUSPENDED: ("suspended", N_("The permit is suspended.")),
    PermitStatus.REVOKED: ("revoked", N_("The permit was revoked.")),
    PermitStatus.ANNULLED: ("annulled", N_("The permit was annulled.")),
    PermitStatus.REPLACED: ("replaced", N_("The permit was replaced by a new card: this card is void.")),
    PermitStatus.EXPIRED: ("expired", N_("The permit has expired.")),
}


@dataclass(frozen=True)
class Reason:
    code: str
    message: Message  # msgid, or a plural pair counted by "num"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    reasons: tuple[Reason, ...]
    position: rules.StayPosition
    days_allowed: int | None  # for an entry: how long this stay may last


__all__ = ["CrossingConflict", "EntryRefused"]  # raised here, defined in errors


COUNTED_ORDER = (Crossing.at, Crossing.id)  # the order the stays are counted in


def counted_of(permit_id: Any) -> ColumnElement[bool]:
    """The crossings of ``permit_id`` (a value or a column) that count in its stays (held and rejected
    ones do not); the statuses compared one by one, which ``lbt.core.driver_select`` can run."""
    return and_(
        Crossing.permit_id == permit_id, or_(*(Crossing.status == status for status in COUNTED_STATUSES))
    )


_COUNTED_OF_PERMIT = (  # built once: every scan runs it
    select(Crossing.direction, Crossing.at).where(counted_of(bindparam("permit_id"))).order_by(*COUNTED_ORDER)
)


def counted_crossings(session: Session | Connection, permit: Permit) -> list[tuple[Direction, datetime]]:
    """The permit's crossings that count in its stays (held and rejected ones do not), oldest first.
    ``session``: or a plain connection (the verify lane's)."""
    rows = session.execute(_COUNTED_OF_PERMIT, {"permit_id": permit.id}).all()
    return [(direction, at) for direction, at in rows]


def lock_permits(session: Session, permit_ids: Sequence[int]) -> None:
    """Serialise the crossings of these permits until the transaction ends: a row lock on PostgreSQL,
    taken in the order of the ids so that two batches never wait on each other in a circle (SQLite's
    one writer at a time, BEGIN IMMEDIATE, serialises already). The permits are read again under the
    lock, so a suspension committed meanwhile is seen."""
    if permit_ids:
        session.scalars(
            select(Permit)
            .where(Permit.id.in_(sorted(set(permit_ids))))
            .order_by(Permit.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()


def assess(
    session: Session,
    permit: Permit,
    crossing_point: CrossingPoint,
    direction: Direction,
    at: datetime,
    crossings: Sequence[tuple[Direction, datetime]] | None = None,
) -> Assessment:
    """The checks a border guard repeats at every crossing: permit valid and not withdrawn, the right
    crossing point, the stay limits, and whether the holder is already inside (or outside), judged
    against every counted crossing. One earlier than the last recorded is out of order (red): it is
    judged against the crossings up to its time, as they stood then. ``crossings``: the counted
    ones (oldest first) when the caller read them already."""
    zone = crossing_point.zone_name  # stays count the days of the place's clock, not UTC's
    day = rules.local_day(at, zone)
    agreement = permit.agreement
    if crossings is None:
        crossings = counted_crossings(session, permit)
    last = crossings[-1][1] if crossings else None
    out_of_order = last is not None and at < last
    stays = rules.stays_from(
        (direction, rules.local_day(moment, zone))
        for direction, moment in crossings
        if not out_of_order or moment <= at
    )
    pos = rules.position(
        stays,
        day,
        max_stay_days=permit.max_stay_days,
        window_days=agreement.rolling_window_days,
        window_limit=agreement.rolling_limit_days,
    )
    red: list[Reason] = []
    amber: list[Reason] = []
    if out_of_order and last is not None:
        red.append(
            Reason(
                "out_of_order",
                N_(
                    "A later crossing of this permit is already recorded (%(last)s): crossings "
                    "are recorded in the order they happen."
                ),
                {"last": shown(last)},
            )
        )
    status = permit.effective_status(day)
    if status in STATUS_REASONS:
        code, message = STATUS_REASONS[status]
        red.append(Reason(code, message))
    if day < permit.valid_from:
        red.append(
            Reason(
                "not_yet_valid",
                N_("The permit is valid only from %(date)s."),
                {"date": permit.valid_from},
            )
        )
    if crossing_point.agreement_id != agreement.id:  # Art. 7: valid only in the issuing state's border area
        red.append(
            Reason(
                "outside_area",
                N_(
                    "Outside the border area: this crossing point does not lead into the border area where"
                    " the permit is valid (agreement %(agreement)s)."
                ),
                {"agreement": agreement.code},
            )
        )
    elif not agreement.all_crossing_points and crossing_point.id not in {
        p.id for p in agreement.allowed_crossing_points
    }:
        red.append(Reason("crossing_point", N_("This permit may not be used at this crossing point.")))
    days_allowed = None
    if direction is Direction.ENTRY:
        if pos.inside:
            amber.append(
                Reason(
                    "already_inside",
                    N_("An entry is recorded without an exit: the holder may already be inside."),
                )
            )
        days_allowed = rules.entry_allowed_days(pos, day, stays)
        if days_allowed == 0:
            red.append(
                Reason(
                    "stay_limit",
                    Nn_(
                        "The stay limit is used up: %(num)d day in any %(window)s.",
                        "The stay limit is used up: %(num)d days in any %(window)s.",
                    ),
                    {"num": agreement.rolling_limit_days, "window": agreement.rolling_window_days},
                )
            )
        elif days_allowed < permit.max_stay_days:
            amber.append(
                Reason(
                    "stay_limit_soon",
                    Nn_("This stay may last only %(num)d day.", "This stay may last only %(num)d days."),
                    {"num": days_allowed},
                )
            )
        if permit.valid_until < day + (timedelta(days=(days_allowed or 1) - 1)):
            amber.append(
                Reason(
                    "valid_until_soon",
                    N_("The permit ends on %(date)s, before the stay could."),
                    {"date": permit.valid_until},
                )
            )
    else:
        if not pos.inside:
            amber.append(Reason("not_inside", N_("No entry is recorded for this exit.")))
        over = rules.overstay_days(
            stays,
            day,
            max_stay_days=permit.max_stay_days,
            window_days=agreement.rolling_window_days,
            window_limit=agreement.rolling_limit_days,
        )
        if over:
            amber.append(
                Reason(
                    "overstay",
                    Nn_(
                        "Overstay of %(num)d day: a misuse case will be recorded.",
                        "Overstay of %(num)d days: a misuse case will be recorded.",
                    ),
                    {"num": over},
                )
            )
    if red:
        return Assessment(Verdict.REFUSE, tuple(red + amber), pos, days_allowed)
    if amber:
        return Assessment(Verdict.CHECK, tuple(amber), pos, days_allowed)
    return Assessment(Verdict.PASS, (Reason("valid", N_("Valid: the holder may pass.")),), pos, days_allowed)


@dataclass(frozen=True)
class Recorded:
    crossing: Crossing
    duplicate: bool
    conflict: bool  # recorded offline although the server would have refused
    misuse: MisuseCase | None
    held: bool = False  # kept for an officer's review, outside the stay count
    reasons: tuple[Reason, ...] = ()  # the server's verdict on it


def _check_officer(officer: User, crossing_point: CrossingPoint) -> None:
    if officer.role is not Role.BORDER_GUARD or crossing_point.id not in {
        p.id for p in officer.crossing_points
    }:
        raise AccessDenied(N_("You are not posted at this crossing point."))


def client_uuid(client_id: object) -> str:
    """The device's id of a crossing, as a canonical UUID."""
    if not isinstance(client_id, str):
        raise CrossingInvalid("bad_id", N_("The crossing's id must be a UUID."), "id")
    try:
        return str(uuid.UUID(client_id))
    except ValueError:
        raise CrossingInvalid("bad_id", N_("The crossing's id must be a UUID."), "id") from None


def replay(
    session: Session, client_id: str, permit: Permit, crossing_point: CrossingPoint, direction: Direction
) -> Recorded | None:
    """The crossing already stored under this id (a retry), or None; the id used for another crossing
    is a conflict."""
    existing = session.scalar(select(Crossing).where(Crossing.client_id == client_id))
    if existing is None:
        return None
    if (existing.permit_id, existing.crossing_point_id, existing.direction) != (
        permit.id,
        crossing_point.id,
        direction,
    ):
        raise CrossingConflict(N_("This crossing id was already used for another crossing."))
    return Recorded(existing, duplicate=True, conflict=False, misuse=None)


def record(
    session: Session,
    *,
    client_id: str,
    permit: Permit,
    crossing_point: CrossingPoint,
    direction: Direction,
    at: datetime,
    officer: User,
    reason: str = "",
    offline: bool = False,
    now: datetime,
    limits: CrossingLimits = DEFAULT_LIMITS,
) -> Recorded:
    """Store an entry or exit once. Online, a red verdict refuses and an amber one needs a reason;
    offline records already happened, so they are stored and a server-side red is reported as a
    conflict, and one older than ``limits.offline_max_age`` is held for review. A time that cannot be
    true (see ``timing``) is refused either way."""
    _check_officer(officer, crossing_point)
    client_id = client_uuid(client_id)
    lock_permits(session, [permit.id])
    again = replay(session, client_id, permit, crossing_point, direction)
    if again is not None:
        return again
    held = must_be_held(permit, at, offline=offline, now=now, limits=limits)
    history = histories(session, [permit.id]).of(permit.id)
    assessment = assess(
        session, permit, crossing_point, direction, at, [(c.direction, c.at) for c in history]
    )
    if not offline:
        if assessment.verdict is Verdict.REFUSE:
            first = assessment.reasons[0]
            raise EntryRefused(first.message, first.code, **first.params)
        if assessment.verdict is Verdict.CHECK and not reason.strip():
            raise CrossingInvalid(
                "reason_needed", N_("Say why the holder is let through despite the warning."), "reason"
            )
    crossing = Crossing(
        client_id=client_id,
        permit=permit,
        crossing_point=crossing_point,
        direction=direction,
        at=at,
        recorded_at=now,
        officer_id=officer.id,
        verdict=assessment.verdict,
        reason=reason.strip(),
        status=CrossingStatus.HELD if held else CrossingStatus.COUNTED,
    )
    session.add(crossing)
    session.flush()
    count_crossing(session, offline=offline, held=held)
    if not held:
        added = Counted(at, crossing.id, direction, crossing_point.id, client_id)
        summaries.counted_added(session, permit, [*history, added], added)
    misuse = None
    over = next((r.params["num"] for r in assessment.reasons if r.code == "overstay"), 0)
    if direction is Direction.EXIT and over and not held:
        # the daily check may have opened this stay's case already: the exit completes it
        misuse = complete_at_exit(session, {permit.id: (crossing.id, over, crossing_point.code)}).get(
            permit.id
        )
        if misuse is None:
            misuse = MisuseCase(
                permit=permit,
                kind=MisuseKind.OVERSTAY,
                detected_at=at,
                crossing_id=crossing.id,
                days_over=over,
                description=f"Exit at {crossing_point.code} after an overstay of {over} days.",
                created_at=now,
            )
            session.add(misuse)
            session.flush()
    return Recorded(
        crossing,
        duplicate=False,
        conflict=offline and assessment.verdict is Verdict.REFUSE,
        misuse=misuse,
        held=held,
        reasons=assessment.reasons,
    )


def permit_history(session: Session, permit: Permit) -> Sequence[Crossing]:
    return session.scalars(
        select(Crossing).where(Crossing.permit_id == permit.id).order_by(Crossing.at.desc())
    ).all()
