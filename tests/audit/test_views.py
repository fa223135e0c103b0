"""The auditor's page: the log newest first, filters, keyset pages, and a clear 400 on bad filters."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.audit.models import AuditActor, AuditEntry
from lbt.audit.views import PAGE_SIZE
from lbt.reference.models import State

ROW_ID_RE = re.compile(r"<tr>\s*<td>(\d+)</td>")
NEXT_RE = re.compile(r'<a class="button" href="([^"]+)">Older entries</a>')


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(found) for found in ROW_ID_RE.findall(response.get_data(as_text=True))]


def _next_url(response) -> str | None:  # type: ignore[no-untyped-def]
    match = NEXT_RE.search(response.get_data(as_text=True))
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def log(db, users, clock):
    """Beside the fixture users' entries (by 'system', on day 0): a registrar's state, made on day 0,
    renamed on day 2 and removed on day 5."""
    db.info["actor"] = AuditActor(users[Role.ADMIN].id, "Registrar", "test")
    state = State(
        code="KZ", alpha3="KAZ", name_en="Kazakhstan", name_ru="Казахстан", name_national="Қазақстан"
    )
    db.add(state)
    db.flush()
    clock.advance(days=2)
    state.name_en = "Qazaqstan"
    db.flush()
    clock.advance(days=3)
    db.delete(state)
    db.flush()
    db.info.pop("actor")
    entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    return {"all": entries, "state": [entry for entry in entries if entry.actor_name == "Registrar"]}


@pytest.fixture
def auditor(login_as):
    return login_as(Role.AUDITOR)


def test_the_log_lists_every_entry_newest_first(auditor, log):
    response = auditor.get("/audit/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _ids(response) == sorted((entry.id for entry in log["all"]), reverse=True)[:PAGE_SIZE]
    assert "Registrar" in page
    assert "Qazaqstan" in page


def test_an_administrator_may_read_the_log_too(login_as, log):
    assert login_as(Role.ADMIN).get("/audit/").status_code == 200


def test_the_log_never_shows_a_password_hash(auditor, log, users):
    page = auditor.get("/audit/?record_type=users").get_data(as_text=True)
    assert users[Role.ADMIN].password_hash not in page
    assert "$argon2" not in page


def test_filter_by_actor_ignores_case(auditor, log):
    response = auditor.get("/audit/?actor=REGISTRAR")
    assert response.status_code == 200
    assert _ids(response) == [entry.id for entry in reversed(log["state"])]


def test_filter_by_action(auditor, log):
    response = auditor.get("/audit/?action=delete")
    assert _ids(response) == [log["state"][-1].id]


def test_filter_by_record_type_and_id(auditor, log):
    state_entries = [entry.id for entry in reversed(log["all"]) if entry.entity_type == "states"]
    assert len(state_entries) == 6  # the three reference states, and the registrar's three entries
    assert _ids(auditor.get("/audit/?entity_type=states")) == state_entries
    entity_id = log["state"][0].entity_id
    state_entries = [entry.id for entry in reversed(log["state"])]
    assert _ids(auditor.get(f"/audit/?entity_type=states&entity_id={entity_id}")) == state_entries
    assert _ids(auditor.get("/audit/?entity_type=states&entity_id=999999")) == []


def test_filter_by_dates_includes_both_ends(auditor, log, clock):
    start = clock.now.date() - timedelta(days=5)  # the day the log fixture began
    renamed, deleted = log["state"][1], log["state"][2]
    day2 = (start + timedelta(days=2)).isoformat()
    assert _ids(auditor.get(f"/audit/?since={day2}&until={day2}")) == [renamed.id]
    assert _ids(auditor.get(f"/audit/?since={day2}")) == [deleted.id, renamed.id]
    until_day1 = (start + timedelta(days=1)).isoformat()
    assert renamed.id not in _ids(auditor.get(f"/audit/?until={until_day1}"))
    assert log["state"][0].id in _ids(auditor.get(f"/audit/?until={until_day1}"))


def test_no_match_says_so(auditor, log):
    response = auditor.get("/audit/?actor=nobody")
    assert response.status_code == 200
    assert "No entries match." in response.get_data(as_text=True)


def test_pages_follow_each_other_without_gap_or_overlap(auditor, db, log):
    state = State(code="AF", alpha3="AFG", name_en="0", name_ru="0", name_national="0")
    db.add(state)
    for number in range(1, PAGE_SIZE + 10):
        state.name_en = str(number)
        db.flush()
    total = db.scalar(select(func.count()).select_from(AuditEntry))
    assert total > PAGE_SIZE + 10

    seen: list[int] = []
    url: str | None = "/audit/?action=update"
    while url:
        response = auditor.get(url)
        assert response.status_code == 200
        ids = _ids(response)
        assert 0 < len(ids) <= PAGE_SIZE
        seen += ids
        url = _next_url(response)
        if url:
            assert parse_qs(urlsplit(url).query)["action"] == ["update"]  # the filter is kept
            assert parse_qs(urlsplit(url).query)["before"] == [str(ids[-1])]
    updates = db.scalars(
        select(AuditEntry.id).where(AuditEntry.action == "update").order_by(AuditEntry.id.desc())
    )
    assert seen == list(updates)


@pytest.mark.parametrize(
    "query,field_message",
    [
        ("since=not-a-date", "Enter the date as 14/03/1985."),
        ("until=2026-13-40", "Enter the date as 14/03/1985."),
        ("action=erase", "Not a valid choice."),
        ("entity_type=no_such_table", "Not a valid choice."),
    ],
)
def test_bad_filter_input_is_refused_beside_its_field(auditor, log, query, field_message):
    response = auditor.get(f"/audit/?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'role="alert">{field_message}</p>' in page  # the field's error, on the same page
    assert _ids(response) == []


@pytest.mark.parametrize(
    "before,message",
    [
        ("abc", "Not a valid integer value."),
        ("0", "Number must be between 1 and"),
        ("99999999999999999999999", "Number must be between 1 and"),  # past a 64-bit id: not a 500
    ],
)
def test_a_bad_page_marker_is_refused_with_a_message(auditor, log, before, message):
    response = auditor.get(f"/audit/?before={before}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert _ids(response) == []


def test_a_date_range_that_ends_before_it_starts_is_refused(auditor, log):
    response = auditor.get("/audit/?since=2026-11-20&until=2026-11-01")
    assert response.status_code == 400
    assert "The end date is before the start date." in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["actor=regis%00trar", "entity_id=1%00"])
def test_a_null_character_in_a_text_filter_is_refused_not_a_server_error(auditor, log, query):
    response = auditor.get(f"/audit/?{query}")  # PostgreSQL would refuse it with an error: a 500
    assert response.status_code == 400
    assert "Remove the control characters." in response.get_data(as_text=True)
