"""Reading a device's batch item by item (``POST /api/v1/crossings``): strict JSON types, text both
databases can hold, a scanned code's signature checked, each item's permit found among the batch's
(``batch.record_batch`` loads them together). Flask-free; no query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from lbt.accounts.models import Role, User
from lbt.core.dates import parse_instant
from lbt.core.errors import N_, AccessDenied, DomainError
from lbt.crossings.errors import CrossingConflict, CrossingInvalid, EntryRefused
from lbt.crossings.models import Direction, Verdict
from lbt.crossings.services import client_uuid
from lbt.crossings.verify import TokenVerdict, on_record, scanned_claims, typed_number_miss
from lbt.permits.models import Permit
from lbt.permits.services import canonical_number
from lbt.permits.signing import PermitClaims
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
    """One item as read: its place in the batch, and what recording it needs."""

    index: int
    sent_id: str | None  # as the device sent it, echoed back
    client_id: str
    permit: Permit
    crossing_point: CrossingPoint
    direction: Direction
    at: datetime
    reason: str
    offline: bool


@dataclass(frozen=True)
class Read:
    """One item read without the database: the permit is named by ``number`` (and, when scanned,
    must carry ``token``)."""

    index: int
    sent_id: str | None
    client_id: str
    crossing_point: CrossingPoint
    direction: Direction
    at: datetime
    reason: str
    offline: bool
    number: str
    typed: str | None = None  # the number as typed (None: scanned)
    token: str | None = None
    claims: PermitClaims | None = None


def crossing_point_of(officer: User, code: Any) -> CrossingPoint | None:
    """The crossing point named by code among the guard's own, or the guard's only one when none is named."""
    points = list(officer.crossing_points)
    if code is None and len(points) == 1:
        return points[0]
    return next((point for point in points if point.code == code), None)


def storable_text(value: Any) -> bool:
    """Text both databases can hold: PostgreSQL refuses NUL, and neither stores a lone surrogate."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def invalid(item_id: Any, code: str, message: str, field: str | None = None, **params: Any) -> ItemResult:
    return ItemResult(item_id, "invalid", CrossingInvalid(code, message, field, **params), code=code)


def failed(item_id: Any, error: DomainError) -> ItemResult:
    if isinstance(error, CrossingConflict):
        return ItemResult(item_id, "conflict", error, code=error.code)
    if isinstance(error, EntryRefused):
        return ItemResult(item_id, "refused", error, code=error.code)
    return ItemResult(item_id, "invalid", error, code=getattr(error, "code", "invalid"))


def check_officer_posting(officer: User) -> None:
    """Only a border guard records crossings (each item names one of the guard's own points)."""
    if officer.role is not Role.BORDER_GUARD:
        raise AccessDenied(N_("You are not posted at this crossing point."))


def shown_id(value: Any) -> str | None:
    """The item's id as it is echoed back (the device matches its results on it): text, not too long."""
    return value if isinstance(value, str) and len(value) <= 64 else None


def read_item(index: int, item: Any, *, officer: User, jwks: Mapping[str, Any]) -> Read | ItemResult:
    """Read one item strictly (each field of its own JSON type), a scanned code's signature checked;
    a result when it cannot be read. No database: the batch's permits are found together."""
    if not isinstance(item, dict):
        return invalid(None, "malformed", N_("Each crossing is a JSON object."))
    item_id = shown_id(item.get("id"))
    for name in TEXT_FIELDS:
        value = item.get(name)
        if value is not None and not storable_text(value):
            return invalid(
                item_id, "malformed", N_("“%(name)s” must be text without NUL characters."), name, name=name
            )
    offline = item.get("offline", True)
    if not isinstance(offline, bool):
        return invalid(item_id, "malformed", N_("offline must be true or false (not in quotes)."), "offline")
    try:
        client_id = client_uuid(item.get("id"))
    except CrossingInvalid as error:
        return failed(item_id, error)
    point = crossing_point_of(officer, item.get("crossing_point"))
    at = parse_instant(item.get("at"))
    direction = item.get("direction")
    if point is None or at is None or direction not in ("entry", "exit"):
        return invalid(
            item_id,
            "malformed",
            N_(
                "Give crossing_point (one of yours), direction (entry or exit) and at (ISO 8601 with a time zone)."
            ),
        )
    reason = item.get("reason") or ""
    if len(reason) > MAX_REASON:
        return invalid(
            item_id,
            "malformed",
            N_("The reason is longer than %(max)s characters."),
            "reason",
            max=MAX_REASON,
        )
    read = partial(Read, index, item_id, client_id, point, Direction(direction), at, reason, offline)
    token, number = item.get("token"), item.get("permit_number")
    if token is not None:
        if len(token) > MAX_TOKEN:
            return invalid(item_id, "not_lbt", N_("This is not an LBT permit code."))
        scan = scanned_claims(token, jwks)
        if isinstance(scan, TokenVerdict):
            return invalid(item_id, scan.reasons[0].code, scan.reasons[0].message)
        return read(scan[1].permit_number, token=scan[0], claims=scan[1])
    if number is not None and len(number) <= MAX_NUMBER:
        return read(canonical_number(number) or number.strip().upper(), typed=number)
    return invalid(item_id, "not_on_record", N_("No permit with this number is on record."))


def with_permit(read: Read, permits: Mapping[str, Permit]) -> Item | ItemResult:
    """The read item with its permit on record, or why there is none."""
    permit = permits.get(read.number)
    if read.token is not None and read.claims is not None:
        scan = on_record(read.token, read.claims, permit)
        if scan.permit is None:
            return invalid(read.sent_id, scan.reasons[0].code, scan.reasons[0].message)
    elif permit is None:
        miss = typed_number_miss(read.typed or read.number)
        reason = miss.reasons[0]
        verdict = miss.verdict if miss.verdict is Verdict.CHECK else None
        return replace(invalid(read.sent_id, reason.code, reason.message), verdict=verdict)
    assert permit is not None
    return Item(
        read.index,
        read.sent_id,
        read.client_id,
        permit,
        read.crossing_point,
        read.direction,
        read.at,
        read.reason,
        read.offline,
    )
