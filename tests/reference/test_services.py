from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from lbt.audit.models import AuditEntry
from lbt.audit.services import install_audit_listener
from lbt.core.errors import ValidationFailed
from lbt.reference import queries, services
from lbt.reference.data import AgreementData, BorderSectionData, CrossingPointData, LocalityData, StateData
from lbt.reference.labels import LANGUAGE_LABELS
from lbt.reference.models import Agreement, CrossingPoint, Locality, State
from lbt.reference.queries import ReferenceFilter
from lbt.reference.rules import WORKING_LANGUAGES


def agreement_data(**changes: object) -> AgreementData:
    data = AgreementData(
        code="KG-UZ",
        name="Kyrgyzstan-Uzbekistan LBT",
        state_a_code="KG",
        state_b_code="UZ",
        in_force_from=date(2026, 1, 1),
        min_residence_years=3,
        max_stay_days=30,
        rolling_window_days=180,
        rolling_limit_days=90,
        fee_amount=Decimal("20.00"),
        reasons=("family", "economic"),
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def refusal(call, *args) -> ValidationFailed:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as caught:
        call(*args)
    return caught.value


# --- states -----------------------------------------------------------------------------------


def test_a_new_state_is_stored_with_its_codes_in_capitals(db):
    state = services.create_state(db, StateData(" kz ", "kaz", "Kazakhstan", "Казахстан", "Қазақстан"))
    assert (state.code, state.alpha3, state.is_active) == ("KZ", "KAZ", True)
    assert db.scalar(select(State).where(State.code == "KZ")) is state


def test_creating_a_state_writes_an_audit_entry(db):
    install_audit_listener()  # the application installs it; this test runs without one
    state = services.create_state(db, StateData("KZ", "KAZ", "Kazakhstan", "Казахстан", "Қазақстан"))
    entry = db.scalar(
        select(AuditEntry).where(AuditEntry.entity_type == "states", AuditEntry.entity_id == str(state.id))
    )
    assert entry is not None
    assert entry.action == "create"
    assert '"code":"KZ"' in entry.changes


@pytest.mark.parametrize(
    ("code", "alpha3", "field"),
    [
        ("TJ", "XXX", "code"),
        ("XX", "TJK", "alpha3"),
        ("T", "TJX", "code"),
        ("X1", "XXX", "code"),
        ("XX", "XX", "alpha3"),
    ],
)
def test_a_state_code_must_be_free_and_made_of_letters(db, ref, code, alpha3, field):
    error = refusal(services.create_state, db, StateData(code, alpha3, "X", "X", "X"))
    assert error.field == field


def test_a_state_keeps_its_own_code_when_renamed(db, ref):
    services.update_state(db, ref.tj, StateData("TJ", "TJK", "Tajikistan", "Таджикистан", "Тоҷикистон"))
    assert ref.tj.name_ru == "Таджикистан"


# --- agreements -------------------------------------------------------------------------------


def test_a_valid_agreement_is_stored_with_every_rule(db, ref):
    agreement = services.create_agreement(db, agreement_data(fee_exemptions=("student", "minor")))
    assert agreement.state_a is ref.kg and agreement.state_b is ref.uz
    assert (agreement.max_stay_days, agreement.rolling_window_days, agreement.rolling_limit_days) == (
        30,
        180,
        90,
    )
    assert agreement.fee_exemptions == ["minor", "student"]  # in the order of the list of exemptions
    assert agreement.reasons == ["family", "economic"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "TJ-KG"}, "code"),
        ({"state_b_code": "KG"}, "state_b_code"),
        ({"state_b_code": "ZZ"}, "state_b_code"),
        ({"in_force_until": date(2026, 1, 1)}, "in_force_until"),
        ({"border_area_km": 0}, "border_area_km"),
        ({"border_area_km": 51}, "border_area_km"),
        ({"border_area_km": 30, "border_area_straddle_km": 20}, "border_area_straddle_km"),
        ({"border_area_straddle_km": 60}, "border_area_straddle_km"),
        ({"min_residence_years": 0}, "min_residence_years"),
        ({"min_residence_years": 10**12}, "min_residence_years"),
        ({"validity_min_years": 0}, "validity_min_years"),
        ({"validity_max_years": 6}, "validity_max_years"),
        (
            {"validity_min_years": 3, "validity_max_years": 2, "first_permit_max_years": 2},
            "validity_max_years",
        ),
        ({"validity_min_years": 2, "first_permit_max_years": 1}, "first_permit_max_years"),
        ({"validity_max_years": 3, "first_permit_max_years": 4}, "first_permit_max_years"),
        ({"max_stay_days": 0}, "max_stay_days"),
        ({"max_stay_days": 91}, "max_stay_days"),
        ({"rolling_window_days": None}, "rolling_window_days"),
        ({"rolling_limit_days": None}, "rolling_limit_days"),
        ({"rolling_limit_days": 181}, "rolling_limit_days"),
        ({"rolling_limit_days": 0}, "rolling_limit_days"),
        ({"fee_amount": Decimal("-1")}, "fee_amount"),
        ({"fee_amount": Decimal("1.005")}, "fee_amount"),
        ({"fee_amount": Decimal("NaN")}, "fee_amount"),
        ({"fee_amount": Decimal("1E+9")}, "fee_amount"),
        ({"fee_currency": "EU"}, "fee_currency"),
        ({"fee_currency": "E1R"}, "fee_currency"),
        ({"fee_exemptions": ("veteran",)}, "fee_exemptions"),
        ({"reasons": ("tourism",)}, "reasons"),
        ({"reasons": ()}, "reasons"),
        ({"decision_deadline_days": 0}, "decision_deadline_days"),
        ({"decision_deadline_days": 366}, "decision_deadline_days"),
        ({"reconsideration_days": 0}, "reconsideration_days"),
        ({"reconsideration_days": 366}, "reconsideration_days"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_an_agreement_outside_the_eu_bounds_is_refused_beside_its_field(db, ref, changes, field):
    error = refusal(services.create_agreement, db, agreement_data(**changes))
    assert error.field == field
    assert db.scalar(select(Agreement).where(Agreement.code == "KG-UZ")) is None


def test_a_refusal_keeps_the_message_and_its_values_for_translation(db, ref):
    error = refusal(services.create_agreement, db, agreement_data(rolling_limit_days=200))
    assert error.message == "The days allowed must be from 1 to the length of the window (%(window)d)."
    assert error.params == {"window": 180}


def test_an_agreement_may_name_only_its_own_crossing_points(db, ref):
    data = replace(AgreementData.of(ref.agreement), all_crossing_points=False)
    error = refusal(
        services.update_agreement,
        db,
        ref.agreement,
        replace(data, allowed_crossing_point_codes=("UZ-TJ-01",)),
    )
    assert error.field == "allowed_crossing_point_codes"
    services.update_agreement(db, ref.agreement, replace(data, allowed_crossing_point_codes=("kg-tj-01",)))
    assert ref.agreement.allowed_crossing_points == [ref.crossing_point]


def test_naming_crossing_points_while_allowing_all_is_refused(db, ref):
    data = replace(
        AgreementData.of(ref.agreement), all_crossing_points=True, allowed_crossing_point_codes=("KG-TJ-01",)
    )
    assert refusal(services.update_agreement, db, ref.agreement, data).field == "allowed_crossing_point_codes"


def test_an_agreement_cannot_drop_a_state_its_localities_lie_in(db, ref):
    data = replace(AgreementData.of(ref.agreement), state_b_code="UZ")  # the locality Ak-Sai lies in KG
    error = refusal(services.update_agreement, db, ref.agreement, data)
    assert error.field == "state_b_code"
    assert error.params == {"name": "Ak-Sai"}
    assert ref.agreement.state_b is ref.kg


def test_an_agreement_cannot_shrink_its_border_area_below_a_listed_locality(db, ref):
    ref.locality.distance_km = Decimal("40")
    data = replace(AgreementData.of(ref.agreement), border_area_km=30, border_area_straddle_km=35)
    assert refusal(services.update_agreement, db, ref.agreement, data).field == "border_area_straddle_km"


# --- localities, crossing points, border sections ---------------------------------------------


def locality_data(**changes: object) -> LocalityData:
    return replace(
        LocalityData("TJ-KG", "KG", "Batken", "Samarkandek", "Самаркандек", Decimal("4.5")), **changes
    )  # type: ignore[arg-type]


def test_a_locality_in_the_border_area_is_listed(db, ref):
    locality = services.create_locality(db, locality_data())
    assert (locality.agreement, locality.state, locality.distance_km) == (
        ref.agreement,
        ref.kg,
        Decimal("4.5"),
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"distance_km": Decimal("50.5")}, "distance_km"),
        ({"distance_km": Decimal("-1")}, "distance_km"),
        ({"distance_km": Decimal("2.25")}, "distance_km"),
        ({"state_code": "UZ"}, "state_code"),
        ({"agreement_code": "NOPE"}, "agreement_code"),
        ({"state_code": "KG", "district": "Batken", "name_latin": "Ak-Sai"}, "name_latin"),
        ({"district": ""}, "district"),
    ],
)
def test_a_locality_outside_the_agreement_or_listed_twice_is_refused(db, ref, changes, field):
    assert refusal(services.create_locality, db, locality_data(**changes)).field == field


def test_a_locality_may_not_lie_beyond_the_agreements_own_border_area(db, ref):
    ref.agreement.border_area_km, ref.agreement.border_area_straddle_km = 20, 25
    error = refusal(services.create_locality, db, locality_data(distance_km=Decimal("30")))
    assert error.params == {"max": 25, "agreement": "TJ-KG"}


def test_a_crossing_point_stands_in_one_of_its_agreements_states(db, ref):
    data = CrossingPointData("TJ-KG-02", "Guliston", "pedestrian", "TJ-KG", "TJ", "08:00-18:00")
    point = services.create_crossing_point(db, data)
    assert (point.kind.value, point.state, point.agreement) == ("pedestrian", ref.tj, ref.agreement)
    error = refusal(services.create_crossing_point, db, replace(data, code="TJ-KG-03", state_code="UZ"))
    assert error.field == "state_code"
    assert refusal(services.create_crossing_point, db, replace(data, kind="ferry")).field == "kind"
    assert refusal(services.create_crossing_point, db, replace(data, code="kg-tj-01")).field == "code"


def test_a_crossing_point_named_by_its_agreement_cannot_move_to_another(db, ref):
    ref.agreement.all_crossing_points = False
    ref.agreement.allowed_crossing_points = [ref.crossing_point]
    db.flush()
    data = replace(CrossingPointData.of(ref.crossing_point), agreement_code="TJ-UZ", state_code="UZ")
    assert refusal(services.update_crossing_point, db, ref.crossing_point, data).field == "agreement_code"


def test_a_border_section_lies_between_two_states_with_known_languages(db, ref):
    data = BorderSectionData(
        "SEC-2", "Batken-Isfara", "KG", "TJ", "From the tripoint to the river", ("ky", "tg", "ru")
    )
    section = services.create_border_section(db, data)
    assert section.working_languages == ["tg", "ky", "ru"]
    assert refusal(
        services.create_border_section, db, replace(data, code="SEC-3", state_b_code="KG")
    ).field == ("state_b_code")
    error = refusal(
        services.create_border_section, db, replace(data, code="SEC-3", working_languages=("xx",))
    )
    assert (error.field, error.params) == ("working_languages", {"values": "xx"})
    assert refusal(services.create_border_section, db, replace(data, code="sec-1")).field == "code"


def test_every_working_language_has_a_label():
    assert tuple(LANGUAGE_LABELS) == WORKING_LANGUAGES


def test_deactivating_keeps_the_record_but_marks_it_inactive(db, ref):
    services.set_active(db, ref.crossing_point, False)
    assert db.get(CrossingPoint, ref.crossing_point.id).is_active is False
    services.set_active(db, ref.crossing_point, True)
    assert ref.crossing_point.is_active is True


# --- lists ------------------------------------------------------------------------------------


def test_localities_are_listed_fifty_a_page_and_filtered(db, ref):
    for number in range(60):
        services.create_locality(
            db, locality_data(name_latin=f"Village {number:02d}", name_national=f"Қишлоқ {number}")
        )
    first = queries.list_localities(db, ReferenceFilter(agreement_code="TJ-KG", state_code="KG"))
    assert (first.total, first.pages, len(first.items), first.has_next) == (
        61,
        2,
        50,
        True,
    )  # and ref's Ak-Sai
    second = queries.list_localities(db, ReferenceFilter(agreement_code="TJ-KG", state_code="KG"), page=2)
    assert len(second.items) == 11 and not second.has_next
    assert queries.list_localities(db, ReferenceFilter(search="ak-sai")).total == 1
    assert queries.list_localities(db, ReferenceFilter(search="Ак-Сай")).total == 1
    assert queries.list_localities(db, ReferenceFilter(search="50%")).total == 0
    assert queries.list_localities(db, ReferenceFilter(agreement_code="TJ-UZ")).total == 0


def test_inactive_records_can_be_left_out_of_a_list(db, ref):
    services.set_active(db, ref.other_crossing_point, False)
    codes = [
        point.code for point in queries.list_crossing_points(db, ReferenceFilter(active_only=True)).items
    ]
    assert codes == ["KG-TJ-01"]


def test_a_list_loads_its_related_records_without_a_query_per_row(db, ref, engine):
    for number in range(20):
        services.create_crossing_point(
            db, CrossingPointData(f"KG-TJ-{number + 10}", f"Point {number}", "road", "TJ-KG", "KG")
        )
    db.expire_all()
    statements: list[str] = []

    def count(*_args: object) -> None:
        statements.append("query")

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = queries.list_crossing_points(db, ReferenceFilter())
        shown = [(point.agreement.code, point.state.code) for point in page.items]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(shown) == 22
    assert len(statements) <= 3  # the count, the page, nothing per row


def test_the_agreement_overview_counts_localities_and_lists_crossing_points(db, ref):
    overview = queries.agreement_overview(db, ref.agreement.id)
    assert overview is not None
    assert overview.locality_count == 1
    assert [point.code for point in overview.crossing_points] == ["KG-TJ-01"]
    assert queries.agreement_overview(db, 999_999) is None
    assert db.scalar(select(Locality).where(Locality.name_latin == "Ak-Sai")) is ref.locality
