"""The audit log as a person reads it (issue 14 item 7): the names of the records an entry names or
refers to (``state_id 1`` becomes ``1 (TJ)``), read for a whole page in one query per table, and the
filtered entries as CSV rows. Private fields stay as stored (their digests), like on the page."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.audit.checkpoint import Checkpoint, CheckpointRejected
from lbt.audit.models import Audited, AuditEntry
from lbt.audit.services import AuditFilter, VerifyResult, filtered, verify_chain
from lbt.core.db import Base

CSV_LIMIT = 50_000  # entries in one export; narrow the filters for more
CSV_BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Key = tuple[str, str]  # (table, id as text)


def _models() -> dict[str, type[Audited]]:
    return {
        mapper.local_table.name: mapper.class_  # type: ignore[union-attr]
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, Audited)
    }


def referenced_table(entity_type: str, field: str) -> str | None:
    """The table a field of ``entity_type`` points to (``state_id`` of localities: states), if any."""
    table = Base.metadata.tables.get(entity_type)
    if table is None or field not in table.c:
        return None
    keys = list(table.c[field].foreign_keys)
    return keys[0].column.table.name if len(keys) == 1 else None


def _ids(value: Any) -> list[str]:
    """The ids in a logged value: a created or deleted record's, or the old and the new of a change."""
    values = value if isinstance(value, list) else [value]
    return [str(item) for item in values if isinstance(item, int) and not isinstance(item, bool)]


def record_names(session: Session, entries: Sequence[AuditEntry]) -> dict[Key, str]:
    """The current label of every record the entries name or refer to, one query per table."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        wanted[entry.entity_type].add(entry.entity_id)
        for field, value in json.loads(entry.changes).items():
            target = referenced_table(entry.entity_type, field)
            if target:
                wanted[target].update(_ids(value))
    models = _models()
    names: dict[Key, str] = {}
    for table, ids in wanted.items():
        model = models.get(table)
        numbers = [int(id_) for id_ in ids if id_.isdigit()]
        if model is None or not numbers or "id" not in model.__table__.c:  # type: ignore[attr-defined]
            continue
        for record in session.scalars(select(model).where(model.id.in_(numbers))):  # type: ignore[attr-defined]
            names[(table, str(record.id))] = record.audit_label()  # type: ignore[attr-defined]
    return names


def shown_value(entity_type: str, field: str, value: Any, names: dict[Key, str]) -> Any:
    """A logged value with the names of the records it refers to: ``1`` becomes ``1 (TJ)``."""
    target = referenced_table(entity_type, field)
    if not target:
        return value

    def named(item: Any) -> Any:
        label = names.get((target, str(item))) if isinstance(item, int) else None
        return f"{item} ({label})" if label else item

    return [named(item) for item in value] if isinstance(value, list) else named(value)


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text if text.startswith(FORMULA_STARTS) else text  # CSV injection (OWASP)


def csv_rows(session: Session, filters: AuditFilter) -> Iterator[list[str]]:
    """The filtered entries, newest first, up to ``CSV_LIMIT``, read in keyset batches (never all at once)."""
    yield [
        "id",
        "occurred_at",
        "actor",
        "source",
        "action",
        "record_type",
        "record_id",
        "record",
        "changes",
        "hash",
    ]
    before: int | None = None
    sent = 0
    while sent < CSV_LIMIT:
        batch = session.scalars(filtered(filters, before).limit(min(CSV_BATCH, CSV_LIMIT - sent))).all()
        if not batch:
            return
        names = record_names(session, batch)
        for entry in batch:
            changes = {
                field: shown_value(entry.entity_type, field, value, names)
                for field, value in json.loads(entry.changes).items()
            }
            yield [
                str(entry.id),
                entry.occurred_at.isoformat(),
                _cell(entry.actor_name),
                entry.source,
                entry.action,
                entry.entity_type,
                _cell(entry.entity_id),
                _cell(names.get((entry.entity_type, entry.entity_id), "")),
                _cell(json.dumps(changes, ensure_ascii=False, sort_keys=True)),
                entry.hash,
            ]
        sent += len(batch)
        before = batch[-1].id
        session.expunge_all()  # a long export keeps one batch in memory at a time


@dataclass(frozen=True)
class ChainCheck:
    """What "verify the chain" found, against the newest signed checkpoint the database holds (the
    audit anchor of the newest frozen report), when there is one."""

    result: VerifyResult
    checkpoint: Checkpoint | None
    checkpoint_problem: str = ""  # the newest report's anchor was refused: why


def check_chain(session: Session, jwks: dict[str, Any], *, state: str) -> ChainCheck:
    """Recompute the whole chain (every entry's hash and link), and against the last checkpoint."""
    from lbt.reports.models import Report
    from lbt.reports.six_monthly import anchor_of_report

    newest = session.scalar(select(Report).order_by(Report.made_at.desc(), Report.id.desc()).limit(1))
    checkpoint, problem = None, ""
    if newest is not None:
        try:
            checkpoint = anchor_of_report(newest.jws.encode("ascii"), jwks, state=state)
        except (CheckpointRejected, UnicodeEncodeError) as error:
            problem = str(error)
    return ChainCheck(
        verify_chain(session, checkpoints=[checkpoint] if checkpoint else []), checkpoint, problem
    )
