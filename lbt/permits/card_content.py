"""What the permit card prints, as the caller hands it over: the permit's values (``CardData``), the
translated fixed texts (``CardLabels``), and ``CardError`` for a card that cannot be printed as asked."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date


class CardError(ValueError):
    """A card cannot be printed as asked: a bad photo, a character the font lacks, text or QR too long."""


@dataclass(frozen=True)
class CardLabels:
    """The fixed texts of the card; ``bilingual`` puts two languages into one set."""

    title: str
    surname: str
    given_names: str
    birth_date: str
    sex: str
    nationality: str
    permit_number: str
    valid_from: str
    valid_until: str
    max_stay_days: str
    document_number: str
    residence: str
    border_area: str
    issuing_authority: str
    issued_on: str
    statement_border_area: str
    statement_misuse: str
    locale: str = "en"  # the dates are printed as this language writes them (lbt.core.dates)

    @classmethod
    def english(cls) -> CardLabels:
        return cls(
            title="Local border traffic permit",
            surname="Surname",
            given_names="Given names",
            birth_date="Date of birth",
            sex="Sex",
            nationality="Nationality",
            permit_number="Permit No.",
            valid_from="Valid from",
            valid_until="Valid until",
            max_stay_days="Max. stay (days)",
            document_number="Travel document No.",
            residence="Place of residence",
            border_area="Valid in the border area",
            issuing_authority="Issuing authority",
            issued_on="Date of issue",
            statement_border_area="The holder may not leave the border area.",
            statement_misuse="Misuse is penalised.",
        )

    @classmethod
    def bilingual(cls, first: CardLabels, second: CardLabels) -> CardLabels:
        """Captions read "first / second"; the title and statements get one line per language."""
        joined = {}
        for name in (f.name for f in fields(cls) if f.name != "locale"):
            separator = "\n" if name in ("title", "statement_border_area", "statement_misuse") else " / "
            joined[name] = f"{getattr(first, name)}{separator}{getattr(second, name)}"
        return cls(**joined, locale=first.locale)


@dataclass(frozen=True)
class CardData:
    """Everything printed on one card, as plain values (copied from the permit by the caller)."""

    number: str
    surname_national: str
    given_names_national: str
    surname_latin: str
    given_names_latin: str
    birth_date: date
    sex: str
    nationality: str
    residence_national: str
    residence_latin: str
    district: str
    issuing_state: str
    issuing_authority: str
    issued_on: date
    valid_from: date
    valid_until: date
    border_area: str
    document_number: str
    max_stay_days: int
    photo: bytes = field(repr=False)
    qr_text: str = field(repr=False)  # <public_url>/v#<JWS>
