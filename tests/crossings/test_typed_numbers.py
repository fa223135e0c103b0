"""A permit number typed by a guard: case, spaces and dashes do not matter, and a check digit that
does not match is a typing mistake (amber, ``check_digit``), not a permit that is not on record (red)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.crossings.models import Crossing
from lbt.permits.services import canonical_number, check_digit, find_by_number, format_number
from tests.crossings import sending
from tests.crossings.sending import item, send

permit, guard_token = sending.permit, sending.guard_token  # the shared fixtures, by name

CHECK_DIGIT_MESSAGE = "The check digit does not match: a typing mistake?"
SPELLINGS = {
    "spaces": lambda n: n.replace("-", " "),
    "lower case, one dash": lambda n: n.lower().replace("-", "", 2),
    "trailing space": lambda n: n + " ",
    "no separators": lambda n: n.replace("-", ""),
    "spaces around dashes": lambda n: " " + n.lower().replace("-", " - ") + "\t",
    "en dashes": lambda n: n.replace("-", "\u2013"),
}


def wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


@pytest.fixture
def guard(login_as):  # type: ignore[no-untyped-def]
    return login_as(Role.BORDER_GUARD)


def typed(client, number: str):  # type: ignore[no-untyped-def]
    response = client.post(
        "/crossings/verify-number",
        json={"number": number, "direction": "entry"},
        headers={"X-CSRFToken": client.csrf_token()},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def stored(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(Crossing))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "text",
    [
        "TJ 2026 000005 9",
        "tj2026000005-9",
        "TJ-2026-000005-9 ",
        " tj - 2026 - 000005 - 9",
        "TJ\u20132026\u2013000005\u20139",
    ],
)
def test_every_spelling_of_a_number_reads_as_the_printed_form(text):
    assert canonical_number(text) == "TJ-2026-000005-9" == format_number("TJ", 2026, 5)


@pytest.mark.parametrize(
    "text", ["", "TJ-2026-5-9", "TJ-2026-000005", "T1-2026-000005-9", "TJ-2026-000005-99", "ТJ-2026-000005-9"]
)
def test_text_not_shaped_like_a_number_has_no_printed_form(text):
    assert canonical_number(text) is None


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_the_service_finds_the_permit_however_its_number_is_typed(db, permit, spelling):
    assert find_by_number(db, spelling(permit.number)) == permit


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_the_guard_page_finds_the_permit_however_its_number_is_typed(guard, permit, spelling):
    body = typed(guard, spelling(permit.number))
    assert body["verdict"] == "pass"
    assert body["permit"]["number"] == permit.number


def test_a_wrong_check_digit_is_amber_on_the_guard_page_not_red(guard, db, permit):
    body = typed(guard, " " + wrong_check_digit(permit.number).lower().replace("-", " "))
    assert body["verdict"] == "check"
    assert body["reasons"] == [{"code": "check_digit", "message": CHECK_DIGIT_MESSAGE}]
    assert "permit" not in body
    assert stored(db) == 0


def test_a_number_with_the_right_check_digit_but_no_permit_is_still_red(guard, permit):
    missing = format_number("TJ", 2026, 999999)
    assert missing[-1] == str(check_digit("TJ2026999999"))
    body = typed(guard, missing.replace("-", " "))
    assert body["verdict"] == "refuse"
    assert [reason["code"] for reason in body["reasons"]] == ["not_on_record"]


def test_the_check_digit_message_is_translated(guard, permit):
    guard.set_cookie("lbt_locale", "ru")
    body = typed(guard, wrong_check_digit(permit.number))
    assert body["reasons"][0]["code"] == "check_digit"
    assert body["reasons"][0]["message"] != CHECK_DIGIT_MESSAGE


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_a_batch_item_finds_the_permit_however_its_number_is_typed(
    client, db, permit, guard_token, clock, spelling
):
    sent = item(permit, clock() - timedelta(minutes=5), permit_number=spelling(permit.number))
    [result] = send(client, guard_token, sent)
    assert result["status"] == "stored", result
    assert stored(db) == 1


def test_a_batch_item_with_a_wrong_check_digit_is_amber_and_not_stored(
    client, db, permit, guard_token, clock
):
    good = item(permit, clock() - timedelta(minutes=10))
    bad = item(permit, clock() - timedelta(minutes=5), permit_number=wrong_check_digit(permit.number))
    results = send(client, guard_token, good, bad)
    assert results[0]["status"] == "stored"
    assert results[1]["status"] == "invalid" and results[1]["code"] == "check_digit"
    assert results[1]["verdict"] == "check"
    assert results[1]["error"] == CHECK_DIGIT_MESSAGE
    assert stored(db) == 1


def test_a_batch_item_naming_no_permit_is_still_not_on_record(client, db, permit, guard_token, clock):
    sent = item(permit, clock() - timedelta(minutes=5), permit_number=format_number("TJ", 2026, 999999))
    [result] = send(client, guard_token, sent)
    assert result["status"] == "invalid" and result["code"] == "not_on_record"
    assert "verdict" not in result
    assert stored(db) == 0
