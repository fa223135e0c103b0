"""The rules reference data must follow, as pure functions: each ``clean_*`` returns the entered
values tidied (codes in capitals, spaces trimmed, lists in a fixed order) or raises ``ValidationFailed``
naming the field. They run before the database's own CHECK constraints, so a person reads a sentence
instead of meeting an error page."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from enum import StrEnum

from lbt.core.dates import is_time_zone
from lbt.core.errors import N_, ValidationFailed
from lbt.reference.data import (
    PAYMENT_INSTRUCTION_FIELDS,
    AgreementData,
    BorderSectionData,
    CrossingPointData,
    LocalityData,
    StateData,
)
from lbt.reference.models import (
    Agreement,
    CrossingPoint,
    CrossingPointKind,
    CrossingReason,
    FeeExemption,
    State,
)

# Languages a border section's meetings and protocols may be held in (ISO 639-1).
WORKING_LANGUAGES = ("tg", "ky", "uz", "ru", "kk", "tk", "fa", "en")

NAME_LENGTH = 120
LONG_NAME_LENGTH = 200
DESCRIPTION_LENGTH = 5000
MAX_POPULATION = 10_000_000  # more residents than any border-area locality has: a typing slip
EU_BORDER_AREA_KM = 50  # Art. 3: up to 30 km, or a locality straddling 30-50 km
EU_MAX_STAY_DAYS = 90  # Art. 5: one stay of at most three months
EU_MAX_VALIDITY_YEARS = 5  # Art. 10
MAX_PROCEDURE_DAYS = 365
MAX_RESIDENCE_YEARS = 99  # Art. 4 sets only the lower bound; this keeps the number sane
MAX_FEE = Decimal("99999999.99")  # Numeric(10, 2)
PAYMENT_INSTRUCTIONS_LENGTH = 2000

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")
_LETTERS = re.compile(r"^[A-Z]+$")


def text(value: str, field: str, max_length: int, *, required: bool = True) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise ValidationFailed(N_("This field is required."), field)
    if len(cleaned) > max_length:
        raise ValidationFailed(N_("At most %(max)d characters are allowed."), field, max=max_length)
    return cleaned


def code(value: str, field: str, max_length: int) -> str:
    """Codes are kept in capitals: Latin letters, digits, dot, dash, underscore."""
    cleaned = text(value, field, max_length).upper()
    if not _CODE.match(cleaned):
        raise ValidationFailed(N_("Use Latin letters, digits, dot, dash or underscore."), field)
    return cleaned


def letters(value: str, field: str, length: int) -> str:
    cleaned = value.strip().upper()
    if len(cleaned) != length or not _LETTERS.match(cleaned):
        raise ValidationFailed(N_("Enter exactly %(length)d Latin letters."), field, length=length)
    return cleaned


def between(value: int, field: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ValidationFailed(N_("Enter a number from %(low)d to %(high)d."), field, low=low, high=high)
    return value


def decimal_places(value: Decimal, field: str, places: int) -> Decimal:
    if not value.is_finite():
        raise ValidationFailed(N_("Enter a number."), field)
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        raise ValidationFailed(
            N_("Use at most %(places)d digits after the decimal point."), field, places=places
        )
    return value


def choices(values: Iterable[str], allowed: type[StrEnum] | tuple[str, ...], field: str) -> tuple[str, ...]:
    """Known values only, each once, in the order of the list they come from."""
    known = [str(member) for member in allowed]
    given = {value.strip().lower() for value in values if value.strip()}
    unknown = sorted(given.difference(known))
    if unknown:
        raise ValidationFailed(N_("Unknown value(s): %(values)s."), field, values=", ".join(unknown))
    return tuple(value for value in known if value in given)


def two_states(state_a_code: str, state_b_code: str) -> None:
    if state_a_code == state_b_code:
        raise ValidationFailed(N_("The two states must differ."), "state_b_code")


def clean_state(data: StateData) -> StateData:
    return StateData(
        code=letters(data.code, "code", 2),
        alpha3=letters(data.alpha3, "alpha3", 3),
        name_en=text(data.name_en, "name_en", NAME_LENGTH),
        name_ru=text(data.name_ru, "name_ru", NAME_LENGTH),
        name_national=text(data.name_national, "name_national", NAME_LENGTH),
    )


def clean_agreement(data: AgreementData) -> AgreementData:
    """Reg. (EC) No 1931/2006 as amended: every number of an agreement stays inside the EU bounds."""
    cleaned = replace(
        data,
        code=code(data.code, "code", 40),
        name=text(data.name, "name", LONG_NAME_LENGTH),
        border_area_name_a=text(
            data.border_area_name_a or "", "border_area_name_a", LONG_NAME_LENGTH, required=False
        ),
        border_area_name_b=text(
            data.border_area_name_b or "", "border_area_name_b", LONG_NAME_LENGTH, required=False
        ),
        state_a_code=letters(data.state_a_code, "state_a_code", 2),
        state_b_code=letters(data.state_b_code, "state_b_code", 2),
        allowed_crossing_point_codes=tuple(
            dict.fromkeys(
                point.strip().upper() for point in data.allowed_crossing_point_codes if point.strip()
            )
        ),
        fee_currency=letters(data.fee_currency, "fee_currency", 3),
        fee_exemptions=choices(data.fee_exemptions, FeeExemption, "fee_exemptions"),
        reasons=choices(data.reasons, CrossingReason, "reasons"),
        **{
            name: text(getattr(data, name) or "", name, PAYMENT_INSTRUCTIONS_LENGTH, required=False)
            for name in PAYMENT_INSTRUCTION_FIELDS.values()
        },
    )
    two_states(cleaned.state_a_code, cleaned.state_b_code)
    if cleaned.in_force_until is not None and cleaned.in_force_until <= cleaned.in_force_from:
        raise ValidationFailed(N_("The end date must come after the start date."), "in_force_until")
    _check_area_and_residence(cleaned)
    _check_validity(cleaned)
    _check_stays(cleaned)
    _check_fee_and_procedure(cleaned)
    if cleaned.all_crossing_points and cleaned.allowed_crossing_point_codes:
        raise ValidationFailed(
            N_("Name crossing points only when the agreement does not allow all of them."),
            "allowed_crossing_point_codes",
        )
    return cleaned


def _check_area_and_residence(data: AgreementData) -> None:
    """Art. 3: a border area of at most 30 km (here up to 50), straddling localities up to 50 km;
    Art. 4: at least one year of lawful residence."""
    between(data.border_area_km, "border_area_km", 1, EU_BORDER_AREA_KM)
    if not data.border_area_km <= data.border_area_straddle_km <= EU_BORDER_AREA_KM:
        raise ValidationFailed(
            N_(
                "A straddling locality may reach from %(low)d to %(high)d km (not less than the border area)."
            ),
            "border_area_straddle_km",
            low=data.border_area_km,
            high=EU_BORDER_AREA_KM,
        )
    between(data.min_residence_years, "min_residence_years", 1, MAX_RESIDENCE_YEARS)


def _check_validity(data: AgreementData) -> None:
    """Art. 10: a permit is valid at least one year and at most five."""
    between(data.validity_min_years, "validity_min_years", 1, EU_MAX_VALIDITY_YEARS)
    between(data.validity_max_years, "validity_max_years", 1, EU_MAX_VALIDITY_YEARS)
    if data.validity_min_years > data.validity_max_years:
        raise ValidationFailed(
            N_("The longest validity cannot be shorter than the shortest."), "validity_max_years"
        )
    if not data.validity_min_years <= data.first_permit_max_years <= data.validity_max_years:
        raise ValidationFailed(
            N_("A first permit's longest validity must lie between %(low)d and %(high)d years."),
            "first_permit_max_years",
            low=data.validity_min_years,
            high=data.validity_max_years,
        )


def _check_stays(data: AgreementData) -> None:
    """Art. 5: one uninterrupted stay of at most three months; an optional rolling limit
    ("90 days in any 180") needs both of its numbers."""
    between(data.max_stay_days, "max_stay_days", 1, EU_MAX_STAY_DAYS)
    window, limit = data.rolling_window_days, data.rolling_limit_days
    if (window is None) != (limit is None):
        field = "rolling_limit_days" if limit is None else "rolling_window_days"
        raise ValidationFailed(N_("Give both numbers of the rolling limit, or neither."), field)
    if window is not None and limit is not None:
        between(window, "rolling_window_days", 1, 3 * MAX_PROCEDURE_DAYS)
        if not 1 <= limit <= window:
            raise ValidationFailed(
                N_("The days allowed must be from 1 to the length of the window (%(window)d)."),
                "rolling_limit_days",
                window=window,
            )


def _check_fee_and_procedure(data: AgreementData) -> None:
    decimal_places(data.fee_amount, "fee_amount", 2)  # first: it refuses NaN, which cannot be compared
    if data.fee_amount < 0:
        raise ValidationFailed(N_("The fee cannot be negative."), "fee_amount")
    if data.fee_amount > MAX_FEE:
        raise ValidationFailed(N_("The fee is too large."), "fee_amount")
    if not data.reasons:
        raise ValidationFailed(N_("Choose at least one reason to cross."), "reasons")
    between(data.decision_deadline_days, "decision_deadline_days", 1, MAX_PROCEDURE_DAYS)
    between(data.reconsideration_days, "reconsideration_days", 1, MAX_PROCEDURE_DAYS)


def check_allowed_crossing_points(agreement: Agreement | None, points: Iterable[CrossingPoint]) -> None:
    """Art. 4(2)(c): an agreement may name only crossing points on its own border."""
    foreign = [point.code for point in points if agreement is None or point.agreement is not agreement]
    if foreign:
        raise ValidationFailed(
            N_("Crossing point(s) %(codes)s belong to another agreement."),
            "allowed_crossing_point_codes",
            codes=", ".join(foreign),
        )


def state_of_agreement(state: State, agreement: Agreement, field: str) -> None:
    if state is not agreement.state_a and state is not agreement.state_b:
        raise ValidationFailed(
            N_("The state must be %(state_a)s or %(state_b)s, the states of agreement %(agreement)s."),
            field,
            state_a=agreement.state_a.code,
            state_b=agreement.state_b.code,
            agreement=agreement.code,
        )


def clean_locality(data: LocalityData) -> LocalityData:
    return replace(
        data,
        agreement_code=code(data.agreement_code, "agreement_code", 40),
        state_code=letters(data.state_code, "state_code", 2),
        district=text(data.district, "district", NAME_LENGTH),
        name_latin=text(data.name_latin, "name_latin", NAME_LENGTH),
        name_national=text(data.name_national, "name_national", NAME_LENGTH),
        distance_km=decimal_places(data.distance_km, "distance_km", 1),
        population=population(data.population),
    )


def population(value: int | None) -> int | None:
    """COM(2011) 47: permits are counted against the eligible population; a whole number of residents,
    or None when unknown (the reports then leave the share out)."""
    if value is None:
        return None
    return between(value, "population", 0, MAX_POPULATION)


def check_locality_place(data: LocalityData, agreement: Agreement, state: State) -> None:
    """Art. 3: a listed locality lies on one side of the agreement's border, inside its border area."""
    state_of_agreement(state, agreement, "state_code")
    if not Decimal(0) <= data.distance_km <= agreement.border_area_straddle_km:
        raise ValidationFailed(
            N_("The distance must be from 0 to %(max)d km, the border area of agreement %(agreement)s."),
            "distance_km",
            max=agreement.border_area_straddle_km,
            agreement=agreement.code,
        )


def clean_crossing_point(data: CrossingPointData) -> CrossingPointData:
    return replace(
        data,
        code=code(data.code, "code", 20),
        name=text(data.name, "name", LONG_NAME_LENGTH),
        kind=_crossing_point_kind(data.kind),
        agreement_code=code(data.agreement_code, "agreement_code", 40),
        state_code=letters(data.state_code, "state_code", 2),
        opening_hours=text(data.opening_hours, "opening_hours", NAME_LENGTH, required=False),
        time_zone=time_zone(data.time_zone),
    )


def time_zone(value: str) -> str:
    """An IANA zone the system knows (Asia/Dushanbe), or empty for the state's own."""
    name = value.strip()
    if name and not is_time_zone(name):
        raise ValidationFailed(
            N_("Unknown time zone %(zone)s: use an IANA name such as Asia/Dushanbe."), "time_zone", zone=value
        )
    return name


def _crossing_point_kind(value: str) -> str:
    kind = value.strip().lower()
    if kind not in {str(member) for member in CrossingPointKind}:
        raise ValidationFailed(N_("Unknown kind %(kind)s: use road, rail or pedestrian."), "kind", kind=value)
    return kind


def clean_border_section(data: BorderSectionData) -> BorderSectionData:
    cleaned = replace(
        data,
        code=code(data.code, "code", 20),
        name=text(data.name, "name", LONG_NAME_LENGTH),
        state_a_code=letters(data.state_a_code, "state_a_code", 2),
        state_b_code=letters(data.state_b_code, "state_b_code", 2),
        description=text(data.description, "description", DESCRIPTION_LENGTH, required=False),
        working_languages=choices(data.working_languages, WORKING_LANGUAGES, "working_languages"),
        time_zone=time_zone(data.time_zone),
    )
    two_states(cleaned.state_a_code, cleaned.state_b_code)
    if not cleaned.working_languages:
        raise ValidationFailed(N_("Choose at least one working language."), "working_languages")
    return cleaned
