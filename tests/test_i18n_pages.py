"""Plural forms and contexts, as people read them on real pages."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest

from lbt.accounts.models import Role
from lbt.web.names import both_place_names, place_name, state_name


def russian(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url, headers={"Accept-Language": "ru"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("years", "words"), [(1, "1 год"), (2, "2 года"), (5, "5 лет"), (21, "21 год")])
def test_the_checklist_counts_years_in_russian_plural_forms(
    db, clock, login_as, make_application, years, words
):
    application = make_application().application
    application.resident_since = date(clock().year - years, 1, 1)
    db.flush()
    text = russian(login_as(Role.OFFICER), f"/applications/{application.id}")
    assert f"Проживает {words} (требуется не менее 3)." in text


def test_a_persons_name_and_a_things_name_are_different_words_in_russian(login_as):
    alerts = russian(login_as(Role.SUPERVISOR), "/alerts/")
    states = russian(login_as(Role.ADMIN), "/reference/states")
    assert '<th scope="col">ФИО</th>' in alerts
    assert '<th scope="col">Название</th>' in states
    assert "ФИО" not in states


# --- reference names in the reader's language -------------------------------------------------------


def state(code: str, name_en: str, name_ru: str, name_national: str) -> SimpleNamespace:
    return SimpleNamespace(code=code, name_en=name_en, name_ru=name_ru, name_national=name_national)


TAJIKISTAN = state("TJ", "Tajikistan", "Таджикистан", "Тоҷикистон")
KYRGYZSTAN = state("KG", "Kyrgyzstan", "Кыргызстан", "Кыргызстан")


@pytest.mark.parametrize(
    ("record", "locale", "name"),
    [
        (TAJIKISTAN, "tg", "Тоҷикистон"),  # the state's own name, for readers of its language
        (TAJIKISTAN, "ky", "Тажикстан"),  # CLDR, in the reader's language
        (TAJIKISTAN, "uz", "Tojikiston"),
        (TAJIKISTAN, "en", "Tajikistan"),
        (KYRGYZSTAN, "tg", "Қирғизистон"),
        (KYRGYZSTAN, "ru", "Кыргызстан"),  # the data's Russian name, not CLDR's "Киргизия"
        (state("QQ", "Nowhere", "Нигде", "Nowhere"), "ky", "Nowhere"),  # no CLDR name: the English one
    ],
)
def test_a_state_is_named_in_the_readers_language(record, locale, name):
    assert state_name(record, locale) == name


def test_a_locality_is_written_in_its_states_script_only_for_readers_of_that_language():
    ak_sai = SimpleNamespace(name_latin="Ak-Sai", name_national="Ак-Сай", state=KYRGYZSTAN)
    assert place_name(ak_sai, "ky") == "Ак-Сай"
    assert [place_name(ak_sai, locale) for locale in ("tg", "ru", "uz", "en")] == ["Ak-Sai"] * 4
    assert both_place_names(ak_sai, "ky") == "Ак-Сай — Ak-Sai"
    assert both_place_names(ak_sai, "en") == "Ak-Sai — Ак-Сай"


def test_an_agreement_page_names_its_states_in_kyrgyz(db, login_as, ref):
    ref.kg.name_national = "Кыргызстан"  # the fixture's states carry their English name only
    db.flush()
    client = login_as(Role.ADMIN)
    page = client.get(f"/reference/agreements/{ref.agreement.id}", headers={"Accept-Language": "ky"})
    assert page.status_code == 200
    assert "Тажикстан (TJ), Кыргызстан (KG)" in page.get_data(as_text=True)


# --- the language menu ---------------------------------------------------------------------------

MENU = re.compile(r'name="locale" value="(\w+)"')


def test_residents_are_offered_the_languages_of_the_agreements_states_first(client, ref):
    # a TJ instance with agreements TJ-KG and TJ-UZ: the partners' languages, then Tajik, Russian, English
    page = client.get("/apply/", headers={"Accept-Language": "ky"})
    assert page.status_code == 200
    assert MENU.findall(page.get_data(as_text=True)) == ["ky", "uz", "tg", "ru", "en"]
    status = client.get("/apply/status", headers={"Accept-Language": "ky"}).get_data(as_text=True)
    assert MENU.findall(status) == ["ky", "uz", "tg", "ru", "en"]


def test_staff_pages_keep_the_usual_language_order(client, ref):
    page = client.get("/login").get_data(as_text=True)
    assert MENU.findall(page) == ["en", "ru", "tg", "ky", "uz"]


def test_the_apply_form_comes_in_kyrgyz(client, ref):
    page = client.get("/apply/", headers={"Accept-Language": "ky"}).get_data(as_text=True)
    assert '<html lang="ky">' in page
    assert "Жергиликтүү чек ара кыймылына уруксат алуу үчүн арыз берүү" in page
    assert "Ак-Сай — Ak-Sai" in page  # a Kyrgyz locality in Kyrgyz script first
