"""Creating, changing and (de)activating reference records. Every function checks the rules in
``lbt.reference.rules`` before it touches a record, so a refusal leaves the record as it was.

``create_*``/``update_*`` serve one record at a time (a form); a batch (the CSV import) calls
``save_*`` with one ``Lookup`` for all its rows and ``flush=False``, then flushes once. Lists and
detail pages read through ``lbt.reference.queries``.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.dates import state_time_zone
from lbt.core.errors import N_, ValidationFailed
from lbt.reference import rules
from lbt.reference.data import (
    PAYMENT_INSTRUCTION_FIELDS,
    AgreementData,
    BorderSectionData,
    CrossingPointData,
    LocalityData,
    StateData,
)
from lbt.reference.lookup import Lookup
from lbt.reference.models import (
    Agreement,
    BorderSection,
    CrossingPoint,
    CrossingPointKind,
    Locality,
    State,
    agreement_crossing_points,
)

ReferenceRecord = State | Agreement | Locality | CrossingPoint | BorderSection

# the rules of an agreement copied as entered (lists and related records are set on their own)
_AGREEMENT_NUMBERS = (
    "in_force_from",
    "in_force_until",
    "border_area_km",
    "border_area_straddle_km",
    "min_residence_years",
    "family_exempt_from_residence",
    "admits_family_of_other_nationality",
    "admits_long_term_residents",
    "border_area_name_a",
    "border_area_name_b",
    "validity_min_years",
    "validity_max_years",
    "first_permit_max_years",
    "max_stay_days",
    "rolling_window_days",
    "rolling_limit_days",
    "all_crossing_points",
    "both_sides_record",
    "fee_amount",
    "fee_currency",
    "decision_deadline_days",
    "reconsideration_days",
)


def _finish(session: Session, lookup: Lookup, record: ReferenceRecord, flush: bool) -> None:
    session.add(record)
    lookup.remember(record)
    if not flush:
        return
    try:
        session.flush()
    except IntegrityError as error:  # another request saved a clashing record between our check and now
        raise ValidationFailed(
            N_("Someone else saved a conflicting change at the same time. Reload the page and try again.")
        ) from error


def _taken(found: ReferenceRecord | None, record: ReferenceRecord | None) -> bool:
    return found is not None and found is not record


def _state(lookup: Lookup, code: str, field: str) -> State:
    state = lookup.state(code)
    if state is None:
        raise ValidationFailed(N_("Unknown state %(code)s."), field, code=code)
    return state


def _agreement(lookup: Lookup, code: str, field: str) -> Agreement:
    agreement = lookup.agreement(code)
    if agreement is None:
        raise ValidationFailed(N_("Unknown agreement %(code)s."), field, code=code)
    return agreement


# --- states -----------------------------------------------------------------------------------


def save_state(
    session: Session,
    state: State | None,
    data: StateData,
    *,
    lookup: Lookup | None = None,
    flush: bool = True,
) -> State:
    """Create a state (``state`` is None) or change one; ISO alpha-2 and ICAO alpha-3 codes are unique."""
    lookup = lookup or Lookup(session)
    data = rules.clean_state(data)
    if _taken(lookup.state(data.code), state):
        raise ValidationFailed(N_("The code %(code)s is taken."), "code", code=data.code)
    if _taken(lookup.state_with_alpha3(data.alpha3), state):
        raise ValidationFailed(N_("The code %(code)s is taken."), "alpha3", code=data.alpha3)
    state = state or State()
    state.code, state.alpha3 = data.code, data.alpha3
    state.name_en, state.name_ru, state.name_national = data.name_en, data.name_ru, data.name_national
    _finish(session, lookup, state, flush)
    return state


def create_state(session: Session, data: StateData) -> State:
    return save_state(session, None, data)


def update_state(session: Session, state: State, data: StateData) -> State:
    return save_state(session, state, data)


# --- agreements -------------------------------------------------------------------------------


def save_agreement(
    session: Session,
    agreement: Agreement | None,
    data: AgreementData,
    *,
    lookup: Lookup | None = None,
    flush: bool = True,
) -> Agreement:
    """Create or change an LBT agreement; its numbers stay within Reg. (EC) No 1931/2006."""
    lookup = lookup or Lookup(session)
    data = rules.clean_agreement(data)
    if _taken(lookup.agreement(data.code), agreement):
        raise ValidationFailed(N_("The code %(code)s is taken."), "code", code=data.code)
    state_a = _state(lookup, data.state_a_code, "state_a_code")
    state_b = _state(lookup, data.state_b_code, "state_b_code")
    points = []
    for point_code in data.allowed_crossing_point_codes:
        point = lookup.crossing_point(point_code)
        if point is None:
            raise ValidationFailed(
                N_("Unknown crossing point %(code)s."), "allowed_crossing_point_codes", code=point_code
            )
        points.append(point)
    rules.check_allowed_crossing_points(agreement, points)
    if agreement is not None and agreement.id is not None:
        _check_agreement_keeps_its_records(session, agreement, state_a, state_b, data.border_area_straddle_km)
    agreement = agreement or Agreement()
    agreement.code, agreement.name = data.code, data.name
    agreement.state_a, agreement.state_b = state_a, state_b
    for name in _AGREEMENT_NUMBERS:
        setattr(agreement, name, getattr(data, name))
    agreement.fee_exemptions = list(data.fee_exemptions)
    agreement.payment_instructions = {
        locale: getattr(data, name)
        for locale, name in PAYMENT_INSTRUCTION_FIELDS.items()
        if getattr(data, name)
    }
    agreement.reasons = list(data.reasons)
    agreement.allowed_crossing_points = points
    _finish(session, lookup, agreement, flush)
    return agreement


def _check_agreement_keeps_its_records(
    session: Session, agreement: Agreement, state_a: State, state_b: State, straddle_km: int
) -> None:
    """Changing an agreement may not strand its localities and crossing points outside it."""
    state_ids = [state_a.id, state_b.id]
    # the field of the state that would be dropped
    field = (
        "state_b_code"
        if agreement.state_a_id in state_ids and agreement.state_b_id not in state_ids
        else "state_a_code"
    )
    locality = session.scalar(
        select(Locality.name_latin)
        .where(Locality.agreement_id == agreement.id, Locality.state_id.not_in(state_ids))
        .limit(1)
    )
    if locality is not None:
        raise ValidationFailed(
            N_("Locality %(name)s lies in a state this agreement would no longer cover."),
            field,
            name=locality,
        )
    point = session.scalar(
        select(CrossingPoint.code)
        .where(CrossingPoint.agreement_id == agreement.id, CrossingPoint.state_id.not_in(state_ids))
        .limit(1)
    )
    if point is not None:
        raise ValidationFailed(
            N_("Crossing point %(code)s stands in a state this agreement would no longer cover."),
            field,
            code=point,
        )
    farthest = session.scalar(
        select(func.max(Locality.distance_km)).where(Locality.agreement_id == agreement.id)
    )
    if farthest is not None and farthest > straddle_km:
        raise ValidationFailed(
            N_("A locality of this agreement lies %(distance)s km from the border, beyond the border area."),
            "border_area_straddle_km",
            distance=farthest,
        )


def create_agreement(session: Session, data: AgreementData) -> Agreement:
    return save_agreement(session, None, data)


def update_agreement(session: Session, agreement: Agreement, data: AgreementData) -> Agreement:
    return save_agreement(session, agreement, data)


# --- localities -------------------------------------------------------------------------------


def save_locality(
    session: Session,
    locality: Locality | None,
    data: LocalityData,
    *,
    lookup: Lookup | None = None,
    flush: bool = True,
) -> Locality:
    """Art. 3: a listed locality lies in one of the agreement's states, inside its border area."""
    lookup = lookup or Lookup(session)
    data = rules.clean_locality(data)
    agreement = _agreement(lookup, data.agreement_code, "agreement_code")
    state = _state(lookup, data.state_code, "state_code")
    rules.check_locality_place(data, agreement, state)
    if _taken(lookup.locality(agreement, state, data.district, data.name_latin), locality):
        raise ValidationFailed(
            N_("Locality %(name)s in %(district)s is already listed for this agreement."),
            "name_latin",
            name=data.name_latin,
            district=data.district,
        )
    locality = locality or Locality()
    locality.agreement, locality.state = agreement, state
    # set now, not at the flush: a batch finds the localities it created by these keys
    locality.agreement_id, locality.state_id = agreement.id, state.id
    locality.district, locality.name_latin, locality.name_national = (
        data.district,
        data.name_latin,
        data.name_national,
    )
    locality.distance_km = data.distance_km
    locality.population = data.population
    _finish(session, lookup, locality, flush)
    return locality


def create_locality(session: Session, data: LocalityData) -> Locality:
    return save_locality(session, None, data)


def update_locality(session: Session, locality: Locality, data: LocalityData) -> Locality:
    return save_locality(session, locality, data)


# --- crossing points --------------------------------------------------------------------------


def save_crossing_point(
    session: Session,
    point: CrossingPoint | None,
    data: CrossingPointData,
    *,
    lookup: Lookup | None = None,
    flush: bool = True,
) -> CrossingPoint:
    """A crossing point stands on one side of its agreement's border."""
    lookup = lookup or Lookup(session)
    data = rules.clean_crossing_point(data)
    if _taken(lookup.crossing_point(data.code), point):
        raise ValidationFailed(N_("The code %(code)s is taken."), "code", code=data.code)
    agreement = _agreement(lookup, data.agreement_code, "agreement_code")
    state = _state(lookup, data.state_code, "state_code")
    rules.state_of_agreement(state, agreement, "state_code")
    if point is not None and point.id is not None and point.agreement is not agreement:
        naming = session.scalar(
            select(Agreement.code)
            .join(agreement_crossing_points, agreement_crossing_points.c.agreement_id == Agreement.id)
            .where(agreement_crossing_points.c.crossing_point_id == point.id)
            .limit(1)
        )
        if naming is not None:
            raise ValidationFailed(
                N_("Agreement %(agreement)s names this crossing point; remove it there before moving it."),
                "agreement_code",
                agreement=naming,
            )
    point = point or CrossingPoint()
    point.code, point.name, point.kind = data.code, data.name, CrossingPointKind(data.kind)
    point.opening_hours = data.opening_hours
    point.time_zone = data.time_zone or state_time_zone(state.code)
    point.agreement, point.state = agreement, state
    _finish(session, lookup, point, flush)
    return point


def create_crossing_point(session: Session, data: CrossingPointData) -> CrossingPoint:
    return save_crossing_point(session, None, data)


def update_crossing_point(session: Session, point: CrossingPoint, data: CrossingPointData) -> CrossingPoint:
    return save_crossing_point(session, point, data)


# --- border sections --------------------------------------------------------------------------


def save_border_section(
    session: Session,
    section: BorderSection | None,
    data: BorderSectionData,
    *,
    lookup: Lookup | None = None,
    flush: bool = True,
) -> BorderSection:
    """A section of the common border of two states, with the languages its meetings are held in."""
    lookup = lookup or Lookup(session)
    data = rules.clean_border_section(data)
    if _taken(lookup.border_section(data.code), section):
        raise ValidationFailed(N_("The code %(code)s is taken."), "code", code=data.code)
    state_a = _state(lookup, data.state_a_code, "state_a_code")
    state_b = _state(lookup, data.state_b_code, "state_b_code")
    if section is not None and section.id is not None:
        stranded = session.scalar(
            select(User.username)
            .join(User.border_sections)
            .where(BorderSection.id == section.id, User.state_id.not_in([state_a.id, state_b.id]))
            .limit(1)
        )
        if stranded is not None:
            raise ValidationFailed(
                N_("Representative %(username)s acts for a state this section would no longer border."),
                "state_a_code",
                username=stranded,
            )
    section = section or BorderSection()
    section.code, section.name, section.description = data.code, data.name, data.description
    section.state_a, section.state_b = state_a, state_b
    section.working_languages = list(data.working_languages)
    section.time_zone = data.time_zone or state_time_zone(state_a.code)
    _finish(session, lookup, section, flush)
    return section


def create_border_section(session: Session, data: BorderSectionData) -> BorderSection:
    return save_border_section(session, None, data)


def update_border_section(session: Session, section: BorderSection, data: BorderSectionData) -> BorderSection:
    return save_border_section(session, section, data)


# --- all kinds --------------------------------------------------------------------------------


def set_active(session: Session, record: ReferenceRecord, active: bool) -> None:
    """An inactive record stays for history (permits and logs name it) but is offered no more."""
    record.is_active = active
    session.flush()
