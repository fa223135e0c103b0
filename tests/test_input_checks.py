"""Input no endpoint should ever see, refused in one place with a readable 4xx: JSON bodies too large,
too deep or not strictly JSON (every JSON endpoint); control characters in any form field and in the
address; dates outside sensible years in any date field; record ids past what the database holds."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.api.services import create_token
from lbt.applications.eligibility import add_years
from lbt.applications.models import ApplicationStatus
from lbt.permits.models import Permit, PermitStatus
from lbt.web.request_input import MAX_JSON_BYTES, MAX_JSON_DEPTH, read_json

CONTROL_MESSAGE = "Remove the control characters."
DATE_MESSAGE = "Enter the date as 14/03/1985."  # typed dates outside 1900-2100 are not dates (lbt.core.dates)


@pytest.fixture
def guard_headers(db, users, clock) -> dict[str, str]:  # type: ignore[no-untyped-def]
    token = create_token(db, users[Role.BORDER_GUARD], name="tablet", now=clock())[1]
    return {"Authorization": f"Bearer {token}"}


BAD_JSON = {
    "nested 100,000 deep": ("[" * 100_000, "brackets do not match"),
    "nested 100,000 deep, closed": ("[" * 100_000 + "]" * 100_000, f"at most {MAX_JSON_DEPTH} levels"),
    "objects nested deep": ('{"a":' * 5000 + "1" + "}" * 5000, f"at most {MAX_JSON_DEPTH} levels"),
    "not JSON": ("{crossings: []}", "The JSON is not valid"),
    "brackets that do not match, shallow": ('{"crossings": [1}', "The JSON is not valid"),
    "NaN": ('{"crossings": [NaN]}', "NaN is not a JSON value"),
    "a key twice": ('{"crossings": [], "crossings": []}', 'names "crossings" twice'),
    "a 5000-digit number": ("[" + "9" * 5000 + "]", "too many digits"),
    "an infinite number": ("[1e999]", "too large to read"),
}


@pytest.mark.parametrize("body, message", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_bad_json_is_refused_with_400_and_a_reason_before_the_view(client, guard_headers, body, message):
    response = client.post(
        "/api/v1/crossings", data=body, content_type="application/json", headers=guard_headers
    )
    assert response.status_code == 400
    assert response.get_json()["status"] == 400
    assert message in response.get_json()["error"]


def test_the_depth_limit_holds_at_its_edge_however_few_the_brackets():
    """Texts with no more brackets than the limit skip the depth pre-scan: they cannot nest deeper."""
    assert read_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(ValueError, match=f"at most {MAX_JSON_DEPTH} levels"):
        read_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    with pytest.raises(ValueError, match="The JSON is not valid"):
        read_json('{"a": [1}')


def test_non_utf8_json_is_refused(client, guard_headers):
    response = client.post(
        "/api/v1/verify",
        data=b'{"token": "\xff\xfe"}',
        content_type="application/json",
        headers=guard_headers,
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "The JSON is not valid UTF-8 text."


def test_json_over_the_size_cap_is_refused_with_413(client, guard_headers):
    body = '{"crossings": ["' + "x" * MAX_JSON_BYTES + '"]}'
    response = client.post(
        "/api/v1/crossings", data=body, content_type="application/json", headers=guard_headers
    )
    assert response.status_code == 413
    assert response.get_json() == {"error": "The JSON is too large (at most 2048 kB).", "status": 413}


def test_the_guard_pages_json_endpoint_is_checked_the_same_way(login_as):
    guard = login_as(Role.BORDER_GUARD)
    response = guard.post(
        "/crossings/verify-number",
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers={"X-CSRFToken": guard.csrf_token()},
    )
    assert response.status_code == 400
    assert "at most 32 levels" in response.get_json()["error"]


def test_the_error_comes_in_the_readers_language(client, guard_headers):
    response = client.post(
        "/api/v1/crossings",
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers={**guard_headers, "Accept-Language": "ru"},
    )
    assert response.status_code == 400
    assert "32" in response.get_json()["error"] and "JSON" in response.get_json()["error"]
    assert "nested" not in response.get_json()["error"]


def test_strict_json_still_reads_what_devices_send():
    text = '{"crossings": [{"id": "7d0f", "reason": "a [bracket] \\"quoted\\" \\ud83d\\ude00", "offline": true}]}'
    assert read_json(text.encode()) == {
        "crossings": [{"id": "7d0f", "reason": 'a [bracket] "quoted" \U0001f600', "offline": True}]
    }


# --- forms: control characters in any field ------------------------------------------------------


def test_a_nul_in_the_status_pages_reference_is_refused_with_a_message(client):
    response = client.submit("/apply/status", {"reference": "\x00nul", "access_code": "ABCD-EFGH"})
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"])
def test_a_control_character_in_a_permit_change_reason_is_refused_and_nothing_changes(
    db, login_as, permit, character
):
    response = login_as(Role.OFFICER).submit(
        f"/permits/{permit.id}/change", {"change": "suspend", "reason": f"fraud{character}suspected"}
    )
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    db.expire_all()
    assert permit.status is PermitStatus.ACTIVE


def test_tabs_and_line_breaks_are_ordinary_text(db, login_as, permit):
    response = login_as(Role.OFFICER).submit(
        f"/permits/{permit.id}/change", {"change": "suspend", "reason": "seen twice:\r\n\tlane 1 and lane 2"}
    )
    assert response.status_code == 302
    db.expire_all()
    assert permit.status is PermitStatus.SUSPENDED


def test_a_control_character_in_an_uploaded_files_name_is_refused(client):
    response = client.submit(
        "/apply/", {"photo": (BytesIO(b"\xff\xd8\xff"), "me\x00.jpg")}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


# --- forms: dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("valid_from", ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"])
def test_an_approval_with_a_date_outside_sensible_years_is_a_form_error(
    db, login_as, make_application, valid_from
):
    application = make_application().application
    response = login_as(Role.OFFICER).submit(
        f"/applications/{application.id}/approve",
        {"valid_from": valid_from, "valid_until": "2028-11-21", "fee_status": "paid"},
    )
    assert response.status_code == 400
    assert DATE_MESSAGE in response.get_data(as_text=True)
    db.expire_all()
    assert application.status is ApplicationStatus.SUBMITTED
    assert db.scalar(select(func.count()).select_from(Permit)) == 0


def test_an_approval_at_the_far_edge_of_the_range_is_refused_by_the_rules_not_a_crash(
    db, login_as, make_application
):
    application = make_application().application
    response = login_as(Role.OFFICER).submit(
        f"/applications/{application.id}/approve",
        {"valid_from": "2100-01-01", "valid_until": "2100-12-31", "fee_status": "paid"},
    )
    assert response.status_code == 400
    db.expire_all()
    assert application.status is ApplicationStatus.SUBMITTED


def test_adding_years_past_the_calendar_gives_its_last_day():
    assert add_years(date(9999, 12, 31), 5) == date.max
    assert add_years(date(9998, 2, 28), 1) == date(9999, 2, 28)
    assert add_years(date(2028, 2, 29), 1) == date(2029, 3, 1)


# --- the address -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/permits/?q=RAH%00IMOV", "/permits/?page=1%00", "/login?next=/%00", "/crossings/?%00=1"]
)
def test_a_control_character_in_the_query_string_is_refused(login_as, url):
    response = login_as(Role.OFFICER).get(url)
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


def test_a_control_character_in_the_path_is_refused(login_as):
    response = login_as(Role.BORDER_GUARD).get("/crossings/permits/number/TJ%00/photo")
    assert response.status_code == 400


@pytest.mark.parametrize("permit_id", [2**63, 10**30])
def test_a_record_id_past_what_the_database_holds_is_not_found(login_as, permit_id):
    assert login_as(Role.OFFICER).get(f"/permits/{permit_id}").status_code == 404
