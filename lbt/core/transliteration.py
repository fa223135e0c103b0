"""Latin spelling of names written in Cyrillic, as on machine-readable travel documents.

ICAO Doc 9303 Part 3, section 6 (Cyrillic table) for the Russian letters; the letters that table does
not cover follow the practice of Tajik and Kyrgyz passports: Ғ GH, Ӣ I, Қ Q, Ӯ U, Ҳ H, Ҷ J (Tajik),
Ң N, Ө O, Ү U (Kyrgyz). The result is upper-case A-Z, space, hyphen and apostrophe only.
"""

from __future__ import annotations

import re
import unicodedata

ICAO_CYRILLIC = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Ґ": "G", "Д": "D", "Е": "E", "Ё": "E", "Є": "IE",
    "Ж": "ZH", "З": "Z", "Ѕ": "DZ", "И": "I", "І": "I", "Ї": "I", "Й": "I", "Ј": "J", "К": "K",
    "Л": "L", "Љ": "LJ", "М": "M", "Н": "N", "Њ": "NJ", "О": "O", "П": "P", "Р": "R", "С": "S",
    "Т": "T", "Ћ": "C", "У": "U", "Ў": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Џ": "DZ",
    "Ш": "SH", "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA",
}  # fmt: skip
NATIONAL_EXTRA = {
    "Ғ": "GH", "Ӣ": "I", "Қ": "Q", "Ӯ": "U", "Ҳ": "H", "Ҷ": "J",  # Tajik
    "Ң": "N", "Ө": "O", "Ү": "U",  # Kyrgyz
}  # fmt: skip
_TABLE = {**ICAO_CYRILLIC, **NATIONAL_EXTRA}
_ALLOWED = re.compile(r"[^A-Z '\-]")
_SPACES = re.compile(r"\s+")


def to_latin(name: str) -> str:
    """Transliterate a name (any case, Cyrillic or Latin) into ICAO upper-case Latin letters."""
    result = []
    for char in name.strip().upper():
        if char in _TABLE:
            result.append(_TABLE[char])
            continue
        # Latin letters with diacritics lose them (Ö -> O), as in the machine-readable zone
        decomposed = unicodedata.normalize("NFKD", char)
        result.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    latin = _ALLOWED.sub("", "".join(result).replace("’", "'"))
    return _SPACES.sub(" ", latin).strip()


def search_key(surname: str, given_names: str) -> str:
    """Upper-case Latin "SURNAME GIVEN NAMES", the key name searches and alert matching use."""
    return f"{to_latin(surname)} {to_latin(given_names)}".strip()
