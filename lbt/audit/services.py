"""Writing, reading and verifying the audit log.

Every flush of a session writes one entry per created, changed or deleted ``Audited`` record, so no
service can forget to audit. Entries are chained: each stores the SHA-256 of its own content and of
the entry before it, so changing or removing an entry breaks the chain at that point.
"""

from __future__ import annotations

import decimal
import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, Select, event, func, insert, inspect, select, text
from sqlalchemy.orm import ColumnProperty, RelationshipProperty, Session, UOWTransaction

from lbt.audit.models import AUDIT_PRIVATE, GENESIS_HASH, SYSTEM_ACTOR, AuditActor, Audited, AuditEntry
from lbt.core.dates import end_of_local_day, local_to_utc

if TYPE_CHECKING:
    from lbt.audit.checkpoint import Checkpoint

# an arbitrary constant naming the PostgreSQL advisory lock that serialises appends to the chain
_CHAIN_LOCK_KEY = 7_262_001


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, Audited):
        return value.audit_label()
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(
    *,
    prev_hash: str,
    occurred_at: datetime,
    actor_id: int | None,
    actor_name: str,
    source: str,
    action: str,
    entity_type: str,
    entity_id: str,
    changes: str,
) -> str:
    content = canonical_json(
        {
            "prev_hash": prev_hash,
            "occurred_at": occurred_at.isoformat(),
            "actor_id": actor_id,
            "actor_name": actor_name,
            "source": source,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "changes": changes,
        }
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def private_digest(value: Any) -> str | None:
    """What the log keeps of a private column's value: its SHA-256, so an auditor can tell that it was
    written or changed (and check a copy against it) without reading it."""
    if value is None:
        return None
    return "sha256:" + hashlib.sha256(str(_plain(value)).encode("utf-8")).hexdigest()


def _is_private(prop: ColumnProperty[Any]) -> bool:
    return any(column.info.get("audit") == AUDIT_PRIVATE["audit"] for column in prop.columns)


def _changes_of(obj: Audited, action: str) -> dict[str, Any] | None:
    state = inspect(obj)
    ignored = type(obj).__audit_ignore__
    redacted = type(obj).__audit_redact__
    changes: dict[str, Any] = {}
    meaningful = False
    for prop in state.mapper.iterate_properties:
        key = prop.key
        if isinstance(prop, ColumnProperty):
            history = state.attrs[key].history
            logged = private_digest if _is_private(prop) else _plain
            if action == "create":
                value = getattr(obj, key)
                if value is None:
                    continue
                changes[key] = "(set)" if key in redacted else logged(value)
                meaningful = True
            elif action == "delete":
                value = history.unchanged[0] if history.unchanged else (history.deleted or [None])[0]
                if value is not None and key not in redacted:
                    changes[key] = logged(value)
                meaningful = True
            elif history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                if old == new:
                    continue
                changes[key] = "(changed)" if key in redacted else [logged(old), logged(new)]
                meaningful = meaningful or key not in ignored
        elif isinstance(prop, RelationshipProperty) and prop.uselist and action == "create":
            # a new record's collections (a user's agreements: what they may see) are part of it
            added = state.attrs[key].history.added
            if added:
                changes[key] = _plain(list(added))
        elif isinstance(prop, RelationshipProperty) and prop.uselist and action == "update":
            history = state.attrs[key].history
            if history.added or history.deleted:
                changes[key] = {
                    "added": _plain(list(history.added)),
                    "removed": _plain(list(history.deleted)),
                }
                meaningful = True
    if not meaningful:
        return None
    return {key: value for key, value in changes.items() if key not in ignored or action != "update"}


def _entity_id(obj: Audited) -> str:
    # from the primary key columns, not the identity key: a new record gets its identity key only
    # after the flush this entry is written in
    mapper = inspect(obj).mapper
    return ",".join(str(part) for part in mapper.primary_key_from_instance(obj))


def _collect(session: Session) -> list[tuple[str, Audited, dict[str, Any]]]:
    pending: list[tuple[str, Audited, dict[str, Any]]] = []
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not isinstance(obj, Audited):
                continue
            if action == "update" and not session.is_modified(obj):
                continue
            changes = _changes_of(obj, action)
            if changes is not None:
                pending.append((action, obj, changes))
    return pending


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    pending = _collect(session)
    if not pending:
        return
    _append(
        session,
        [
            (action, type(obj).__tablename__, _entity_id(obj), changes)  # type: ignore[attr-defined]
            for action, obj, changes in sorted(
                pending, key=lambda item: (type(item[1]).__name__, _entity_id(item[1]))
            )
        ],
    )


def record_event(
    session: Session, *, action: str, entity_type: str, entity_id: str, changes: dict[str, Any]
) -> None:
    """Append one entry for a change that is no record of a model (a restore from a backup), by the
    session's actor, on the chain like every other entry."""
    _append(session, [(action, entity_type, entity_id, changes)])


def _append(session: Session, items: list[tuple[str, str, str, dict[str, Any]]]) -> None:
    actor: AuditActor = session.info.get("actor") or SYSTEM_ACTOR
    now = (session.info.get("clock") or (lambda: datetime.now(UTC)))().astimezone(UTC)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    prev = connection.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    prev_hash = prev or GENESIS_HASH
    rows = []
    for action, entity_type, entity_id, changes in items:
        row = {
            "prev_hash": prev_hash,
            "occurred_at": now,
            "actor_id": actor.user_id,
            "actor_name": actor.name,
            "source": actor.source,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "changes": canonical_json(changes),
        }
        row["hash"] = entry_hash(**row)
        prev_hash = row["hash"]
        rows.append(row)
    for row in rows:  # one statement per row keeps the order of ids equal to the order of the chain
        connection.execute(insert(AuditEntry), row)


def install_audit_listener() -> None:
    """Listen on every Session: idempotent, called once by the application factory."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


_HASHED_COLUMNS = (
    "prev_hash",
    "occurred_at",
    "actor_id",
    "actor_name",
    "source",
    "action",
    "entity_type",
    "entity_id",
    "changes",
)


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int | None
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    first_break: ChainBreak | None
    head_hash: str = GENESIS_HASH  # where the chain read ends (the genesis value for an empty log)
    head_entry_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(
    session: Session, batch_size: int = 5000, *, checkpoints: Sequence[Checkpoint] = ()
) -> VerifyResult:
    """Recompute every entry's hash in id order; name the first entry whose content or link is wrong,
    or, against signed checkpoints, the first place where entries a checkpoint counted are missing."""
    expected_prev = GENESIS_HASH
    checked = 0
    head_id: int | None = None
    marks = {checkpoint.entry_count: checkpoint for checkpoint in checkpoints if checkpoint.entry_count}
    # plain rows, not ORM objects: entries already in the session's identity map would come back as
    # they were first loaded, hiding a change made in the database since
    columns = [getattr(AuditEntry, name) for name in ("id", "hash", *_HASHED_COLUMNS)]
    result = session.execute(select(*columns).order_by(AuditEntry.id).execution_options(yield_per=batch_size))
    try:
        for entry in result:
            checked += 1
            broken = _check_entry(entry, expected_prev)
            if broken is None and checked in marks:
                broken = _check_mark(entry, marks[checked])
            if broken is not None:
                return VerifyResult(checked, ChainBreak(entry.id, broken), expected_prev, head_id)
            expected_prev, head_id = entry.hash, entry.id
    finally:
        result.close()  # a server-side cursor on PostgreSQL: release it even when stopping early
    longer = [checkpoint for count, checkpoint in sorted(marks.items()) if count > checked]
    if longer:
        checkpoint = longer[0]
        reason = (
            f"the log ends after {checked} entries, but the checkpoint of {checkpoint.made_at:%Y-%m-%d %H:%M} "
            f"UTC counted {checkpoint.entry_count}: the newest entries were removed"
        )
        return VerifyResult(checked, ChainBreak(checkpoint.head_entry_id, reason), expected_prev, head_id)
    return VerifyResult(checked, None, expected_prev, head_id)


def _check_mark(entry: Row[Any], checkpoint: Checkpoint) -> str | None:
    if entry.id == checkpoint.head_entry_id and entry.hash == checkpoint.head_hash:
        return None
    return (
        f"it is not the entry #{checkpoint.head_entry_id} that the checkpoint of "
        f"{checkpoint.made_at:%Y-%m-%d %H:%M} UTC ended at: entries it counted were removed and others "
        "written in their place"
    )


def _check_entry(entry: Row[Any], expected_prev: str) -> str | None:
    if entry.prev_hash != expected_prev:
        return "its link to the previous entry is broken: an entry before it was removed"
    recomputed = entry_hash(**{name: getattr(entry, name) for name in _HASHED_COLUMNS})
    if recomputed != entry.hash:
        return "its content was changed after it was written"
    return None


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    entity_type: str = ""
    entity_id: str = ""
    since: date | None = None
    until: date | None = None
    zone: str | None = None  # the days of ``since``/``until`` on this clock (the instance's), not UTC's


def list_entries(
    session: Session, filters: AuditFilter, *, before_id: int | None = None, limit: int = 50
) -> Sequence[AuditEntry]:
    """Newest first, keyset-paginated on the id so deep pages stay fast on a long log."""
    return session.scalars(filtered(filters, before_id).limit(limit)).all()


def filtered(filters: AuditFilter, before_id: int | None = None) -> Select[tuple[AuditEntry]]:
    """The entries the filters select, older than ``before_id``, newest first."""
    query = select(AuditEntry)
    if filters.actor:
        query = query.where(func.lower(AuditEntry.actor_name) == filters.actor.strip().lower())
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.entity_type:
        query = query.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id:
        query = query.where(AuditEntry.entity_id == filters.entity_id.strip())
    if filters.since:
        start = local_to_utc(datetime.combine(filters.since, time.min), filters.zone or "UTC")
        query = query.where(AuditEntry.occurred_at >= start)
    if filters.until:
        query = query.where(AuditEntry.occurred_at <= end_of_local_day(filters.until, filters.zone or "UTC"))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return query.order_by(AuditEntry.id.desc())


def entity_types(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)))
