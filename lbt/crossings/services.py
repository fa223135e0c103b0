"""At the crossing point: the verdict for a permit (may the holder pass?) and recording entries and
exits exactly once (idempotent on the device's UUID), with misuse cases for overstays."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.core.errors import N_, AccessDenied, DomainError, ValidationFailed
from lbt.crossings import stays as rules
from lbt.crossings.models import Crossing, Direction, MisuseCase, MisuseKind, Verdict
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
    message: str  # msgid
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    reasons: tuple[Reason, ...]
    position: rules.StayPosition
    days_allowed: int | None  # for an entry: how long this stay may last


class EntryRefused(DomainError):
    """A red verdict: the holder may not pass, so nothing is recorded."""


class CrossingConflict(DomainError):
    """The same UUID was sent before with different content."""


def history(session: Session, permit: Permit, before: datetime | None = None) -> list[rules.Stay]:
    query = select(Crossing.direction, Crossing.at).where(Crossing.permit_id == permit.id)
    if before is not None:
        query = query.where(Crossing.at < before)
    rows = session.execute(query.order_by(Crossing.at, Crossing.id)).all()
    return rules.stays_from((direction, at.date()) for direction, at in rows)


def assess(
    session: Session, permit: Permit, crossing_point: CrossingPoint, direction: Direction, at: datetime
) -> Assessment:
    """The checks a border guard repeats at every crossing: permit valid and not withdrawn, the right
    crossing point, the stay limits, and whether the holder is already inside (or outside)."""
    day = at.date()
    agreement = permit.agreement
    stays = history(session, permit, before=at)
    pos = rules.position(
        stays,
        day,
        max_stay_days=permit.max_stay_days,
        window_days=agreement.rolling_window_days,
        window_limit=agreement.rolling_limit_days,
    )
    red: list[Reason] = []
    amber: list[Reason] = []
    status = permit.effective_status(day)
    if status in STATUS_REASONS:
        code, message = STATUS_REASONS[status]
        red.append(Reason(code, message))
    if day < permit.valid_from:
        red.append(
            Reason(
                "not_yet_valid",
                N_("The permit is valid only from %(date)s."),
                {"date": permit.valid_from.isoformat()},
            )
        )
    if crossing_point.agreement_id != agreement.id or (
        not agreement.all_crossing_points
        and crossing_point.id not in {p.id for p in agreement.allowed_crossing_points}
    ):
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
                    N_("The stay limit is used up: %(limit)s days in any %(window)s."),
                    {"limit": agreement.rolling_limit_days, "window": agreement.rolling_window_days},
                )
            )
        elif days_allowed < permit.max_stay_days:
            amber.append(
                Reason(
                    "stay_limit_soon", N_("This stay may last only %(days)s days."), {"days": days_allowed}
                )
            )
        if permit.valid_until < day + (timedelta(days=(days_allowed or 1) - 1)):
            amber.append(
                Reason(
                    "valid_until_soon",
                    N_("The permit ends on %(date)s, before the stay could."),
                    {"date": permit.valid_until.isoformat()},
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
                    N_("Overstay of %(days)s days: a misuse case will be recorded."),
                    {"days": over},
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


def _check_officer(officer: User, crossing_point: CrossingPoint) -> None:
    if officer.role is not Role.BORDER_GUARD or crossing_point.id not in {
        p.id for p in officer.crossing_points
    }:
        raise AccessDenied(N_("You are not posted at this crossing point."))


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
    assessment: Assessment | None = None,
) -> Recorded:
    """Store an entry or exit once. Online, a red verdict refuses and an amber one needs a reason;
    offline records already happened, so they are stored and a server-side red is reported as a conflict.
    A caller that has just assessed this very crossing (the scan) passes its ``assessment`` along."""
    _check_officer(officer, crossing_point)
    try:
        client_id = str(uuid.UUID(client_id))
    except (ValueError, AttributeError, TypeError):
        raise ValidationFailed(N_("The crossing's id must be a UUID."), "id") from None
    existing = session.scalar(select(Crossing).where(Crossing.client_id == client_id))
    if existing is not None:
        same = (existing.permit_id, existing.crossing_point_id, existing.direction) == (
            permit.id,
            crossing_point.id,
            direction,
        )
        if not same:
            raise CrossingConflict(N_("This crossing id was already used for another crossing."))
        return Recorded(existing, duplicate=True, conflict=False, misuse=None)
    if at > now + timedelta(minutes=10):
        raise ValidationFailed(N_("The crossing time is in the future."), "at")
    if assessment is None:
        assessment = assess(session, permit, crossing_point, direction, at)
    if not offline:
        if assessment.verdict is Verdict.REFUSE:
            raise EntryRefused(assessment.reasons[0].message, **assessment.reasons[0].params)
        if assessment.verdict is Verdict.CHECK and not reason.strip():
            raise ValidationFailed(N_("Say why the holder is let through despite the warning."), "reason")
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
    )
    session.add(crossing)
    session.flush()
    misuse = None
    over = next((r.params["days"] for r in assessment.reasons if r.code == "overstay"), 0)
    if direction is Direction.EXIT and over:
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
        crossing, duplicate=False, conflict=offline and assessment.verdict is Verdict.REFUSE, misuse=misuse
    )


def permit_history(session: Session, permit: Permit) -> Sequence[Crossing]:
    return session.scalars(
        select(Crossing).where(Crossing.permit_id == permit.id).order_by(Crossing.at.desc())
    ).all()
