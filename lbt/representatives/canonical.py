"""The canonical document of a protocol: the same meeting record always gives the same bytes, so
its SHA-256 names exactly what a head of delegation approved."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from lbt.representatives.models import Meeting, Protocol, ProtocolKind

FORMAT = "lbt-protocol/1"


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


def meeting_record(meeting: Meeting) -> dict[str, Any]:
    """Date, place, participants, agenda, discussion and decisions in every working language."""
    section = meeting.section
    participants = sorted(
        meeting.participants,
        key=lambda p: (p.state.code, not p.is_head, p.full_name, p.role),
    )
    return {
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


def protocol_document(protocol: Protocol) -> dict[str, Any]:
    """The protocol is the meeting record; an addendum is its text bound to the signed protocol."""
    meeting = protocol.meeting
    if protocol.kind is ProtocolKind.PROTOCOL:
        return {"format": FORMAT, "kind": "protocol", "record": meeting_record(meeting)}
    signed = next(p for p in meeting.protocols if p.kind is ProtocolKind.PROTOCOL)
    return {
        "format": FORMAT,
        "kind": "addendum",
        "meeting": meeting.id,
        "number": protocol.number,
        "amends_sha256": signed.content_sha256,
        "texts": dict(protocol.addendum_texts),
    }


def content_of(protocol: Protocol) -> tuple[str, str]:
    """The canonical JSON of the protocol's current content and its SHA-256."""
    content = canonical_bytes(protocol_document(protocol))
    return content.decode(), sha256_hex(content)
