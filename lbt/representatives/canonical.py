"""The canonical document of a protocol: the same meeting record always gives the same bytes, so
its SHA-256 names exactly what a head of delegation approved."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import object_session

from lbt.representatives.models import Meeting, Protocol, ProtocolKind

# 3 names the records by the UUIDs both linked instances know (meeting, participants, items, actions,
# incidents, appointments) instead of one database's integer ids, and adds a partner's crossing point
FORMAT = "lbt-protocol/3"
FORMAT_2 = "lbt-protocol/2"  # 2 added each side's head of delegation as the register names them
FORMAT_1 = "lbt-protocol/1"
FORMATS = (FORMAT_1, FORMAT_2, FORMAT)


def _plain(value: Any) -> Any:
    """Only JSON types, strings in NFC (the same letters typed on two keyboards hash the same)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: one byte string per document."""
    return json.dumps(_plain(document), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _heads(meeting: Meeting) -> dict[str, Any]:
    from lbt.representatives.delegations import heads  # it reads the register, which reads the meeting

    session = object_session(meeting)
    assert session is not None
    return {
        head.state.code: {"name": head.full_name, "post": head.post.value if head.post else None}
        for head in heads(session, meeting).values()
        if head is not None
    }


def meeting_record(meeting: Meeting, document_format: str = FORMAT) -> dict[str, Any]:
    """Date, place, participants, agenda, discussion and decisions in every working language."""
    if document_format == FORMAT:
        return _shared_record(meeting)
    section = meeting.section
    participants = sorted(
        meeting.participants,
        key=lambda p: (p.state.code, not p.is_head, p.full_name, p.role),
    )
    record = {
        "section": section.code,
        "languages": sorted(section.working_languages),
        "meeting": meeting.id,
        "kind": meeting.kind.value,
        "starts_at": meeting.starts_at,
        "held_at": meeting.held_at,
        "host": meeting.host_state.code,
        "crossing_point": meeting.crossing_point.code if meeting.crossing_point else None,
        "venue": meeting.venue_name,
        "participants": [
            {"side": p.state.code, "name": p.full_name, "role": p.role, "head": p.is_head}
            for p in participants
        ],
        "agenda": [
            {
                "position": item.position,
                "kind": item.kind.value,
                "title": item.title,
                "incident": item.incident_id,
                "reviews_action": item.reviewed_action_id,
                "texts": {
                    text.language: {"summary": text.summary, "decision": text.decision} for text in item.texts
                },
                "actions": [
                    {
                        "id": action.id,
                        "responsible": action.responsible_state.code,
                        "due_on": action.due_on,
                        "description": action.description,
                    }
                    for action in item.actions
                ],
            }
            for item in sorted(meeting.agenda, key=lambda item: item.position)
        ],
    }
    if document_format != FORMAT_1:
        record["heads"] = _heads(meeting)
        for entry, person in zip(record["participants"], participants, strict=True):
            entry["register"] = person.representative_id
    return record


def _shared_record(meeting: Meeting) -> dict[str, Any]:
    """Format 3: every record named by its UUID, listed in an order both instances compute alike (never
    by one database's ids), so the two instances of a linked pair make the same bytes."""
    section = meeting.section
    participants = sorted(
        meeting.participants, key=lambda p: (p.state.code, not p.is_head, p.full_name, p.role, p.uuid)
    )
    return {
        "section": section.code,
        "languages": sorted(section.working_languages),
        "meeting": meeting.uuid,
        "kind": meeting.kind.value,
        "starts_at": meeting.starts_at,
        "held_at": meeting.held_at,
        "host": meeting.host_state.code,
        "crossing_point": meeting.crossing_point.code
        if meeting.crossing_point
        else meeting.crossing_point_code or None,
        "venue": meeting.venue_name,
        "participants": [
            {
                "id": p.uuid,
                "side": p.state.code,
                "name": p.full_name,
                "role": p.role,
                "head": p.is_head,
                "register": p.representative.uuid if p.representative is not None else None,
            }
            for p in participants
        ],
        "agenda": [
            {
                "id": item.uuid,
                "position": item.position,
                "kind": item.kind.value,
                "title": item.title,
                "incident": item.incident.uuid if item.incident is not None else None,
                "reviews_action": item.reviewed_action.uuid if item.reviewed_action is not None else None,
                "texts": {
                    text.language: {"summary": text.summary, "decision": text.decision} for text in item.texts
                },
                "actions": [
                    {
                        "id": action.uuid,
                        "responsible": action.responsible_state.code,
                        "due_on": action.due_on,
                        "description": action.description,
                    }
                    for action in sorted(item.actions, key=lambda a: (a.due_on, a.description, a.uuid))
                ],
            }
            for item in sorted(meeting.agenda, key=lambda item: item.position)
        ],
        "heads": _heads(meeting),
    }


def protocol_document(protocol: Protocol) -> dict[str, Any]:
    """The protocol is the meeting record; an addendum is its text bound to the signed protocol."""
    meeting = protocol.meeting
    # a version frozen in an earlier format is checked in that format, so its approvals still hold
    stored = json.loads(protocol.content).get("format", FORMAT) if protocol.content else FORMAT
    document_format = stored if stored in FORMATS else FORMAT
    if protocol.kind is ProtocolKind.PROTOCOL:
        return {
            "format": document_format,
            "kind": "protocol",
            "record": meeting_record(meeting, document_format),
        }
    signed = next(p for p in meeting.protocols if p.kind is ProtocolKind.PROTOCOL)
    return {
        "format": document_format,
        "kind": "addendum",
        "meeting": meeting.uuid if document_format == FORMAT else meeting.id,
        "number": protocol.number,
        "amends_sha256": signed.content_sha256,
        "texts": dict(protocol.addendum_texts),
    }


def content_of(protocol: Protocol) -> tuple[str, str]:
    """The canonical JSON of the protocol's current content and its SHA-256."""
    content = canonical_bytes(protocol_document(protocol))
    return content.decode(), sha256_hex(content)
