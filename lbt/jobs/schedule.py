"""The worker's regular jobs: a small registry of what runs when. ``default_schedule`` lists them; a
package that brings a regular job of its own (the partner exchange's ``sync_all``) is added here, in
one place, so ``docs/operations.md``'s table and the worker cannot disagree.

Times of day are on the instance's clock (``LBT_TIME_ZONE``, else the home state's zone); the queue
checks the schedule once a minute (Huey's periodic tasks), in one worker: run further workers with
``lbt worker --no-periodic``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from lbt.core.errors import Message
from lbt.core.settings import Settings

if TYPE_CHECKING:
    from lbt.jobs.runtime import Runtime


@dataclass(frozen=True)
class Summary:
    """What a run did, for its job record and the log (a msgid or plural pair and its values)."""

    message: Message
    params: Mapping[str, Any] = field(default_factory=dict)


When = Callable[[datetime], bool]  # given the minute (UTC, naive as Huey passes it): run now?
Work = Callable[["Runtime", datetime], Summary | None]  # None: nothing to do, nothing recorded


@dataclass(frozen=True)
class Periodic:
    name: str  # the job kind of its records, e.g. "mail"
    when: When
    run: Work
    retries: int = 0  # a regular job that runs every few minutes simply runs again
    description: str = ""


def every_minutes(minutes: int) -> When:
    return lambda timestamp: timestamp.minute % minutes == 0


def daily_at(hour: int, minute: int, zone: str) -> When:
    local = ZoneInfo(zone)

    def due(timestamp: datetime) -> bool:
        at = timestamp.replace(tzinfo=UTC).astimezone(local)
        return (at.hour, at.minute) == (hour, minute)

    return due


def default_schedule(settings: Settings) -> tuple[Periodic, ...]:
    from lbt.jobs import periodic

    zone = settings.instance_zone
    entries = [
        Periodic("mail", every_minutes(1), periodic.send_mail, description="send the mail outbox"),
        Periodic(
            "exchange_sync",
            every_minutes(1),
            periodic.sync_partner_exchange,
            description="push and fetch the signed messages of each partner link (lbt/exchange)",
        ),
        Periodic(
            "representatives_remind",
            every_minutes(15),
            periodic.remind_representatives,
            description="queue meeting invitations and day-before reminders",
        ),
        Periodic(
            "overstays",
            daily_at(0, 20, zone),
            periodic.detect_overstays,
            retries=2,
            description="open a misuse case for each holder inside beyond the stay limit",
        ),
        Periodic(
            "files_prune",
            daily_at(1, 0, zone),
            periodic.prune_files,
            retries=2,
            description="delete unused uploads and old job results",
        ),
        Periodic(
            "exchange_prune",
            daily_at(1, 10, zone),
            periodic.prune_exchange,
            retries=2,
            description="delete confirmed exchange messages and refusals older than LBT_EXCHANGE_KEEP_DAYS",
        ),
        Periodic(
            "audit_checkpoint",
            daily_at(2, 30, zone),
            periodic.audit_checkpoint,
            retries=2,
            description="verify the audit log and sign a checkpoint",
        ),
    ]
    return tuple(entries)
