"""What a person enters for each kind of reference record, by codes (as typed in a form or a CSV
file), before any rule has looked at it. ``of(record)`` gives the values a record holds now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lbt.reference.models import Agreement, BorderSection, CrossingPoint, Locality, State

# the agreement's payment_instructions key ("": every language) -> the AgreementData field (and CSV column)
PAYMENT_INSTRUCTION_FIELDS = {
    "": "payment_instructions",
    **{locale: f"payment_instructions_{locale}" for locale in ("en", "ru", "tg", "ky", "uz")},
}


@dataclass(frozen=True)
class StateData:
    code: str
    alpha3: str
    name_en: str
    name_ru: str
    name_national: str

    @classmethod
    def of(cls, state: State) -> StateData:
        return cls(state.code, state.alpha3, state.name_en, state.name_ru, state.name_national)


@dataclass(frozen=True)
class AgreementData:
    """Defaults are the EU outer bounds of Reg. (EC) No 1931/2006; agreements set stricter numbers."""

    code: str
    name: str
    state_a_code: str
    state_b_code: str
    in_force_from: date
    in_force_until: date | None = None
    border_area_km: int = 30
    border_area_straddle_km: int = 50
    min_residence_years: int = 1
    family_exempt_from_residence: bool = False
    admits_family_of_other_nationality: bool = False
    admits_long_term_residents: bool = False
    border_area_name_a: str = ""
    border_area_name_b: str = ""
    validity_min_years: int = 1
    validity_max_years: int = 5
    first_permit_max_years: int = 2
    max_stay_days: int = 90
    rolling_window_days: int | None = None
    rolling_limit_days: int | None = None
    all_crossing_points: bool = True
    both_sides_record: bool = False
    allowed_crossing_point_codes: tuple[str, ...] = ()
    fee_amount: Decimal = Decimal("0")
    fee_currency: str = "EUR"
    fee_exemptions: tuple[str, ...] = ()
    # how and where to pay: one text for every language, and the text in a language (preferred there)
    payment_instructions: str = ""
    payment_instructions_en: str = ""
    payment_instructions_ru: str = ""
    payment_instructions_tg: str = ""
    payment_instructions_ky: str = ""
    payment_instructions_uz: str = ""
    reasons: tuple[str, ...] = ()
    decision_deadline_days: int = 30
    reconsideration_days: int = 14

    @classmethod
    def of(cls, agreement: Agreement) -> AgreementData:
        return cls(
            code=agreement.code,
            name=agreement.name,
            state_a_code=agreement.state_a.code,
            state_b_code=agreement.state_b.code,
            in_force_from=agreement.in_force_from,
            in_force_until=agreement.in_force_until,
            border_area_km=agreement.border_area_km,
            border_area_straddle_km=agreement.border_area_straddle_km,
            min_residence_years=agreement.min_residence_years,
            family_exempt_from_residence=agreement.family_exempt_from_residence,
            admits_family_of_other_nationality=agreement.admits_family_of_other_nationality,
            admits_long_term_residents=agreement.admits_long_term_residents,
            border_area_name_a=agreement.border_area_name_a,
            border_area_name_b=agreement.border_area_name_b,
            validity_min_years=agreement.validity_min_years,
            validity_max_years=agreement.validity_max_years,
            first_permit_max_years=agreement.first_permit_max_years,
            max_stay_days=agreement.max_stay_days,
            rolling_window_days=agreement.rolling_window_days,
            rolling_limit_days=agreement.rolling_limit_days,
            all_crossing_points=agreement.all_crossing_points,
            both_sides_record=agreement.both_sides_record,
            allowed_crossing_point_codes=tuple(point.code for point in agreement.allowed_crossing_points),
            fee_amount=agreement.fee_amount,
            fee_currency=agreement.fee_currency,
            fee_exemptions=tuple(agreement.fee_exemptions),
            **{
                PAYMENT_INSTRUCTION_FIELDS[locale]: text
                for locale, text in (agreement.payment_instructions or {}).items()
                if locale in PAYMENT_INSTRUCTION_FIELDS
            },
            reasons=tuple(agreement.reasons),
            decision_deadline_days=agreement.decision_deadline_days,
            reconsideration_days=agreement.reconsideration_days,
        )


@dataclass(frozen=True)
class LocalityData:
    agreement_code: str
    state_code: str
    district: str
    name_latin: str
    name_national: str
    distance_km: Decimal
    population: int | None = None  # residents eligible by place; None: unknown

    @classmethod
    def of(cls, locality: Locality) -> LocalityData:
        return cls(
            agreement_code=locality.agreement.code,
            state_code=locality.state.code,
            district=locality.district,
            name_latin=locality.name_latin,
            name_national=locality.name_national,
            distance_km=locality.distance_km,
            population=locality.population,
        )


@dataclass(frozen=True)
class CrossingPointData:
    code: str
    name: str
    kind: str
    agreement_code: str
    state_code: str
    opening_hours: str = ""
    time_zone: str = ""  # IANA name; empty: the state's zone

    @classmethod
    def of(cls, point: CrossingPoint) -> CrossingPointData:
        return cls(
            code=point.code,
            name=point.name,
            kind=point.kind.value,
            agreement_code=point.agreement.code,
            state_code=point.state.code,
            opening_hours=point.opening_hours,
            time_zone=point.time_zone,
        )


@dataclass(frozen=True)
class BorderSectionData:
    code: str
    name: str
    state_a_code: str
    state_b_code: str
    description: str = ""
    working_languages: tuple[str, ...] = ()
    time_zone: str = ""  # IANA name; empty: the first state's zone

    @classmethod
    def of(cls, section: BorderSection) -> BorderSectionData:
        return cls(
            code=section.code,
            name=section.name,
            state_a_code=section.state_a.code,
            state_b_code=section.state_b.code,
            description=section.description,
            working_languages=tuple(section.working_languages),
            time_zone=section.time_zone,
        )
