"""Freeze rounds: how two instances editing one draft at once end with the same record.

A protocol (or addendum) counts its freezes: round n is the n-th freeze, named by the SHA-256 it froze.
The *base* of a record is (rounds so far, the last round's SHA-256), (0, "") before the first freeze.
Every change to a draft carries the base it was made on; the receiver takes it only while its own
record is a draft on the same base. A freeze carries the base it was made on and its new round; two
freezes of the same round with different content are resolved for the meeting's host (the host
chairs). docs/exchange.md, "Concurrent edits", says it for people."""

from __future__ import annotations

from typing import Any

from lbt.representatives.models import Meeting, Protocol, ProtocolStatus
from lbt.representatives.sharing.wire import Reader

Base = tuple[int, str]
NO_BASE: Base = (0, "")


def protocol_of(meeting: Meeting, number: int = 0) -> Protocol | None:
    return next((p for p in meeting.protocols if p.number == number), None)


def hashes_of(protocol: Protocol | None) -> list[str]:
    return list(protocol.freeze_hashes or []) if protocol is not None else []


def base_of(protocol: Protocol | None) -> Base:
    hashes = hashes_of(protocol)
    return (len(hashes), hashes[-1]) if hashes else NO_BASE


def base_body(base: Base) -> dict[str, Any]:
    return {"round": base[0], "sha256": base[1]}


def read_base(reader: Reader, key: str = "base") -> Base:
    value = reader.object(key)
    base = (value.integer("round"), value.sha256("sha256", empty=True))
    if (base[0] == 0) != (base[1] == ""):
        raise value._bad("sha256")
    return base


def is_frozen(protocol: Protocol | None) -> bool:
    return protocol is not None and (
        protocol.status is ProtocolStatus.SIGNED or protocol.frozen_at is not None
    )


def takes_draft_change(meeting: Meeting, base: Base) -> bool:
    """A change to the record is taken only on a draft of the base it was made on."""
    protocol = protocol_of(meeting)
    return not is_frozen(protocol) and base_of(protocol) == base


def base_at(protocol: Protocol | None, round_number: int) -> Base:
    """The base as it stood after ``round_number`` rounds (NO_BASE for 0)."""
    hashes = hashes_of(protocol)
    if round_number == 0:
        return NO_BASE
    return (round_number, hashes[round_number - 1]) if round_number <= len(hashes) else (-1, "")
