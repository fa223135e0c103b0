import pytest

from lbt.core.transliteration import search_key, to_latin


@pytest.mark.parametrize(
    ("national", "latin"),
    [
        ("Рахимов", "RAKHIMOV"),
        ("Фаррух", "FARRUKH"),
        ("Юлия", "IULIIA"),  # ICAO 9303: Ю IU, Я IA, Й I
        ("Щукин", "SHCHUKIN"),
        ("Ғафуров", "GHAFUROV"),  # Tajik letters
        ("Қурбонова", "QURBONOVA"),
        ("Ҷӯраев", "JURAEV"),
        ("Ҳамидӣ", "HAMIDI"),
        ("Өмүрбеков", "OMURBEKOV"),  # Kyrgyz letters
        ("Аңсар", "ANSAR"),
        ("Мадаминов-Ли", "MADAMINOV-LI"),
        ("  Nazarov  ", "NAZAROV"),
        ("Müller", "MULLER"),
        ("Объект", "OBIEEKT"),  # Ъ IE
        ("Ильин", "ILIN"),  # Ь is dropped
    ],
)
def test_icao_transliteration(national, latin):
    assert to_latin(national) == latin


def test_only_mrz_safe_characters_remain():
    assert to_latin("Ник<ола>й 2!") == "NIKOLAI"


def test_search_key_joins_surname_and_given_names():
    assert search_key("Саидова", "Нилуфар") == "SAIDOVA NILUFAR"
