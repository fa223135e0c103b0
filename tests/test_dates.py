"""Dates as people read and write them (issue 10 item 5), and local clocks (item 6)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.alerts.models import Alert
from lbt.applications.models import Application
from lbt.core import dates
from lbt.core.settings import Settings, SettingsError
from lbt.representatives.models import Incident
from tests.applications.test_public_views import error_beside, form_data, jpeg, send

MARCH_14 = date(1985, 3, 14)
WRONG_DATES = ("31.02.1985", "31021985", "21985", "14.3.85", "1985/14/03", "March 14, 1985", "14.03.0985")


@pytest.mark.parametrize(
    "typed", ["14.03.1985", "14/03/1985", "14-03-1985", "1985-03-14", "14031985", " 14.3.1985 "]
)
def test_the_ways_people_write_a_date_are_read(typed):
    assert dates.parse_typed_date(typed) == MARCH_14


@pytest.mark.parametrize("typed", [*WRONG_DATES, "", "14.03.1985x", "1" * 40, "14.03.2101"])
def test_impossible_dates_and_other_text_are_not(typed):
    assert dates.parse_typed_date(typed) is None


def test_a_day_is_shown_day_first_in_the_readers_pattern_without_a_doubled_dot():
    shown = {
        locale: dates.format_day(date(2026, 12, 31), locale) for locale in ("en", "ru", "tg", "ky", "uz")
    }
    assert shown == {
        "en": "31/12/2026",
        "ru": "31.12.2026",
        "tg": "31/12/2026",
        "ky": "31.12.2026",
        "uz": "31/12/2026",
    }
    # every shown date is read back by the date fields
    assert all(dates.parse_typed_date(text) == date(2026, 12, 31) for text in shown.values())


def test_a_moment_is_shown_on_the_places_clock_with_the_zone_named():
    moment = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert dates.format_moment(moment, "ru", "Asia/Dushanbe") == "01.12.2026 14:30 (Asia/Dushanbe, UTC+5)"
    assert dates.format_moment(moment, "ru", "Asia/Bishkek") == "01.12.2026 15:30 (Asia/Bishkek, UTC+6)"
    assert dates.format_clock(moment, "tg", "Asia/Tashkent") == "14:30 (Asia/Tashkent, UTC+5)"
    assert dates.local_day(datetime(2026, 12, 1, 19, 30, tzinfo=UTC), "Asia/Dushanbe") == date(2026, 12, 2)
    assert dates.end_of_local_day(date(2026, 12, 1), "Asia/Dushanbe") < datetime(2026, 12, 1, 19, tzinfo=UTC)


@pytest.mark.parametrize("name", ["Asia/Dushanbe", "Asia/Bishkek", "Asia/Tashkent", "UTC"])
def test_iana_zones_are_known(name):
    assert dates.is_time_zone(name)


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../etc/passwd", "+05", "Asia/Dushanbe\x00", "A" * 80])
def test_other_zone_names_are_not(name):
    assert not dates.is_time_zone(name)


def test_the_instance_zone_follows_the_home_state_unless_set(tmp_path: Path):
    base = {"LBT_SECRET_KEY": "x" * 40}
    assert Settings.from_env(tmp_path, base).instance_zone == "Asia/Dushanbe"
    assert Settings.from_env(tmp_path, {**base, "LBT_HOME_STATE": "KG"}).instance_zone == "Asia/Bishkek"
    assert (
        Settings.from_env(tmp_path, {**base, "LBT_TIME_ZONE": "Asia/Tashkent"}).instance_zone
        == "Asia/Tashkent"
    )
    with pytest.raises(SettingsError, match="LBT_TIME_ZONE"):
        Settings.from_env(tmp_path, {**base, "LBT_TIME_ZONE": "Dushanbe"})


# --- the apply form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("en", "Enter the date as 14/03/1985."),
        ("ru", "Введите дату в виде 14.03.1985."),
        ("tg", "Санаро ба шакли 14/03/1985 ворид кунед."),
    ],
)
@pytest.mark.parametrize("typed", WRONG_DATES)
def test_a_mistyped_birth_date_gets_the_format_message_in_the_applicants_language(
    client, ref, db, locale, message, typed
):
    client.set_cookie("lbt_locale", locale)
    response = send(client, form_data(ref, birth_date=typed), photo=jpeg())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error_beside(page, "birth_date") == message
    # what was typed is shown again as typed, so the last step's review has it
    assert f'value="{typed}"' in page.replace("&#34;", '"')
    assert db.scalar(select(Application)) is None


def test_the_date_field_is_typed_text_with_its_format_shown_in_the_readers_letters(client):
    client.set_cookie("lbt_locale", "ru")
    page = client.get("/apply/").get_data(as_text=True)
    assert 'type="date"' not in page
    field = page[page.index('id="birth_date"') - 400 : page.index('id="birth_date"') + 400]
    assert 'inputmode="numeric"' in field and 'placeholder="ДД.ММ.ГГГГ"' in field
    assert 'data-date-message="Введите дату в виде 14.03.1985."' in field
    assert "День, месяц, год: ДД.ММ.ГГГГ, например 14.03.1985." in page


def test_an_iso_date_and_a_typed_one_give_the_same_application(client, ref, db):
    response = send(client, form_data(ref, birth_date="12041985"), photo=jpeg())
    assert response.status_code == 302
    assert db.scalar(select(Application.birth_date)) == date(1985, 4, 12)


# --- staff forms ------------------------------------------------------------------------------------


def test_a_staff_date_field_refuses_a_mistyped_date_in_the_users_language(db, login_as):
    client = login_as(Role.SUPERVISOR)
    client.set_cookie("lbt_locale", "ru")
    answer = {"surname": "Каримов", "reason": "Court order", "birth_date": "30.02.1990"}
    refused = client.submit("/alerts/new", answer)
    assert refused.status_code == 400
    assert "Введите дату в виде 14.03.1985." in refused.get_data(as_text=True)
    assert db.scalar(select(Alert)) is None
    assert client.submit("/alerts/new", {**answer, "birth_date": "03.02.1990"}).status_code == 302
    assert db.scalar(select(Alert.birth_date)) == date(1990, 2, 3)


def test_an_incident_is_typed_and_shown_on_the_sections_clock(app, db, ref, clock):
    from tests.fixtures.factories import make_user
    from tests.fixtures.passwords import PASSWORD

    ref.section.time_zone = "Asia/Bishkek"
    make_user(db, "rep-kg-t", Role.REPRESENTATIVE, state=ref.kg, border_sections=[ref.section])
    client = app.test_client()
    assert client.login("rep-kg-t", PASSWORD).status_code == 302
    when = (
        (clock.now - timedelta(hours=3))
        .astimezone(dates.zone("Asia/Bishkek"))
        .replace(second=0, microsecond=0)
    )
    form = client.get("/representatives/incidents/new").get_data(as_text=True)
    assert "Asia/Bishkek" in form and 'type="datetime-local"' not in form
    sent = {
        "section_id": str(ref.section.id),
        "type": "stray_livestock",
        "description": "Twelve sheep crossed near sign 114.",
        "border_sign": "114",
        "occurred_at": f"{when:%d.%m.%Y %H:%M}",
    }
    assert (
        client.submit(
            "/representatives/incidents/new", {**sent, "occurred_at": "31.02.2026 10:00"}
        ).status_code
        == 400
    )
    response = client.submit("/representatives/incidents/new", sent)
    assert response.status_code == 302, re.findall(
        r"field__error[^>]*>([^<]*)", response.get_data(as_text=True)
    )
    incident = db.scalar(select(Incident))
    assert incident is not None and incident.occurred_at == when.astimezone(UTC)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{when:%d/%m/%Y %H:%M} (Asia/Bishkek, UTC+6)" in page
