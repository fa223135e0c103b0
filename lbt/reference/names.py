"""Reference names (states, localities) in a reader's language, where the data or CLDR has them; Flask-free
(the web layer, the card, the PDFs and the mails all name places this one way).

A state is named by the record itself for readers of its own language (``name_national``) and of
Russian (``name_ru``, as the reference data spells it: "Кыргызстан", where CLDR says "Киргизия");
otherwise by Babel's CLDR territory names in the reader's locale ("Тажикстан" for a Kyrgyz reader,
"Qirgʻiziston" for an Uzbek one), and by ``name_en`` when CLDR has none. A locality is written in its
state's national script for readers of that state's language and in Latin letters for everyone else.

Services pass ``StateName``/``PlaceName`` values as message parameters: the message is named in the
reader's language when it is translated (``lbt.core.catalogs.localize``), in English in logs."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Protocol

from babel import Locale, UnknownLocaleError

# the language of each state's own names (name_national): the partner languages of the agreements
STATE_LANGUAGE = {"TJ": "tg", "KG": "ky", "UZ": "uz"}


class NamedState(Protocol):
    code: str
    name_en: str
    name_ru: str
    name_national: str


class NamedPlace(Protocol):
    name_latin: str
    name_national: str

    @property
    def state(self) -> NamedState: ...


@functools.cache
def _territories(locale: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(locale).territories)
    except (UnknownLocaleError, ValueError):
        return {}


def state_name(state: NamedState, locale: str) -> str:
    """The state's name in ``locale``."""
    if STATE_LANGUAGE.get(state.code) == locale and state.name_national:
        return state.name_national
    if locale == "ru" and state.name_ru:
        return state.name_ru
    return _territories(locale).get(state.code) or state.name_en


def place_name(place: NamedPlace, locale: str) -> str:
    """A locality's name: in its state's script for readers of that state's language, else in Latin."""
    if STATE_LANGUAGE.get(place.state.code) == locale and place.name_national:
        return place.name_national
    return place.name_latin


def both_place_names(place: NamedPlace, locale: str) -> str:
    """Both spellings, the reader's first ("Vorukh — Ворух" or, for a Tajik reader, "Ворух — Vorukh")."""
    first = place_name(place, locale)
    second = place.name_latin if first == place.name_national else place.name_national
    return f"{first} — {second}" if second and second != first else first


@dataclass(frozen=True)
class StateName:
    """A state as a message parameter: named in the reader's language when the message is shown."""

    code: str
    name_en: str
    name_ru: str
    name_national: str

    @classmethod
    def of(cls, state: NamedState) -> StateName:
        return cls(state.code, state.name_en, state.name_ru, state.name_national)

    def localized(self, locale: str) -> str:
        return state_name(self, locale)

    def __str__(self) -> str:
        return self.name_en


@dataclass(frozen=True)
class _PlaceState:
    code: str


@dataclass(frozen=True)
class PlaceName:
    """A locality as a message parameter (its state's script for readers of that state's language)."""

    name_latin: str
    name_national: str
    state_code: str

    @classmethod
    def of(cls, place: NamedPlace) -> PlaceName:
        return cls(place.name_latin, place.name_national, place.state.code)

    @property
    def state(self) -> _PlaceState:
        return _PlaceState(self.state_code)

    def localized(self, locale: str) -> str:
        return place_name(self, locale)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.name_latin
