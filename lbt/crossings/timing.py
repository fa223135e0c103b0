"""When a crossing may have happened. A crossing's time comes from the device that recorded it, so it is
checked against what the server knows: not before the permit's date of issue, not after the server's
clock (each less or plus the devices' clock skew), and, for a crossing sent as it happens, close to now. An
offline record older than the configured age is kept but held for an officer's review, outside the
stay count, because a late batch can no longer be checked against what happened since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from lbt.core.errors import N_
from lbt.core.settings import Settings
from lbt.crossings.errors import CrossingInvalid
from lbt.permits.models import Permit


@dataclass(frozen=True)
class CrossingLimits:
    """``LBT_CROSSING_CLOCK_SKEW_MINUTES`` and ``LBT_OFFLINE_MAX_AGE_HOURS`` (docs/operations.md)."""

    clock_skew: timedelta = timedelta(minutes=10)
    offline_max_age: timedelta = timedelta(hours=72)

    @classmethod
    def of(cls, settings: Settings) -> CrossingLimits:
        return cls(
            clock_skew=timedelta(minutes=settings.crossing_clock_skew_minutes),
            offline_max_age=timedelta(hours=settings.offline_max_age_hours),
        )


DEFAULT_LIMITS = CrossingLimits()


def shown(moment: datetime) -> datetime:
    """A time as a message carries it: the moment itself, shown in the reader's form with its zone
    named where the message is translated (``lbt.web.dates.localized_params``)."""
    return moment.astimezone(UTC)


def issue_day_start(permit: Permit) -> datetime:
    """The earliest a crossing on this permit can be: the start of its date of issue (UTC), the date
    the card shows. Stays count calendar days, so the hours before the issue that day change nothing."""
    return datetime.combine(permit.issued_at.astimezone(UTC).date(), time.min, tzinfo=UTC)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def must_be_held(
    permit: Permit, at: datetime, *, offline: bool, now: datetime, limits: CrossingLimits
) -> bool:
    """Refuse a time that cannot be true; say whether an offline record is too old to count unseen."""
    skew = limits.clock_skew
    if at > now + skew:
        raise CrossingInvalid(
            "time_in_future",
            N_(
                "The crossing's time (%(at)s) is more than %(minutes)s minutes ahead of the "
                "server's clock: check the device's clock."
            ),
            "at",
            at=shown(at),
            minutes=_minutes(skew),
        )
    if at < issue_day_start(permit) - skew:
        raise CrossingInvalid(
            "time_before_issue",
            N_("The crossing's time (%(at)s) is before the permit was issued (%(issued)s)."),
            "at",
            at=shown(at),
            issued=permit.issued_at.astimezone(UTC).date(),
        )
    if not offline and at < now - skew:
        # a crossing sent as it happens cannot be old: a back-dated exit would hide an overstay
        raise CrossingInvalid(
            "time_not_now",
            N_(
                "A crossing sent online happens now, but its time (%(at)s) is more than "
                "%(minutes)s minutes behind the server's clock: check the device's clock."
            ),
            "at",
            at=shown(at),
            minutes=_minutes(skew),
        )
    return offline and at < now - limits.offline_max_age
