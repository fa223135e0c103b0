"""The columns of each kind's CSV file (docs/reference-csv.md) and how a cell becomes a value.

A column's name is the name of the value in ``lbt.reference.data``, so a rule's refusal names the
column it concerns. A parser raises ``ValidationFailed`` naming its column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from lbt.core.errors import N_, ValidationFailed
from lbt.reference import services
from lbt.reference.data import (
    PAYMENT_INSTRUCTION_FIELDS,
    AgreementData,
    BorderSectionData,
    CrossingPointData,
    LocalityData,
    StateData,
)
from lbt.reference.lookup import Lookup

OMITTED: Any = object()  # an empty cell that keeps the current value (or, for a new record, the default)

_INTEGER = re.compile(r"^[+-]?\d{1,9}$")
_DECIMAL = re.compile(r"^[+-]?\d{1,12}(?:[.,]\d{1,6})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LIST_SEPARATOR = re.compile(r"[\s,;|]+")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:39] + "…"


def text(value: str, column: str) -> str:
    return value


def integer(value: str, column: str) -> int:
    if not _INTEGER.match(value.strip()):
        raise ValidationFailed(N_("%(value)s is not a whole number."), column, value=_shown(value))
    return int(value)


def number(value: str, column: str) -> Decimal:
    """A decimal number; a comma may stand for the decimal point (as spreadsheets write it in Russian)."""
    if not _DECIMAL.match(value.strip()):
        raise ValidationFailed(N_("%(value)s is not a number."), column, value=_shown(value))
    return Decimal(value.strip().replace(",", "."))


def day(value: str, column: str) -> date:
    try:
        if _DATE.match(value.strip()):
            return date.fromisoformat(value.strip())
    except ValueError:
        pass
    raise ValidationFailed(
        N_("%(value)s is not a date; write it as YYYY-MM-DD."), column, value=_shown(value)
    )


def boolean(value: str, column: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise ValidationFailed(N_("%(value)s is not true or false."), column, value=_shown(value))


def words(value: str, column: str) -> tuple[str, ...]:
    return tuple(word for word in _LIST_SEPARATOR.split(value) if word)


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str, str], Any] = text
    required: bool = False  # the header must name it and no cell may be empty
    # what an empty cell means: OMITTED (keep the current value, or the default), None, "" or ()
    empty: Any = OMITTED

    def value(self, cell: str) -> Any:
        if cell.strip():
            return self.parse(cell, self.name)
        if self.required:
            raise ValidationFailed(N_("This field is required."), self.name)
        return self.empty


@dataclass(frozen=True)
class Kind:
    """One kind of record as a CSV file: its columns, its natural key, and the service that saves it."""

    name: str
    data_class: type[Any]
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]
    preload: tuple[str, ...]
    find: Callable[[Lookup, dict[str, Any]], Any]
    save: Callable[..., Any]

    def key(self, values: dict[str, Any]) -> tuple[str, ...]:
        return tuple(
            str(values[name]).strip().upper() if name.endswith("code") else str(values[name]).strip()
            for name in self.key_columns
        )


def _required(*names: str) -> tuple[Column, ...]:
    return tuple(Column(name, required=True) for name in names)


def _find_locality(lookup: Lookup, values: dict[str, Any]) -> Any:
    agreement = lookup.agreement(values["agreement_code"].strip().upper())
    state = lookup.state(values["state_code"].strip().upper())
    if agreement is None or state is None:
        return None
    return lookup.locality(agreement, state, values["district"].strip(), values["name_latin"].strip())


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "state",
            StateData,
            _required("code", "alpha3", "name_en", "name_ru", "name_national"),
            ("code",),
            ("state",),
            lambda lookup, values: lookup.state(values["code"].strip().upper()),
            services.save_state,
        ),
        Kind(
            "agreement",
            AgreementData,
            (
                *_required("code", "name", "state_a_code", "state_b_code"),
                Column("in_force_from", day, required=True),
                Column("in_force_until", day, empty=None),
                *(
                    Column(name, integer)
                    for name in (
                        "border_area_km",
                        "border_area_straddle_km",
                        "min_residence_years",
                        "validity_min_years",
                        "validity_max_years",
                        "first_permit_max_years",
                        "max_stay_days",
                    )
                ),
                Column("family_exempt_from_residence", boolean),
                Column("admits_family_of_other_nationality", boolean),
                Column("admits_long_term_residents", boolean),
                Column("border_area_name_a"),
                Column("border_area_name_b"),
                Column("rolling_window_days", integer, empty=None),
                Column("rolling_limit_days", integer, empty=None),
                Column("all_crossing_points", boolean),
                Column("both_sides_record", boolean),
                Column("allowed_crossing_point_codes", words, empty=()),
                Column("fee_amount", number),
                Column("fee_currency"),
                Column("fee_exemptions", words, empty=()),
                *(Column(name) for name in PAYMENT_INSTRUCTION_FIELDS.values()),
                Column("reasons", words, required=True),
                Column("decision_deadline_days", integer),
                Column("reconsideration_days", integer),
            ),
            ("code",),
            ("state", "agreement", "crossing_point"),
            lambda lookup, values: lookup.agreement(values["code"].strip().upper()),
            services.save_agreement,
        ),
        Kind(
            "locality",
            LocalityData,
            (
                *_required("agreement_code", "state_code", "district", "name_latin", "name_national"),
                Column("distance_km", number, required=True),
                Column("population", integer, empty=None),
            ),
            ("agreement_code", "state_code", "district", "name_latin"),
            ("state", "agreement", "locality"),
            _find_locality,
            services.save_locality,
        ),
        Kind(
            "crossing_point",
            CrossingPointData,
            (
                *_required("code", "name", "kind", "agreement_code", "state_code"),
                Column("opening_hours", empty=""),
                Column("time_zone", empty=""),
            ),
            ("code",),
            ("state", "agreement", "crossing_point"),
            lambda lookup, values: lookup.crossing_point(values["code"].strip().upper()),
            services.save_crossing_point,
        ),
        Kind(
            "border_section",
            BorderSectionData,
            (
                *_required("code", "name", "state_a_code", "state_b_code"),
                Column("description", empty=""),
                Column("working_languages", words, required=True),
                Column("time_zone", empty=""),
            ),
            ("code",),
            ("state", "border_section"),
            lambda lookup, values: lookup.border_section(values["code"].strip().upper()),
            services.save_border_section,
        ),
    )
}
