"""What changes on this side and must reach the partner is queued in the transaction that makes the
change (one ``after_flush`` listener, like the audit log's): a permit's status (withdrawn, suspended,
reinstated), a misuse case recorded or changed, a six-monthly report made. A change on an agreement
without a link queues nothing (the single-instance pilot)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from lbt.crossings.models import Crossing, MisuseCase
from lbt.exchange.models import ExchangeLink
from lbt.exchange.outbox import enqueue_in_flush
from lbt.exchange.reporting import MISUSE_FIELDS, MISUSE_KIND, REPORT_KIND, misuse_body, report_body
from lbt.exchange.withdrawals import DELTA_KIND, change_of
from lbt.permits.models import Permit
from lbt.reference.models import CrossingPoint
from lbt.reports.models import Report, ReportKind


def install_exchange_listener() -> None:
    """Listen on every Session: idempotent, called by the application factory and the models' registry."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def _changed(instance: object, names: tuple[str, ...]) -> bool:
    state = inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, _context: Any) -> None:
    touched = [*session.new, *session.dirty]
    if not any(isinstance(instance, (Permit, MisuseCase, Report)) for instance in touched):
        return
    connection = session.connection()
    if not connection.execute(select(ExchangeLink.id).where(ExchangeLink.is_active).limit(1)).first():
        return  # no partner is linked: nothing to send (and no more queries on every flush)
    clock = session.info.get("clock")
    now = (clock() if clock else datetime.now(UTC)).astimezone(UTC)
    messages: list[tuple[int, str, dict[str, Any]]] = []
    changes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for instance in touched:
        if isinstance(instance, Permit) and instance not in session.new and _changed(instance, ("status",)):
            changes[instance.agreement_id].append(change_of(instance))
        elif isinstance(instance, MisuseCase) and (
            instance in session.new or _changed(instance, MISUSE_FIELDS)
        ):
            permit = session.get(Permit, instance.permit_id) if instance.permit_id else instance.permit
            if permit is not None:
                messages.append(
                    (
                        permit.agreement_id,
                        MISUSE_KIND,
                        misuse_body(instance, permit, _point(session, instance)),
                    )
                )
        elif (
            isinstance(instance, Report)
            and instance in session.new
            and instance.kind is ReportKind.SIX_MONTHLY
        ):
            messages.append((instance.agreement_id, REPORT_KIND, report_body(instance)))
    for agreement_id, items in changes.items():
        messages.insert(
            0, (agreement_id, DELTA_KIND, {"changes": sorted(items, key=lambda item: item["number"])})
        )
    for agreement_id, kind, body in messages:
        enqueue_in_flush(session, agreement_id, kind, body, now=now)


def _point(session: Session, case: MisuseCase) -> str:
    if case.crossing_id is None:
        return ""
    return (
        session.connection()
        .execute(
            select(CrossingPoint.code)
            .join(Crossing, Crossing.crossing_point_id == CrossingPoint.id)
            .where(Crossing.id == case.crossing_id)
        )
        .scalar()
        or ""
    )
