"""A device's batch of entries and exits (``POST /api/v1/crossings``): each item is read, checked and
stored on its own, in a savepoint of its own, so one bad item never sinks the others. Flask-free."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.errors import N_, DomainError, ValidationFailed
from lbt.crossings.models import Direction, Verdict
from lbt.crossings.services import Assessment, CrossingConflict, EntryRefused, record
from lbt.crossings.verify import verify_scan
from lbt.permits.models import Permit
from lbt.permits.services import find_by_number
from lbt.reference.models import CrossingPoint


@dataclass(frozen=True)
class ItemResult:
    """What the device is told about one item; ``error`` carries the readable reason."""

    id: Any
    status: str  # stored | duplicate | conflict | refused | invalid
    error: DomainError | None = None
    verdict: Verdict | None = None
    misuse_case: int | None = None


def crossing_point_of(officer: User, code: Any) -> CrossingPoint | None:
    """The crossing point named by code among the guard's own, or the guard's only one when none is named."""
    points = list(officer.crossing_points)
    if code is None and len(points) == 1:
        return points[0]
    return next((point for point in points if point.code == code), None)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _invalid(item_id: Any, message: str) -> ItemResult:
    return ItemResult(item_id, "invalid", ValidationFailed(message))


def record_item(
    session: Session, item: Any, *, officer: User, jwks: Mapping[str, Any], now: datetime
) -> ItemResult:
    """Read one item, find its permit (by the scanned code or the typed number), assess it once and
    store it once (idempotent on the item's UUID)."""
    if not isinstance(item, dict):
        return _invalid(None, N_("Each crossing is a JSON object."))
    item_id = item.get("id")
    point = crossing_point_of(officer, item.get("crossing_point"))
    at = _parse_time(item.get("at"))
    direction = item.get("direction")
    if point is None or at is None or direction not in ("entry", "exit"):
        return _invalid(
            item_id,
            N_(
                "Give crossing_point (one of yours), direction (entry or exit) and at (ISO 8601 with a time zone)."
            ),
        )
    permit: Permit | None = None
    assessment: Assessment | None = None
    if isinstance(item.get("token"), str):
        scan = verify_scan(
            session, item["token"], jwks, crossing_point=point, direction=Direction(direction), at=at
        )
        if scan.permit is None:
            return _invalid(item_id, scan.reasons[0].message)
        permit, assessment = scan.permit, scan.assessment
    elif isinstance(item.get("permit_number"), str):
        permit = find_by_number(session, item["permit_number"])
    if permit is None:
        return _invalid(item_id, N_("No permit with this number is on record."))
    savepoint = session.begin_nested()
    try:
        recorded = record(
            session,
            client_id=str(item_id),
            permit=permit,
            crossing_point=point,
            direction=Direction(direction),
            at=at.astimezone(UTC),
            officer=officer,
            reason=str(item.get("reason") or ""),
            offline=bool(item.get("offline", True)),
            now=now,
            assessment=assessment,
        )
    except CrossingConflict as error:
        savepoint.rollback()
        return ItemResult(item_id, "conflict", error)
    except EntryRefused as error:
        savepoint.rollback()
        return ItemResult(item_id, "refused", error)
    except DomainError as error:
        savepoint.rollback()
        return ItemResult(item_id, "invalid", error)
    savepoint.commit()
    status = "duplicate" if recorded.duplicate else "conflict" if recorded.conflict else "stored"
    return ItemResult(
        item_id,
        status,
        verdict=recorded.crossing.verdict,
        misuse_case=recorded.misuse.id if recorded.misuse else None,
    )


def record_batch(
    session: Session, items: Sequence[Any], *, officer: User, jwks: Mapping[str, Any], now: datetime
) -> list[ItemResult]:
    """Each item of a device's batch, in order, each with its own result."""
    return [record_item(session, item, officer=officer, jwks=jwks, now=now) for item in items]
