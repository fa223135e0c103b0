"""The automatic eligibility checklist an officer sees (and decides on) for an application."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import MAXYEAR, MINYEAR, date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.alerts.models import AlertHit
from lbt.applications.models import Application
from lbt.core.errors import N_, Message, Nn_
from lbt.permits.models import Permit, PermitStatus
from lbt.reference.models import Agreement, FeeExemption, Locality, State
from lbt.reference.names import PlaceName, StateName

ADULT_AGE = 18
PENSION_AGE = 63


def years_between(start: date, end: date) -> int:
    """Whole years from ``start`` to ``end`` (a 29 February start counts its birthday on 1 March)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later (29 February gives 1 March in a common year); a year past what a
    date can hold (9999) gives the last day there is, so a far date is a refusal, never a crash."""
    year = day.year + years
    if year > MAXYEAR:
        return date.max
    if year < MINYEAR:
        return date.min
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return day.replace(year=year, month=3, day=1)


@dataclass(frozen=True)
class CheckItem:
    code: str
    ok: bool
    message: Message  # msgid with %(name)s placeholders, or a plural pair counted by "num"
    params: dict[str, Any] = field(default_factory=dict)


def nationality_rule(agreement: Agreement, partner: State, nationality: str, family: bool) -> CheckItem:
    """Art. 3: border residents are nationals of the partner state; the agreement may also admit family
    members of another nationality and holders of the partner state's long-term residence permit."""
    if nationality.strip().upper() == partner.alpha3:
        return CheckItem("nationality", True, N_("National of %(state)s."), {"state": StateName.of(partner)})
    if family and agreement.admits_family_of_other_nationality:
        return CheckItem(
            "nationality",
            True,
            N_("Family member of a border resident: the agreement admits any nationality."),
            {},
        )
    if agreement.admits_long_term_residents:
        return CheckItem(
            "nationality",
            True,
            N_(
                "Not a national of %(state)s: admitted with a long-term residence permit of %(state)s (check it)."
            ),
            {"state": StateName.of(partner)},
        )
    return CheckItem(
        "nationality",
        False,
        N_(
            "Not a national of %(state)s: this agreement is for nationals of %(state)s resident in its border area."
        ),
        {"state": StateName.of(partner)},
    )


def _partner_side(locality: Locality, agreement: Agreement, home_state: str) -> CheckItem:
    """The application names a locality outside the partner's border area (made before the home state
    was checked, or the reference data changed since)."""
    return CheckItem(
        "resident_of_partner",
        False,
        N_(
            "%(locality)s is not in the border area of the partner state: permits of %(home)s are for its neighbours' residents."
        ),
        {"locality": PlaceName.of(locality), "home": _home_name(agreement, home_state)},
    )


def _home_name(agreement: Agreement, home_state: str) -> StateName | str:
    home = next((s for s in (agreement.state_a, agreement.state_b) if s.code == home_state), None)
    return StateName.of(home) if home is not None else home_state


def residence_exempt(application: Application, agreement: Agreement) -> bool:
    """Family members of an eligible resident may be exempt from the minimum residence (agreement setting)."""
    return bool(application.family_relationship) and agreement.family_exempt_from_residence


def fee_exemption(application: Application, agreement: Agreement, today: date) -> str | None:
    """The exemption that applies: minors by age, others as claimed (the officer checks the proof)."""
    exempt = set(agreement.fee_exemptions)
    age = years_between(application.birth_date, today)
    if FeeExemption.MINOR.value in exempt and age < ADULT_AGE:
        return FeeExemption.MINOR.value
    if FeeExemption.PENSIONER.value in exempt and age >= PENSION_AGE:
        return FeeExemption.PENSIONER.value
    if application.fee_exemption and application.fee_exemption in exempt:
        return application.fee_exemption
    return None


def checklist(session: Session, application: Application, today: date, *, home_state: str) -> list[CheckItem]:
    agreement = application.agreement
    locality = application.locality
    partner = agreement.partner_of(home_state)
    items = (
        [_partner_side(locality, agreement, home_state)]
        if partner is None or locality.state_id != partner.id
        else []
    )
    items += [
        CheckItem(
            "border_area",
            locality.is_active
            and locality.agreement_id == agreement.id
            and not items
            and float(locality.distance_km) <= agreement.border_area_straddle_km,
            N_(
                "%(locality)s lies %(km)s km from the border (border area: %(limit)s km, straddling up to %(straddle)s km)."
            ),
            {
                "locality": locality.name_latin,
                "km": locality.distance_km,
                "limit": agreement.border_area_km,
                "straddle": agreement.border_area_straddle_km,
            },
        )
    ]
    if partner is not None:
        items.append(
            nationality_rule(
                agreement, partner, application.nationality, bool(application.family_relationship)
            )
        )
    years = years_between(application.resident_since, today)
    if residence_exempt(application, agreement):
        items.append(
            CheckItem(
                "residence", True, N_("Family member of a resident: exempt from the minimum residence."), {}
            )
        )
    else:
        items.append(
            CheckItem(
                "residence",
                years >= agreement.min_residence_years,
                Nn_(
                    "Resident for %(num)d year (at least %(minimum)d needed).",
                    "Resident for %(num)d years (at least %(minimum)d needed).",
                ),
                {"num": years, "minimum": agreement.min_residence_years},
            )
        )
    minimum_until = add_years(today, agreement.validity_min_years) - timedelta(days=1)
    items.append(
        CheckItem(
            "travel_document",
            application.document_expiry >= minimum_until,
            N_("Travel document valid until %(expiry)s (a permit needs it valid until at least %(needed)s)."),
            {"expiry": application.document_expiry, "needed": minimum_until},
        )
    )
    other = session.scalar(
        select(Permit.number).where(
            Permit.document_number == application.document_number,
            Permit.status.in_([PermitStatus.ACTIVE, PermitStatus.SUSPENDED]),
            Permit.valid_until >= today,
            Permit.number != (application.previous_permit_number or ""),
        )
    )
    items.append(
        CheckItem(
            "other_permit",
            other is None,
            N_("No other valid permit.") if other is None else N_("Another valid permit exists: %(number)s."),
            {"number": other} if other else {},
        )
    )
    open_hits = session.scalars(
        select(AlertHit).where(AlertHit.application_id == application.id, AlertHit.cleared_at.is_(None))
    ).all()
    items.append(
        CheckItem(
            "alert_list",
            not open_hits,
            N_("No alert-list hit.")
            if not open_hits
            else Nn_(
                "%(num)d alert-list hit to be cleared by a supervisor.",
                "%(num)d alert-list hits to be cleared by a supervisor.",
            ),
            {"num": len(open_hits)} if open_hits else {},
        )
    )
    exemption = fee_exemption(application, agreement, today)
    items.append(
        CheckItem(
            "fee",
            True,
            N_("Fee waived: %(exemption)s.") if exemption else N_("Fee due: %(amount)s %(currency)s."),
            {"exemption": exemption}
            if exemption
            else {"amount": agreement.fee_amount, "currency": agreement.fee_currency},
        )
    )
    return items
