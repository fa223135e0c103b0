"""Every user-facing string is marked, and translated into Russian and Tajik; catalogs are compiled."""

from __future__ import annotations

import pytest

from lbt.i18n_tools import (
    TRANSLATED_LOCALES,
    compiled_differences,
    extract,
    missing_translations,
    read_catalog,
    read_compiled,
)

LOCALES = ("en", *TRANSLATED_LOCALES)


@pytest.fixture(scope="module")
def source_ids() -> set[str]:
    return {str(message.id) for message in extract() if message.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_catalog_holds_exactly_the_strings_marked_in_the_code(locale, source_ids):
    catalog_ids = {str(message.id) for message in read_catalog(locale) if message.id}
    assert source_ids - catalog_ids == set(), "run `lbt i18n extract`, then translate"
    assert catalog_ids - source_ids == set(), "run `lbt i18n extract` to drop strings no longer used"


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_every_string_is_translated(locale):
    assert missing_translations(read_catalog(locale)) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders_of_the_original(locale):
    problems = [(message.id, [str(e) for e in errors]) for message, errors in read_catalog(locale).check()]
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_matches_the_po_file(locale):
    # by messages (ids, contexts, translations), not bytes: Babel versions write the same .mo differently
    assert compiled_differences(read_catalog(locale), read_compiled(locale)) == [], "run `lbt i18n compile`"


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_pages_come_in_the_language_the_browser_asks_for(client, locale):
    expected = read_catalog(locale).get("Log in").string
    page = client.get("/login", headers={"Accept-Language": f"{locale},en;q=0.5"}).get_data(as_text=True)
    assert f'<html lang="{locale}">' in page
    assert f"<h1>{expected}</h1>" in page


def test_the_cookie_wins_over_the_browser_and_the_account_setting_wins_over_both(login_as, db, users, app):
    from lbt.accounts.models import Role

    client = login_as(Role.OFFICER)
    client.set_cookie("lbt_locale", "tg")
    page = client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="tg">' in page
    users[Role.OFFICER].locale = "ru"
    db.flush()
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ru">' in page
