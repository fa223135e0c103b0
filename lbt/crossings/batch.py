"""A device's batch of entries and exits (``POST /api/v1/crossings``): each item is read with strict
types, checked and stored on its own, in a savepoint of its own, so one bad item never sinks the
others: every item gets its own result. The batch's permits are locked first, in the order of their
ids, then the items are stored in the order they happened. Flask-free."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.errors import N_, DomainError
from lbt.crossings.errors import CrossingConflict, CrossingInvalid, EntryRefused
from lbt.crossings.models import Direction, Verdict
from lbt.crossings.services import client_uuid, lock_permits, record, replay
from lbt.crossings.timing import DEFAULT_LIMITS, CrossingLimits
from lbt.crossings.verify import scanned_permit, typed_number_miss
from lbt.permits.models import Permit
from lbt.permits.services import find_by_number
from lbt.reference.models import CrossingPoint

MAX_REASON = 1000  # characters of a guard's reason
MAX_NUMBER = 40  # a permit number is 16; room for spaces a guard typed
MAX_TOKEN = 4296  # the most a QR code holds
TEXT_FIELDS = ("id", "permit_number", "token", "crossing_point", "direction", "at", "reason")


@dataclass(frozen=True)
class ItemResult:
    """What the device is told about one item; ``error`` carries the readable reason and ``code`` its
    stable name (docs/api.md)."""

    id: Any
    status: str  # stored | held | duplicate | conflict | refused | invalid
    error: DomainError | None = None
    verdict: Verdict | None = None
    misuse_case: int | None = None
    code: str | None = None


@dataclass(frozen=True)
class Item:
    """One item as read: its place in the batch, and what ``record`` needs."""

    index: int
    sent_id: str | None  # as the device sent it, echoed back
    client_id: str
    permit: Permit
    crossing_point: CrossingPoint
    direction: Direction
    at: datetime
    reason: str
    offline: bool


def crossing_point_of(officer: User, code: Any) -> CrossingPoint | None:
    """The crossing point named by code among the guard's own, or the guard's only one when none is named."""
    points = list(officer.crossing_points)
    if code is None and len(points) == 1:
        return points[0]
    return next((point for point in points if point.code == code), None)


def _parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time with a time zone, in UTC; None when it is not one (or is beyond year 1-9999)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def _storable_text(value: Any) -> bool:
    """Text both databases can hold: PostgreSQL refuses NUL, and neither stores a lone surrogate."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _invalid(item_id: Any, code: str, message: str, field: str | None = None, **params: Any) -> ItemResult:
    return ItemResult(item_id, "invalid", CrossingInvalid(code, message, field, **params), code=code)


def _failed(item_id: Any, error: DomainError) -> ItemResult:
    if isinstance(error, CrossingConflict):
        return ItemResult(item_id, "conflict", error, code=error.code)
    if isinstance(error, EntryRefused):
        return ItemResult(item_id, "refused", error, code=error.code)
    return ItemResult(item_id, "invalid", error, code=getattr(error, "code", "invalid"))


def _shown_id(value: Any) -> str | None:
    """The item's id as it is echoed back (the device matches its results on it): text, not too long."""
    return value if isinstance(value, str) and len(value) <= 64 else None


def read_item(
    session: Session, index: int, item: Any, *, officer: User, jwks: Mapping[str, Any]
) -> Item | ItemResult:
    """Read one item strictly (each field of its own JSON type) and find its permit, by the scanned
    code or the typed number; a result when it cannot be read."""
    if not isinstance(item, dict):
        return _invalid(None, "malformed", N_("Each crossing is a JSON object."))
    item_id = _shown_id(item.get("id"))
    for name in TEXT_FIELDS:
        value = item.get(name)
        if value is not None and not _storable_text(value):
            return _invalid(
                item_id, "malformed", N_("“%(name)s” must be text without NUL characters."), name, name=name
            )
    offline = item.get("offline", True)
    if not isinstance(offline, bool):
        return _invalid(item_id, "malformed", N_("offline must be true or false (not in quotes)."), "offline")
    try:
        client_id = client_uuid(item.get("id"))
    except CrossingInvalid as error:
        return _failed(item_id, error)
    point = crossing_point_of(officer, item.get("crossing_point"))
    at = _parse_time(item.get("at"))
    direction = item.get("direction")
    if point is None or at is None or direction not in ("entry", "exit"):
        return _invalid(
            item_id,
            "malformed",
            N_(
                "Give crossing_point (one of yours), direction (entry or exit) and at (ISO 8601 with a time zone)."
            ),
        )
    reason = item.get("reason") or ""
    if len(reason) > MAX_REASON:
        return _invalid(
            item_id,
            "malformed",
            N_("The reason is longer than %(max)s characters."),
            "reason",
            max=MAX_REASON,
        )
    permit: Permit | None = None
    token, number = item.get("token"), item.get("permit_number")
    if token is not None:
        if len(token) > MAX_TOKEN:
            return _invalid(item_id, "not_lbt", N_("This is not an LBT permit code."))
        scan = scanned_permit(session, token, jwks)
        if scan.permit is None:
            return _invalid(item_id, scan.reasons[0].code, scan.reasons[0].message)
        permit = scan.permit
    elif number is not None and len(number) <= MAX_NUMBER:
        permit = find_by_number(session, number)
        if permit is None:
            miss = typed_number_miss(number)
            reason = miss.reasons[0]
            verdict = miss.verdict if miss.verdict is Verdict.CHECK else None
            return replace(_invalid(item_id, reason.code, reason.message), verdict=verdict)
    if permit is None:
        return _invalid(item_id, "not_on_record", N_("No permit with this number is on record."))
    return Item(index, item_id, client_id, permit, point, Direction(direction), at, reason, offline)


def _after_race(session: Session, item: Item) -> ItemResult:
    """A copy of this item was stored by another request between our look and our insert (the unique
    client id said so): answer as the retry it is."""
    item_id = item.sent_id
    try:
        again = replay(session, item.client_id, item.permit, item.crossing_point, item.direction)
    except CrossingConflict as error:
        return _failed(item_id, error)
    if again is None:  # another constraint: not ours to explain further
        return _invalid(item_id, "not_stored", N_("This crossing could not be stored."))
    return ItemResult(item_id, "duplicate", verdict=again.crossing.verdict)


def store_item(
    session: Session, item: Item, *, officer: User, now: datetime, limits: CrossingLimits
) -> ItemResult:
    """Store one read item in a savepoint of its own: whatever it hits is undone alone."""
    item_id = item.sent_id
    savepoint = session.begin_nested()
    try:
        recorded = record(
            session,
            client_id=item.client_id,
            permit=item.permit,
            crossing_point=item.crossing_point,
            direction=item.direction,
            at=item.at,
            officer=officer,
            reason=item.reason,
            offline=item.offline,
            now=now,
            limits=limits,
        )
    except IntegrityError:
        savepoint.rollback()
        return _after_race(session, item)
    except DataError:  # a value the database cannot hold, though it passed the checks above
        savepoint.rollback()
        return _invalid(item_id, "not_stored", N_("This crossing could not be stored."))
    except DomainError as error:
        savepoint.rollback()
        return _failed(item_id, error)
    savepoint.commit()
    status, error, code = "stored", None, None
    if recorded.duplicate:
        status = "duplicate"
    elif recorded.held:
        status, code = "held", "offline_too_old"
        error = DomainError(
            N_(
                "Recorded offline more than %(hours)s hours ago: kept for an officer's review, and not "
                "counted in the stays until accepted."
            ),
            hours=int(limits.offline_max_age.total_seconds() // 3600),
        )
    elif recorded.conflict:
        first = recorded.reasons[0]
        status, code, error = "conflict", first.code, DomainError(first.message, **first.params)
    return ItemResult(
        item_id,
        status,
        error,
        verdict=recorded.crossing.verdict,
        misuse_case=recorded.misuse.id if recorded.misuse else None,
        code=code,
    )


def record_batch(
    session: Session,
    items: Sequence[Any],
    *,
    officer: User,
    jwks: Mapping[str, Any],
    now: datetime,
    limits: CrossingLimits = DEFAULT_LIMITS,
) -> list[ItemResult]:
    """Each item of a device's batch with its own result, in the order sent. The items are stored in the
    order they happened (a device's queue may come in any order), each permit's row locked first."""
    read = [read_item(session, index, item, officer=officer, jwks=jwks) for index, item in enumerate(items)]
    results: list[ItemResult | None] = [entry if isinstance(entry, ItemResult) else None for entry in read]
    ready = sorted(
        (entry for entry in read if isinstance(entry, Item)), key=lambda entry: (entry.at, entry.index)
    )
    lock_permits(session, [entry.permit.id for entry in ready])
    for entry in ready:
        results[entry.index] = store_item(session, entry, officer=officer, now=now, limits=limits)
    return [result for result in results if result is not None]
