"""The officer's permit page shows how the permit was used: where the holder stands now, the days of
the stay and of the rolling window, our crossings and the partner's records of the permit (each on the
clock of its crossing point, paged apart), and its misuse cases; within the officer's agreements only."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lbt.accounts.models import Role
from lbt.crossings import services as crossings
from lbt.crossings.models import Direction, MisuseCase, MisuseKind
from lbt.exchange.models import PartnerRecordedCrossing
from tests.exchange.helpers import Partner, link_to
from tests.fixtures.factories import make_user
from tests.fixtures.permits import statements_to_show

START = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 09:00 in Tashkent, 10:00 in Bishkek


def page(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return response.get_data(as_text=True)


def rows_of(text: str, table: str) -> list[str]:
    """The body rows of one table, tags stripped."""
    body = re.search(rf'id="{table}".*?<tbody>(.*?)</tbody>', text, re.S)
    assert body, table
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr.*?</tr>", body[1], re.S)
    ]


def cross(db, permit, ref, users, direction: Direction, at: datetime, **rest):  # type: ignore[no-untyped-def]
    """A crossing recorded at the guard's point (a warning let through with a reason)."""
    return crossings.record(
        db,
        client_id=str(uuid.uuid4()),
        permit=permit,
        crossing_point=ref.crossing_point,
        direction=direction,
        at=at,
        officer=users[Role.BORDER_GUARD],
        reason="checked",
        now=at,
        **rest,
    )


@pytest.fixture
def at_the_point(db, ref):  # type: ignore[no-untyped-def]
    """Our crossing point keeps its own clock (Tashkent), not the instance's (Dushanbe)."""
    ref.crossing_point.time_zone = "Asia/Tashkent"
    db.flush()
    return ref.crossing_point


@pytest.fixture
def link(db, ref):  # type: ignore[no-untyped-def]
    return link_to(db, ref.agreement, Partner("KG", "TJ", ref.agreement.code))


def partner_record(db, link, permit, at: datetime, direction: str = "exit") -> None:  # type: ignore[no-untyped-def]
    db.add(
        PartnerRecordedCrossing(
            link_id=link.id,
            permit_id=permit.id,
            permit_number=permit.number,
            client_id=str(uuid.uuid4()),
            message_id=str(uuid.uuid4()),
            direction=direction,
            at=at,
            crossing_point="KG-TJ-01",
        )
    )
    db.flush()


def test_an_officer_sees_the_crossings_and_the_partner_s_record_on_the_points_clocks(
    db, ref, users, clock, login_as, permit, at_the_point, link
):
    cross(db, permit, ref, users, Direction.ENTRY, START)
    cross(db, permit, ref, users, Direction.EXIT, START + timedelta(days=2, hours=1))
    cross(db, permit, ref, users, Direction.ENTRY, START + timedelta(days=5))
    partner_record(db, link, permit, START + timedelta(days=2, hours=2))
    clock.now = START + timedelta(days=7)

    text = page(login_as(Role.OFFICER).get(f"/permits/{permit.id}"))

    assert rows_of(text, "permit-crossings") == [  # the newest first, on the point's clock
        "07/12/2026 09:00 (Asia/Tashkent, UTC+5) Entry KG-TJ-01 Check and decide guard checked",
        "04/12/2026 10:00 (Asia/Tashkent, UTC+5) Exit KG-TJ-01 May pass guard checked",
        "02/12/2026 09:00 (Asia/Tashkent, UTC+5) Entry KG-TJ-01 May pass guard checked",
    ]
    assert "Recorded by Kyrgyzstan" in text  # the partner's record, on the partner's side's clock
    assert rows_of(text, "recorded-by-partner") == [
        "04/12/2026 12:00 (Asia/Bishkek, UTC+6) Exit recorded by the partner KG-TJ-01 Kyrgyzstan"
    ]
    assert "Inside since 07/12/2026 09:00 (Asia/Tashkent, UTC+5), entered at KG-TJ-01" in text
    assert "Day 3 of at most 90 days" in text
    # 2-4 and 7-9 December, both ends counted, against the agreement's 90 in any 180
    assert "6 days present of at most 90 days in any 180 days" in text
    assert "2026-12-0" not in text  # no ISO dates


def test_a_holder_who_left_is_outside_since_the_exit(db, ref, users, clock, login_as, permit, at_the_point):
    cross(db, permit, ref, users, Direction.ENTRY, START)
    cross(db, permit, ref, users, Direction.EXIT, START + timedelta(hours=8))
    clock.now = START + timedelta(days=1)

    text = page(login_as(Role.SUPERVISOR).get(f"/permits/{permit.id}"))

    assert "Outside since 02/12/2026 17:00 (Asia/Tashkent, UTC+5), left at KG-TJ-01" in text
    assert "Current stay" not in text
    assert "1 day present of at most 90 days in any 180 days" in text


def test_a_permit_never_used_says_so_and_has_no_partner_or_misuse_tables(login_as, permit):
    text = page(login_as(Role.OFFICER).get(f"/permits/{permit.id}"))
    assert "Outside: no crossing counted yet." in text
    assert "No crossings recorded for this permit." in text
    assert "0 days present of at most 90 days in any 180 days" in text
    assert 'id="recorded-by-partner"' not in text and 'id="permit-misuse"' not in text


def test_held_crossings_are_marked_and_lead_to_the_review(db, ref, users, login_as, permit, at_the_point):
    cross(db, permit, ref, users, Direction.ENTRY, START)
    sent_late = START + timedelta(days=1)
    crossings.record(  # sent four days after it happened: held, not counted
        db,
        client_id=str(uuid.uuid4()),
        permit=permit,
        crossing_point=ref.crossing_point,
        direction=Direction.EXIT,
        at=sent_late,
        officer=users[Role.BORDER_GUARD],
        offline=True,
        now=sent_late + timedelta(days=4),
    )

    text = page(login_as(Role.OFFICER).get(f"/permits/{permit.id}"))

    assert "held for review: not counted yet" in rows_of(text, "permit-crossings")[0]
    assert 'href="/crossings/held"' in text
    assert 'data-inside="yes"' in text  # the held exit does not count


def test_the_permit_s_misuse_cases_are_listed_with_their_penalty(
    db, ref, users, login_as, permit, at_the_point
):
    entry = cross(db, permit, ref, users, Direction.ENTRY, START)
    db.add(
        MisuseCase(
            permit_id=permit.id,
            kind=MisuseKind.LEFT_BORDER_AREA,
            detected_at=START + timedelta(hours=1),
            crossing_id=entry.crossing.id,
            description="Seen in Khujand",
            penalty="Warning",
        )
    )
    db.add(MisuseCase(permit_id=permit.id, kind=MisuseKind.OTHER, detected_at=START, description="Lent"))
    db.flush()

    text = page(login_as(Role.OFFICER).get(f"/permits/{permit.id}"))

    assert rows_of(text, "permit-misuse") == [
        "02/12/2026 10:00 (Asia/Tashkent, UTC+5) Left the border area 0 Seen in Khujand Warning",
        "02/12/2026 09:00 (Asia/Dushanbe, UTC+5) Other 0 Lent",
    ]


def test_another_agreement_s_officer_and_the_analyst_see_none_of_it(
    db, ref, users, login_as, permit, at_the_point, link, app
):
    cross(db, permit, ref, users, Direction.ENTRY, START)
    partner_record(db, link, permit, START)
    make_user(db, "asht-officer", Role.OFFICER, agreements=[ref.other_agreement])
    other = app.test_client()
    assert other.login("asht-officer").status_code == 302
    for client in (other, login_as(Role.ANALYST)):
        for url in (f"/permits/{permit.id}", f"/permits/{permit.id}?crossings_page=2&partner_page=2"):
            response = client.get(url)
            assert response.status_code == 403
            assert "KG-TJ-01" not in response.get_data(as_text=True)
    assert login_as(Role.OFFICER).get("/permits/999999").status_code == 404


def test_our_crossings_and_the_partner_s_records_are_paged_apart(
    db, ref, users, clock, login_as, permit, at_the_point, link
):
    for day in range(15):  # 30 crossings: 25 on the first page, 5 on the second
        cross(db, permit, ref, users, Direction.ENTRY, START + timedelta(days=2 * day))
        cross(db, permit, ref, users, Direction.EXIT, START + timedelta(days=2 * day, hours=6))
    for hour in range(26):
        partner_record(db, link, permit, START + timedelta(hours=hour))
    client = login_as(Role.OFFICER)

    first = page(client.get(f"/permits/{permit.id}"))
    assert len(rows_of(first, "permit-crossings")) == 25
    assert len(rows_of(first, "recorded-by-partner")) == 25
    assert "Page 1 of 2 (30 in all)" in first and "Page 1 of 2 (26 in all)" in first
    assert f"/permits/{permit.id}?crossings_page=2#crossings-heading" in first

    second = page(client.get(f"/permits/{permit.id}?crossings_page=2"))
    ours = rows_of(second, "permit-crossings")
    assert len(ours) == 5 and ours[-1].startswith("02/12/2026 09:00")  # the oldest last
    assert len(rows_of(second, "recorded-by-partner")) == 25  # its own page, still the first
    both = page(client.get(f"/permits/{permit.id}?crossings_page=2&partner_page=2"))
    assert rows_of(both, "recorded-by-partner") == [
        "02/12/2026 10:00 (Asia/Bishkek, UTC+6) Exit recorded by the partner KG-TJ-01 Kyrgyzstan"
    ]
    assert f"/permits/{permit.id}?crossings_page=2&amp;partner_page=1#crossings-heading" in both


@pytest.mark.parametrize(
    "query", ["crossings_page=abc", "partner_page=-3", "cases_page=99999999999999999999"]
)
def test_a_strange_page_number_shows_a_page(login_as, permit, query):
    assert login_as(Role.OFFICER).get(f"/permits/{permit.id}?{query}").status_code == 200


@pytest.mark.parametrize("query", ["permit_id=1", "_anchor=x", "_method=POST", "_external=1"])
def test_a_strange_query_name_is_not_carried_to_the_page_links(db, ref, users, login_as, permit, query):
    for day in range(13):  # 26 crossings: two pages, so the page links are drawn
        cross(db, permit, ref, users, Direction.ENTRY, START + timedelta(days=2 * day))
        cross(db, permit, ref, users, Direction.EXIT, START + timedelta(days=2 * day, hours=6))

    text = page(login_as(Role.OFFICER).get(f"/permits/{permit.id}?{query}&cases_page=1"))

    assert f'href="/permits/{permit.id}?cases_page=1&amp;crossings_page=2#crossings-heading"' in text


def test_the_page_costs_the_same_queries_for_3_crossings_as_for_30(
    db, ref, users, login_as, permit, at_the_point, link, connection
):
    def add(days: range) -> None:
        for day in days:
            cross(db, permit, ref, users, Direction.ENTRY, START + timedelta(days=2 * day))
            cross(db, permit, ref, users, Direction.EXIT, START + timedelta(days=2 * day, hours=6))
            partner_record(db, link, permit, START + timedelta(days=2 * day, hours=7))
            db.add(MisuseCase(permit_id=permit.id, kind=MisuseKind.OTHER, detected_at=START, description="x"))
        db.flush()

    client = login_as(Role.OFFICER)
    cross(db, permit, ref, users, Direction.ENTRY, START - timedelta(days=1))  # 3 crossings
    add(range(1))
    few = statements_to_show(client, connection, f"/permits/{permit.id}")
    add(range(1, 15))  # 31
    assert statements_to_show(client, connection, f"/permits/{permit.id}") == few


def show_usage(db, ref, users, permit) -> None:  # type: ignore[no-untyped-def]
    """Every part of the section filled in (tests/test_html_valid.py checks the page's HTML): a held
    crossing, the partner's record and a misuse case."""
    entry = cross(db, permit, ref, users, Direction.ENTRY, START)
    crossings.record(
        db,
        client_id=str(uuid.uuid4()),
        permit=permit,
        crossing_point=ref.crossing_point,
        direction=Direction.EXIT,
        at=START + timedelta(days=1),
        officer=users[Role.BORDER_GUARD],
        offline=True,
        now=START + timedelta(days=5),
    )
    partner_record(db, link_to(db, ref.agreement, Partner("KG", "TJ", ref.agreement.code)), permit, START)
    db.add(
        MisuseCase(
            permit_id=permit.id, kind=MisuseKind.OVERSTAY, detected_at=START, crossing_id=entry.crossing.id
        )
    )
    db.flush()
