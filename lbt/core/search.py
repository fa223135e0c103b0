"""The staff's one search box: a record number, a travel document number or the start of a name."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.orm import InstrumentedAttribute

from lbt.core.transliteration import to_latin


def normalise_document_number(number: str) -> str:
    """A travel document number as stored: upper-case, letters and digits only."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def search_condition(
    search: str,
    *,
    name: InstrumentedAttribute[str],
    document_number: InstrumentedAttribute[str],
    exact: Iterable[InstrumentedAttribute[str]] = (),
) -> ColumnElement[bool]:
    """One search box for a reference or permit number (exact), a travel document number (as stored:
    upper-case, letters and digits only) or the start of a name, surname first, transliterated. The name
    is matched by prefix so that the pattern index on ``search_name`` serves it; names have no digits,
    so a query with digits is not read as a name."""
    text = search.strip()
    conditions: list[ColumnElement[bool]] = [column == text.upper() for column in exact]
    number = normalise_document_number(text)
    if number:
        conditions.append(document_number == number)
    key = to_latin(text)
    if key and not any(char.isdigit() for char in text):
        # to_latin leaves only A-Z, space, hyphen and apostrophe: nothing LIKE would read as a wildcard
        conditions.append(name.like(f"{key}%"))
    return or_(*conditions) if conditions else false()
