"""Stay rules at their edges, with a set clock: 90 days per stay, 90 days in any 180."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.applications.models import FeeStatus
from lbt.applications.services import approve
from lbt.core.errors import AccessDenied, ValidationFailed
from lbt.crossings import services
from lbt.crossings.models import Direction, MisuseCase, Verdict
from lbt.crossings.stays import Stay, StayPosition, days_present, entry_allowed_days, position, stays_from

START = date(2026, 12, 1)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def permit(db, make_application, users, clock, issuer):  # type: ignore[no-untyped-def]
    application = make_application().application
    return approve(
        db,
        application,
        officer=users[Role.OFFICER],
        valid_from=START,
        valid_until=date(2028, 11, 30),
        fee_status=FeeStatus.PAID,
        issue=issuer,
        now=clock(),
    )


@pytest.fixture
def cross(db, permit, ref, users):  # type: ignore[no-untyped-def]
    def cross(direction: Direction, day: date, reason: str = "", offline: bool = False):  # type: ignore[no-untyped-def]
        return services.record(
            db,
            client_id=str(uuid.uuid4()),
            permit=permit,
            crossing_point=ref.crossing_point,
            direction=direction,
            at=at(day),
            officer=users[Role.BORDER_GUARD],
            reason=reason,
            offline=offline,
            now=at(day),  # online crossings are sent as they happen
        )

    return cross


def test_days_count_both_the_entry_and_the_exit_day():
    assert Stay(date(2026, 1, 1), date(2026, 1, 1)).days(date(2026, 1, 5)) == 1
    assert Stay(date(2026, 1, 1), None).days(date(2026, 3, 31)) == 90
    assert (
        days_present(
            stays_from(
                [
                    (Direction.ENTRY, date(2026, 1, 1)),
                    (Direction.EXIT, date(2026, 1, 3)),
                    (Direction.ENTRY, date(2026, 1, 3)),
                ]
            ),
            date(2026, 1, 1),
            date(2026, 1, 4),
        )
        == 4
    )


def test_exit_on_day_90_of_a_stay_is_lawful_and_day_91_is_an_overstay(db, cross, permit):
    cross(Direction.ENTRY, START)
    recorded = cross(Direction.EXIT, START + timedelta(days=89))
    assert recorded.crossing.verdict is Verdict.PASS and recorded.misuse is None


def test_exit_on_day_91_records_a_misuse_case(db, cross):
    cross(Direction.ENTRY, START)
    recorded = cross(Direction.EXIT, START + timedelta(days=90), reason="Overstay noted; holder informed.")
    assert recorded.crossing.verdict is Verdict.CHECK
    assert recorded.misuse is not None and recorded.misuse.days_over == 1
    assert db.scalar(select(MisuseCase.days_over)) == 1


def test_an_amber_case_needs_a_written_reason(cross):
    cross(Direction.ENTRY, START)
    with pytest.raises(ValidationFailed, match="Say why"):
        cross(Direction.EXIT, START + timedelta(days=95))


def test_each_exit_restarts_the_stay_count(db, cross, permit, ref):
    ref.agreement.rolling_window_days = ref.agreement.rolling_limit_days = None  # only the per-stay rule
    cross(Direction.ENTRY, START)
    cross(Direction.EXIT, START + timedelta(days=29))  # 30 days
    back = START + timedelta(days=100)
    cross(Direction.ENTRY, back)
    assessment = services.assess(
        db, permit, ref.crossing_point, Direction.EXIT, at(back + timedelta(days=59))
    )
    assert assessment.position.current_stay_days == 60
    assert assessment.verdict is Verdict.PASS


def test_the_rolling_window_refuses_entry_when_90_of_180_days_are_used(db, cross, permit, ref):
    cross(Direction.ENTRY, START)
    cross(Direction.EXIT, START + timedelta(days=59))  # 60 days
    cross(Direction.ENTRY, START + timedelta(days=70), reason="Told: at most 30 days this time.")
    cross(Direction.EXIT, START + timedelta(days=99))  # 30 more: 90 used
    day = START + timedelta(days=110)
    assessment = services.assess(db, permit, ref.crossing_point, Direction.ENTRY, at(day))
    assert assessment.position.window_used == 90
    assert assessment.verdict is Verdict.REFUSE
    assert assessment.reasons[0].code == "stay_limit"
    with pytest.raises(services.EntryRefused):
        cross(Direction.ENTRY, day)
    # 180 days after the first entry the first days fall out of the window: entry allowed again
    later = START + timedelta(days=180)
    assert (
        services.assess(db, permit, ref.crossing_point, Direction.ENTRY, at(later)).verdict
        is not Verdict.REFUSE
    )


def test_a_short_remaining_window_gives_amber_with_the_days_left(db, cross, permit, ref):
    cross(Direction.ENTRY, START)
    cross(Direction.EXIT, START + timedelta(days=79))  # 80 days used
    assessment = services.assess(
        db, permit, ref.crossing_point, Direction.ENTRY, at(START + timedelta(days=85))
    )
    assert assessment.verdict is Verdict.CHECK
    assert assessment.days_allowed == 10


def test_an_entry_without_an_exit_is_flagged_already_inside(db, cross, permit, ref):
    cross(Direction.ENTRY, START)
    assessment = services.assess(
        db, permit, ref.crossing_point, Direction.ENTRY, at(START + timedelta(days=2))
    )
    assert "already_inside" in {reason.code for reason in assessment.reasons}


def test_the_same_crossing_sent_twice_is_stored_once(db, permit, ref, users):
    client_id = str(uuid.uuid4())
    kwargs = dict(
        client_id=client_id,
        permit=permit,
        crossing_point=ref.crossing_point,
        direction=Direction.ENTRY,
        at=at(START),
        officer=users[Role.BORDER_GUARD],
        now=at(START),
    )
    first = services.record(db, **kwargs)
    second = services.record(db, **kwargs)
    assert second.duplicate and second.crossing.id == first.crossing.id
    with pytest.raises(services.CrossingConflict):
        services.record(db, **{**kwargs, "direction": Direction.EXIT})


def test_offline_records_are_kept_even_when_the_server_would_refuse(db, cross, permit, users, clock):
    from lbt.permits import services as permits

    permits.revoke(db, permit, officer=users[Role.OFFICER], reason="Fraud.", now=clock())
    recorded = cross(Direction.ENTRY, START, offline=True)
    assert recorded.conflict and recorded.crossing.verdict is Verdict.REFUSE
    with pytest.raises(services.EntryRefused, match="revoked"):
        cross(Direction.EXIT, START + timedelta(days=1))


def test_not_yet_valid_and_other_crossing_points_are_refused(db, permit, ref, users):
    early = services.assess(db, permit, ref.crossing_point, Direction.ENTRY, at(START - timedelta(days=1)))
    assert early.verdict is Verdict.REFUSE and early.reasons[0].code == "not_yet_valid"
    elsewhere = services.assess(db, permit, ref.other_crossing_point, Direction.ENTRY, at(START))
    assert elsewhere.verdict is Verdict.REFUSE and elsewhere.reasons[0].code == "outside_area"


def test_only_guards_posted_at_the_point_record(db, permit, ref, users):
    with pytest.raises(AccessDenied):
        services.record(
            db,
            client_id=str(uuid.uuid4()),
            permit=permit,
            crossing_point=ref.other_crossing_point,
            direction=Direction.ENTRY,
            at=at(START),
            officer=users[Role.BORDER_GUARD],
            now=at(START),
        )


def test_days_are_counted_on_the_crossing_points_clock_not_in_utc(db, permit, ref, users):
    """Asia/Dushanbe is UTC+5: an entry at 00:30 local is on the permit's first day (UTC: 19:30 the day
    before, before it was valid), and an exit at 23:30 local on day 90 is on day 90, no overstay."""
    from zoneinfo import ZoneInfo

    ref.crossing_point.time_zone = "Asia/Dushanbe"
    dushanbe = ZoneInfo("Asia/Dushanbe")

    def cross(direction: Direction, moment: datetime):  # type: ignore[no-untyped-def]
        return services.record(
            db,
            client_id=str(uuid.uuid4()),
            permit=permit,
            crossing_point=ref.crossing_point,
            direction=direction,
            at=moment.astimezone(UTC),
            officer=users[Role.BORDER_GUARD],
            reason="",
            offline=False,
            now=moment.astimezone(UTC),
        )

    entry = datetime(START.year, START.month, START.day, 0, 30, tzinfo=dushanbe)
    assert entry.astimezone(UTC).date() == START - timedelta(days=1)
    assert cross(Direction.ENTRY, entry).crossing.verdict is Verdict.PASS
    last_day = START + timedelta(days=89)
    leaving = datetime(last_day.year, last_day.month, last_day.day, 23, 30, tzinfo=dushanbe)
    recorded = cross(Direction.EXIT, leaving)
    assert recorded.crossing.verdict is Verdict.PASS and recorded.misuse is None


def test_a_crossing_after_local_midnight_is_on_the_next_local_day(db, permit, ref, users):
    """00:30 in Bishkek (UTC+6) on day 91 is 18:30 UTC on day 90: locally the stay has overrun."""
    from zoneinfo import ZoneInfo

    ref.crossing_point.time_zone = "Asia/Bishkek"
    bishkek = ZoneInfo("Asia/Bishkek")
    moments = [
        datetime(START.year, START.month, START.day, 12, 0, tzinfo=bishkek),
        datetime.combine(START + timedelta(days=90), datetime.min.time(), tzinfo=bishkek)
        + timedelta(minutes=30),
    ]
    results = [
        services.record(
            db,
            client_id=str(uuid.uuid4()),
            permit=permit,
            crossing_point=ref.crossing_point,
            direction=direction,
            at=moment.astimezone(UTC),
            officer=users[Role.BORDER_GUARD],
            reason="Overstay noted; holder informed.",
            offline=False,
            now=moment.astimezone(UTC),
        )
        for direction, moment in zip((Direction.ENTRY, Direction.EXIT), moments, strict=True)
    ]
    assert results[1].misuse is not None and results[1].misuse.days_over == 1


def _days_present_by_listing(stays: list[Stay], first: date, last: date) -> int:
    """The rule as written: the set of days inside, each listed."""
    present: set[date] = set()
    for stay in stays:
        start = max(stay.entered, first)
        end = min(stay.left if stay.left is not None else last, last)
        present.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return len(present)


def _random_stays(chooser: random.Random) -> list[Stay]:
    """Up to 12 crossings from START on: same-day exits and entries, gaps of days to months, an
    entry or an exit repeated, the last stay perhaps open."""
    day, events = START, []
    for _event in range(chooser.randint(0, 12)):
        day += timedelta(days=chooser.choice([0, 0, 1, 3, 20, 90]))
        events.append((chooser.choice([Direction.ENTRY, Direction.EXIT]), day))
    return stays_from(events)


def test_days_present_counts_the_days_of_the_listed_set():
    """The merged ranges count what listing every day counts, over random histories (same-day exits
    and entries, stays before, across and after the window, an open stay, entries repeated)."""
    chooser = random.Random(11)
    for _ in range(3000):
        stays = _random_stays(chooser)
        first = START + timedelta(days=chooser.randint(-10, 200))
        last = first + timedelta(days=chooser.randint(0, 200))
        assert days_present(stays, first, last) == _days_present_by_listing(stays, first, last)


def _entry_allowed_by_trial(pos: StayPosition, day: date, stays: list[Stay]) -> int:
    """The rule as written: try each length of stay, counting the listed days of its last window."""
    if not pos.window_days or pos.window_limit is None:
        return pos.max_stay_days
    for length in range(1, pos.max_stay_days + 1):
        end = day + timedelta(days=length - 1)
        trial = [*stays, Stay(day, end)]
        if _days_present_by_listing(trial, end - timedelta(days=pos.window_days - 1), end) > pos.window_limit:
            return length - 1
    return pos.max_stay_days


def test_entry_allowed_days_is_the_longest_trial_stay_the_window_admits():
    """Counted once with suffix sums, it gives what trying each length gives, over random histories
    (stays before and across the window, an open stay, the day itself inside a stay) and rules."""
    chooser = random.Random(29)
    for _ in range(3000):
        stays = _random_stays(chooser)
        today = START + timedelta(days=chooser.randint(0, 400))
        window = chooser.choice([None, 30, 90, 180, 365])
        limit = None if window is None else chooser.randint(0, window)
        max_stay = chooser.choice([1, 7, 30, 60, 90])
        pos = position(stays, today, max_stay_days=max_stay, window_days=window, window_limit=limit)
        assert entry_allowed_days(pos, today, stays) == _entry_allowed_by_trial(pos, today, stays)
