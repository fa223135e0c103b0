"""The vocabularies of the border representatives' work: posts, meeting, protocol, action and incident states."""

from __future__ import annotations

import enum


class Post(enum.StrEnum):
    """Ranks of representatives, then the staff who accompany them (DOMAIN.md §2)."""

    BORDER_REPRESENTATIVE = "border_representative"
    DEPUTY = "deputy"
    ASSISTANT = "assistant"
    SECRETARY = "secretary"
    INTERPRETER = "interpreter"
    EXPERT = "expert"


RANKS = (Post.BORDER_REPRESENTATIVE, Post.DEPUTY, Post.ASSISTANT)
STAFF = (Post.SECRETARY, Post.INTERPRETER, Post.EXPERT)


class MeetingKind(enum.StrEnum):
    REGULAR = "regular"
    URGENT = "urgent"


class MeetingStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting for the side in ``awaiting_state_id``
    SCHEDULED = "scheduled"  # accepted by both sides
    DECLINED = "declined"
    HELD = "held"  # took place; its record and protocol are being written
    CANCELLED = "cancelled"


class ExchangeKind(enum.StrEnum):
    PROPOSED = "proposed"
    COUNTER_PROPOSED = "counter_proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class AgendaKind(enum.StrEnum):
    ITEM = "item"
    EARLIER_DECISION = "earlier_decision"  # "implementation of earlier decisions": reviews one action
    INCIDENT = "incident"


class ProtocolKind(enum.StrEnum):
    PROTOCOL = "protocol"
    ADDENDUM = "addendum"  # a correction after signature, approved the same way


class ProtocolStatus(enum.StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"  # approved by both heads of delegation over the same content: read-only


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DISPUTED = "disputed"
    ESCALATED = "escalated"  # handed to higher authorities or diplomatic channels


UNFINISHED_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DISPUTED)


class IncidentType(enum.StrEnum):
    ILLEGAL_CROSSING = "illegal_crossing"
    ACCIDENTAL_CROSSING = "accidental_crossing"
    STRAY_LIVESTOCK = "stray_livestock"
    PROPERTY = "property"
    BORDER_SIGN = "border_sign"
    SHOOTING_OR_INJURY = "shooting_or_injury"
    FIRE_OR_FLOOD = "fire_or_flood"
    SMUGGLING = "smuggling"
    LBT_MISUSE = "lbt_misuse"
    OTHER = "other"


class IncidentStatus(enum.StrEnum):
    REPORTED = "reported"
    JOINT_INVESTIGATION = "joint_investigation"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


class HandOverKind(enum.StrEnum):
    PERSONS = "persons"
    LIVESTOCK = "livestock"
    PROPERTY = "property"
