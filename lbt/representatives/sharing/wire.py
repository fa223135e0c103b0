"""The bodies of the representatives' messages: written from the records (every record named by its
UUID, every state by its ISO code, every section and crossing point by its code, times in UTC ISO 8601),
and read back with a readable refusal for anything missing or malformed."""

from __future__ import annotations

import enum
import hashlib
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from lbt.core.errors import N_
from lbt.exchange.kinds import BodyRefused
from lbt.permits.signing import canonical_json
from lbt.reference.models import BorderSection
from lbt.representatives.models import (
    Action,
    ActionNote,
    AgendaItem,
    AgendaItemText,
    HandOverAct,
    Incident,
    Meeting,
    MeetingParticipant,
    Representative,
)

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CODE_RE = re.compile(r"[A-Za-z0-9._-]{1,20}")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
E = TypeVar("E", bound=enum.Enum)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def digest(body: dict[str, Any]) -> str:
    """SHA-256 of a body's canonical JSON (what was last sent of a record)."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


class Reader:
    """One JSON object of a body, read field by field; anything missing or malformed refuses the message."""

    def __init__(self, value: object, what: str) -> None:
        if not isinstance(value, dict):
            raise BodyRefused(N_("The message's %(field)s is not a JSON object."), field=what)
        self.value = value
        self.what = what

    def _bad(self, key: str) -> BodyRefused:
        return BodyRefused(N_("The message's %(field)s is missing or not valid."), field=f"{self.what}.{key}")

    def text(self, key: str, *, max_length: int, required: bool = True) -> str:
        value = self.value.get(key, None if required else "")
        if not isinstance(value, str) or len(value) > max_length or (required and not value.strip()):
            raise self._bad(key)
        return value

    def _matching(self, key: str, pattern: re.Pattern[str], *, empty: bool = False) -> str:
        value = self.value.get(key)
        if not isinstance(value, str) or not (pattern.fullmatch(value) or (empty and value == "")):
            raise self._bad(key)
        return value

    def code(self, key: str) -> str:
        return self._matching(key, CODE_RE)

    def optional_code(self, key: str) -> str | None:
        return None if self.value.get(key) is None else self.code(key)

    def uuid(self, key: str) -> str:
        return self._matching(key, UUID_RE)

    def optional_uuid(self, key: str) -> str | None:
        return None if self.value.get(key) is None else self.uuid(key)

    def sha256(self, key: str, *, empty: bool = False) -> str:
        return self._matching(key, SHA256_RE, empty=empty)

    def moment(self, key: str) -> datetime:
        value = self.value.get(key)
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise self._bad(key)
        return parsed.astimezone(UTC)

    def optional_moment(self, key: str) -> datetime | None:
        return None if self.value.get(key) is None else self.moment(key)

    def day(self, key: str) -> date:
        value = self.value.get(key)
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self._bad(key)

    def optional_day(self, key: str) -> date | None:
        return None if self.value.get(key) is None else self.day(key)

    def integer(self, key: str, *, minimum: int = 0, maximum: int = 2**31 - 1) -> int:
        value = self.value.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
            raise self._bad(key)
        return value

    def flag(self, key: str) -> bool:
        value = self.value.get(key)
        if not isinstance(value, bool):
            raise self._bad(key)
        return value

    def decimal(self, key: str) -> Decimal | None:
        value = self.value.get(key)
        if value is None:
            return None
        if isinstance(value, str) and len(value) <= 20:
            try:
                number = Decimal(value)
            except InvalidOperation:
                number = None
            if number is not None and number.is_finite():
                return number
        raise self._bad(key)

    def choice(self, key: str, vocabulary: type[E]) -> E:
        value = self.value.get(key)
        for member in vocabulary:
            if member.value == value:
                return member
        raise self._bad(key)

    def optional_choice(self, key: str, vocabulary: type[E]) -> E | None:
        return None if self.value.get(key) is None else self.choice(key, vocabulary)

    def object(self, key: str) -> Reader:
        return Reader(self.value.get(key), f"{self.what}.{key}")

    def items(self, key: str, *, most: int = 500) -> list[Reader]:
        value = self.value.get(key)
        if not isinstance(value, list) or len(value) > most:
            raise self._bad(key)
        return [Reader(item, f"{self.what}.{key}[{index}]") for index, item in enumerate(value)]


def unknown(record: str) -> BodyRefused:
    return BodyRefused(N_("The message names a %(record)s this instance does not know."), record=record)


# --- writing ---------------------------------------------------------------------------------------


def appointment_body(entry: Representative) -> dict[str, Any]:
    return {
        "id": entry.uuid,
        "section": entry.section.code,
        "state": entry.state.code,
        "post": entry.post.value,
        "full_name": entry.full_name,
        "credentials_number": entry.credentials_number,
        "contact": entry.contact,
        "appointed_from": entry.appointed_from.isoformat(),
        "appointed_until": entry.appointed_until.isoformat() if entry.appointed_until else None,
        "replaces": entry.replaces.uuid if entry.replaces is not None else None,
    }


def participant_body(participant: MeetingParticipant) -> dict[str, Any]:
    return {
        "id": participant.uuid,
        "side": participant.state.code,
        "name": participant.full_name,
        "role": participant.role,
        "head": participant.is_head,
        "register": participant.representative.uuid if participant.representative is not None else None,
    }


def item_body(item: AgendaItem) -> dict[str, Any]:
    return {
        "id": item.uuid,
        "position": item.position,
        "kind": item.kind.value,
        "title": item.title,
        "incident": item.incident.uuid if item.incident is not None else None,
        "reviews_action": item.reviewed_action.uuid if item.reviewed_action is not None else None,
    }


def text_digest(text: AgendaItemText | None) -> str:
    """What a text was before a change (empty: there was none), so a concurrent change is seen."""
    if text is None:
        return ""
    return hashlib.sha256(canonical_json({"summary": text.summary, "decision": text.decision})).hexdigest()


def action_body(action: Action) -> dict[str, Any]:
    return {
        "id": action.uuid,
        "responsible": action.responsible_state.code,
        "description": action.description,
        "due_on": action.due_on.isoformat(),
    }


def venue_body(meeting: Meeting) -> dict[str, Any]:
    """Time and place as the meeting holds them now (a crossing point by its code)."""
    return {
        "starts_at": iso(meeting.starts_at),
        "host": meeting.host_state.code,
        "crossing_point": meeting.crossing_point.code
        if meeting.crossing_point
        else meeting.crossing_point_code or None,
        "venue": meeting.venue_name,
        "reply_due_at": iso(meeting.reply_due_at),
    }


def request_body(meeting: Meeting) -> dict[str, Any]:
    exchange = meeting.exchanges[-1]
    return {
        "meeting": meeting.uuid,
        "section": meeting.section.code,
        "kind": meeting.kind.value,
        "at": iso(exchange.at),
        **venue_body(meeting),
        "participants": [participant_body(p) for p in meeting.participants],
        "agenda": [item_body(item) for item in sorted(meeting.agenda, key=lambda item: item.position)],
    }


def note_body(note: ActionNote) -> dict[str, Any]:
    return {
        "action": note.action.uuid,
        "at": iso(note.at),
        "text": note.text,
        "status": note.status.value if note.status is not None else None,
    }


def incident_body(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.uuid,
        "section": incident.section.code,
        "reported_by": incident.reported_by_state.code,
        "type": incident.type.value,
        "occurred_at": iso(incident.occurred_at),
        "landmark": incident.landmark,
        "border_sign": incident.border_sign,
        "latitude": str(incident.latitude) if incident.latitude is not None else None,
        "longitude": str(incident.longitude) if incident.longitude is not None else None,
        "description": incident.description,
        "persons_involved": incident.persons_involved,
        "animals_involved": incident.animals_involved,
        "property_involved": incident.property_involved,
        "status": incident.status.value,
    }


def hand_over_body(act: HandOverAct, section: BorderSection) -> dict[str, Any]:
    codes = {section.state_a_id: section.state_a.code, section.state_b_id: section.state_b.code}
    return {
        "id": act.uuid,
        "section": section.code,
        "incident": act.incident.uuid if act.incident is not None and act.incident.is_shared else None,
        "kind": act.kind.value,
        "count": act.count,
        "description": act.description,
        "handing": codes[act.handing_state_id],
        "receiving": codes[act.receiving_state_id],
        "handed_over_at": iso(act.handed_over_at),
        "handing_confirmed_at": iso(act.handing_confirmed_at),
        "receiving_confirmed_at": iso(act.receiving_confirmed_at),
    }
