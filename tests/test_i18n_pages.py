"""Plural forms and contexts, as people read them on real pages."""

from __future__ import annotations

from datetime import date

import pytest

from lbt.accounts.models import Role


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
