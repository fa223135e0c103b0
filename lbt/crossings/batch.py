"""A device's batch of entries and exits (``POST /api/v1/crossings``): each item is read with strict
types, checked and judged on its own, so one bad item never sinks the others: every item gets its
own result. The batch's permits are locked first, in the order of their ids, then the items are
judged in the order they happened and stored together (issue 11: a constant number of queries).
Flask-free."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.errors import N_, DomainError
from lbt.core.metrics import count_crossing
from lbt.crossings import patterns, summaries
from lbt.crossings.batch_items import (
    Item,
    ItemResult,
    Read,
    check_officer_posting,
    crossing_point_of,
    failed,
    invalid,
    read_item,
    shown_id,
    with_permit,
)
from lbt.crossings.errors import CrossingConflict, CrossingInvalid, EntryRefused
from lbt.crossings.history import NEW_IDS, Counted, Histories, Stored, histories, permits_by_number
from lbt.crossings.models import CrossingStatus, Direction, MisuseCase, MisuseKind, Verdict
from lbt.crossings.overstays import complete_at_exit
from lbt.crossings.services import assess
from lbt.crossings.summaries import NewCrossing, local_day
from lbt.crossings.timing import DEFAULT_LIMITS, CrossingLimits, must_be_held

__all__ = ["ItemResult", "crossing_point_of", "record_batch"]


def _replayed(item: Item, stored: Stored) -> ItemResult:
    """A crossing already stored under this item's id: a retry (duplicate) or an id reused (conflict)."""
    if (stored.permit_id, stored.crossing_point_id, stored.direction) != (
        item.permit.id,
        item.crossing_point.id,
        item.direction,
    ):
        return failed(
            item.sent_id, CrossingConflict(N_("This crossing id was already used for another crossing."))
        )
    return ItemResult(item.sent_id, "duplicate", verdict=stored.verdict)


@dataclass
class _Pending:
    """What one batch stores at the end: its crossings, their results and the overstays found."""

    crossings: list[NewCrossing] = field(default_factory=list)
    results: dict[str, ItemResult] = field(default_factory=dict)  # by device id, until stored
    overstays: dict[str, tuple[Item, int]] = field(default_factory=dict)


def _judge(
    item: Item, found: Histories, pending: _Pending, *, officer: User, now: datetime, limits: CrossingLimits
) -> ItemResult | None:
    """Judge one item against its permit's counted crossings (the batch's earlier ones included) and
    queue it for storing (None), or its result when it is not stored. As ``services.record``."""
    stored = found.stored.get(item.client_id)
    if stored is not None:
        return _replayed(item, stored)
    try:
        held = must_be_held(item.permit, item.at, offline=item.offline, now=now, limits=limits)
        history = found.of(item.permit.id)
        assessment = assess(
            None,  # type: ignore[arg-type] - the crossings are given: no query
            item.permit,
            item.crossing_point,
            item.direction,
            item.at,
            [(crossing.direction, crossing.at) for crossing in history],
        )
        if not item.offline:
            if assessment.verdict is Verdict.REFUSE:
                first = assessment.reasons[0]
                raise EntryRefused(first.message, first.code, **first.params)
            if assessment.verdict is Verdict.CHECK and not item.reason.strip():
                raise CrossingInvalid(
                    "reason_needed", N_("Say why the holder is let through despite the warning."), "reason"
                )
    except DomainError as error:
        return failed(item.sent_id, error)
    point = item.crossing_point
    status = CrossingStatus.HELD if held else CrossingStatus.COUNTED
    pending.crossings.append(
        NewCrossing(
            item.client_id,
            item.permit.id,
            point.id,
            item.direction,
            item.at,
            now,
            officer.id,
            assessment.verdict,
            item.reason.strip(),
            status,
            None if held else local_day(point, item.at),
        )
    )
    found.stored[item.client_id] = Stored(
        item.permit.id, point.id, item.direction, assessment.verdict, status
    )
    if not held:
        new_id = NEW_IDS + len(pending.crossings)
        found.add(item.permit.id, Counted(item.at, new_id, item.direction, point.id, item.client_id))
    over = next((r.params["num"] for r in assessment.reasons if r.code == "overstay"), 0)
    if item.direction is Direction.EXIT and over and not held:
        pending.overstays[item.client_id] = (item, over)
    status_name, error, code = "stored", None, None
    if held:
        status_name, code = "held", "offline_too_old"
        error = DomainError(
            N_(
                "Recorded offline more than %(hours)s hours ago: kept for an officer's review, and not "
                "counted in the stays until accepted."
            ),
            hours=int(limits.offline_max_age.total_seconds() // 3600),
        )
    elif item.offline and assessment.verdict is Verdict.REFUSE:
        first = assessment.reasons[0]
        status_name, code, error = "conflict", first.code, DomainError(first.message, **first.params)
    pending.results[item.client_id] = ItemResult(
        item.sent_id, status_name, error, assessment.verdict, None, code
    )
    return None


def _misuse_cases(
    session: Session, pending: _Pending, ids: Mapping[str, int], now: datetime
) -> dict[str, int]:
    """Art. 17: an exit after an overstay opens a misuse case (audited, as every case), or completes
    the one the daily check opened while the holder was still inside (``overstays``)."""
    stored = {client_id: found for client_id, found in pending.overstays.items() if client_id in ids}
    completed = complete_at_exit(
        session,
        {
            item.permit.id: (ids[client_id], over, item.crossing_point.code)
            for client_id, (item, over) in stored.items()
        },
    )
    cases = {
        client_id: MisuseCase(
            permit=item.permit,
            kind=MisuseKind.OVERSTAY,
            detected_at=item.at,
            crossing_id=ids[client_id],
            days_over=over,
            description=f"Exit at {item.crossing_point.code} after an overstay of {over} days.",
            created_at=now,
        )
        for client_id, (item, over) in stored.items()
        if item.permit.id not in completed
    }
    if cases:
        session.add_all(cases.values())
        session.flush()
    found = {
        client_id: completed[item.permit.id]
        for client_id, (item, _) in stored.items()
        if item.permit.id in completed
    }
    return {client_id: case.id for client_id, case in {**cases, **found}.items()}


def _after_race(session: Session, items: Sequence[Item]) -> dict[str, ItemResult]:
    """Copies of these items were stored by other requests between our look and our insert (their ids
    were taken): answer them as the retries they are, and set their permits' presence again."""
    found = histories(session, {item.permit.id for item in items}, [item.client_id for item in items])
    results = {}
    for item in items:
        stored = found.stored.get(item.client_id)
        results[item.client_id] = (
            _replayed(item, stored)
            if stored is not None
            else invalid(item.sent_id, "not_stored", N_("This crossing could not be stored."))
        )
    permits = {item.permit.id: item.permit for item in items}
    summaries.upsert_presence(
        session,
        [
            presence.row(presence.last.id)
            for permit in permits.values()
            if (presence := summaries.presence_of(permit, found.of(permit.id)))
        ],
    )
    return results


def record_batch(
    session: Session,
    items: Sequence[Any],
    *,
    officer: User,
    jwks: Mapping[str, Any],
    now: datetime,
    limits: CrossingLimits = DEFAULT_LIMITS,
) -> list[ItemResult]:
    """Each item of a device's batch with its own result, in the order sent. A constant number of
    queries whatever its size: the batch's permits (locked, in the order of their ids), then their
    counted crossings and any crossing stored under the batch's ids, then one insert of every
    crossing with the summaries (one statement on PostgreSQL); the items are judged in memory in the
    order they happened (a device's queue may come in any order), each against its permit's
    crossings including the batch's earlier ones, so one bad item never sinks the others."""
    try:
        check_officer_posting(officer)
    except DomainError as error:
        return [failed(shown_id(item.get("id")) if isinstance(item, dict) else None, error) for item in items]
    read = [read_item(index, item, officer=officer, jwks=jwks) for index, item in enumerate(items)]
    permits = permits_by_number(
        session, {entry.number for entry in read if isinstance(entry, Read)}, lock=True
    )
    ready = [with_permit(entry, permits) if isinstance(entry, Read) else entry for entry in read]
    results: list[ItemResult | None] = [entry if isinstance(entry, ItemResult) else None for entry in ready]
    items_ready = sorted(
        (entry for entry in ready if isinstance(entry, Item)), key=lambda entry: (entry.at, entry.index)
    )
    found = histories(
        session, {item.permit.id for item in items_ready}, [item.client_id for item in items_ready]
    )
    pending = _Pending()
    for item in items_ready:
        results[item.index] = _judge(item, found, pending, officer=officer, now=now, limits=limits)
    touched = {c.permit_id for c in pending.crossings if c.day is not None}
    presence = [
        presence
        for permit in {item.permit.id: item.permit for item in items_ready}.values()
        if permit.id in touched and (presence := summaries.presence_of(permit, found.of(permit.id)))
    ]
    ids = summaries.store(session, pending.crossings, presence)
    offline = {item.client_id: item.offline for item in items_ready}
    for crossing in pending.crossings:
        if crossing.client_id in ids:  # stored by this request (not by a racing one)
            held = crossing.status is CrossingStatus.HELD
            count_crossing(session, offline=offline[crossing.client_id], held=held)
    exits = {c.client_id for c in pending.crossings if c.client_id in ids and c.day is not None}
    patterns.keep_for_exits(
        session, [(item, found.of(item.permit.id)) for item in items_ready if item.client_id in exits], now
    )
    lost = [item for item in items_ready if item.client_id in pending.results and item.client_id not in ids]
    late = _after_race(session, lost) if lost else {}
    cases = _misuse_cases(session, pending, ids, now)
    for item in items_ready:
        if results[item.index] is None:
            result = late.get(item.client_id) or pending.results[item.client_id]
            results[item.index] = replace(result, misuse_case=cases.get(item.client_id))
    return [result for result in results if result is not None]
