"""Border representatives: the register, meetings, protocols, decisions, actions, incidents.

A "side" is always one of the two states of a border section (``state_id``). Everything here is shared
by both sides of the section except internal notes (``internal_notes``) and incidents not yet shared.

The models live in one module per subject; this package re-exports them, and the enums, so that
``from lbt.representatives.models import X`` names everything, and importing the package registers
every table with ``Base.metadata``.
"""

from __future__ import annotations

from lbt.representatives.enums import (
    RANKS,
    STAFF,
    UNFINISHED_ACTION_STATUSES,
    ActionStatus,
    AgendaKind,
    ExchangeKind,
    HandOverKind,
    IncidentStatus,
    IncidentType,
    MeetingKind,
    MeetingStatus,
    Post,
    ProtocolKind,
    ProtocolStatus,
)
from lbt.representatives.models.actions import Action, ActionNote
from lbt.representatives.models.incidents import HandOverAct, Incident
from lbt.representatives.models.internal_notes import InternalNote
from lbt.representatives.models.meetings import (
    DEFAULT_MIN_NOTICE_DAYS,
    DEFAULT_REPLY_HOURS,
    AgendaItem,
    AgendaItemText,
    Meeting,
    MeetingExchange,
    MeetingParticipant,
    MeetingRules,
)
from lbt.representatives.models.protocols import Protocol, ProtocolApproval
from lbt.representatives.models.refused import RefusalReason, RefusedChange
from lbt.representatives.models.register import Representative

__all__ = [
    "DEFAULT_MIN_NOTICE_DAYS",
    "DEFAULT_REPLY_HOURS",
    "RANKS",
    "STAFF",
    "UNFINISHED_ACTION_STATUSES",
    "Action",
    "ActionNote",
    "ActionStatus",
    "AgendaItem",
    "AgendaItemText",
    "AgendaKind",
    "ExchangeKind",
    "HandOverAct",
    "HandOverKind",
    "Incident",
    "IncidentStatus",
    "IncidentType",
    "InternalNote",
    "Meeting",
    "MeetingExchange",
    "MeetingKind",
    "MeetingParticipant",
    "MeetingRules",
    "MeetingStatus",
    "Post",
    "Protocol",
    "ProtocolApproval",
    "ProtocolKind",
    "ProtocolStatus",
    "RefusalReason",
    "RefusedChange",
    "Representative",
]
