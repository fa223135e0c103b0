from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.audit.models import AuditEntry
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, Locality, State
from lbt.reference.names import state_name

AGREEMENT_FORM = {
    "code": "KG-UZ",
    "name": "Kyrgyzstan-Uzbekistan LBT",
    "state_a_code": "KG",
    "state_b_code": "UZ",
    "in_force_from": "2026-01-01",
    "in_force_until": "",
    "border_area_km": "30",
    "border_area_straddle_km": "50",
    "min_residence_years": "3",
    "validity_min_years": "1",
    "validity_max_years": "5",
    "first_permit_max_years": "2",
    "max_stay_days": "30",
    "rolling_window_days": "180",
    "rolling_limit_days": "90",
    "all_crossing_points": "y",
    "fee_amount": "20.00",
    "fee_currency": "EUR",
    "fee_exemptions": ["minor", "pensioner"],
    "reasons": ["family", "economic"],
    "decision_deadline_days": "30",
    "reconsideration_days": "14",
}


def page_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def field_error(response, field: str) -> str:  # type: ignore[no-untyped-def]
    """The error text shown beside a field (the macro links it as ``<id>-error``)."""
    page = page_of(response)
    marker = f'id="{field}-error" role="alert">'
    assert marker in page, f"no error beside {field}"
    return page.split(marker, 1)[1].split("</p>", 1)[0]


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model))


# --- administrator: create, edit, deactivate --------------------------------------------------


def test_an_admin_creates_a_state_and_sees_it_listed(login_as, db):
    client = login_as(Role.ADMIN)
    response = client.submit(
        "/reference/states/new",
        {
            "code": "kz",
            "alpha3": "KAZ",
            "name_en": "Kazakhstan",
            "name_ru": "Казахстан",
            "name_national": "Қазақстан",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/reference/states"
    listing = client.get("/reference/states")
    assert "State KZ was saved." in page_of(listing)
    state = db.scalar(select(State).where(State.code == "KZ"))
    assert state.name_national == "Қазақстан"
    entry = db.scalar(
        select(AuditEntry).where(AuditEntry.entity_type == "states", AuditEntry.entity_id == str(state.id))
    )
    assert (entry.action, entry.actor_name) == ("create", "admin")


def test_an_admin_creates_an_agreement_with_its_rules(login_as, db, ref):
    client = login_as(Role.ADMIN)
    response = client.submit("/reference/agreements/new", AGREEMENT_FORM)
    assert response.status_code == 302, field_error(response, "max_stay_days")
    agreement = db.scalar(select(Agreement).where(Agreement.code == "KG-UZ"))
    assert (agreement.max_stay_days, agreement.rolling_limit_days, agreement.fee_amount) == (
        30,
        90,
        Decimal("20.00"),
    )
    assert agreement.fee_exemptions == ["minor", "pensioner"]


def test_an_admin_edits_an_agreement(login_as, db, ref):
    client = login_as(Role.ADMIN)
    form = page_of(client.get(f"/reference/agreements/{ref.agreement.id}/edit"))
    assert 'value="TJ-KG"' in form
    data = {
        **AGREEMENT_FORM,
        "code": "TJ-KG",
        "state_a_code": "TJ",
        "state_b_code": "KG",
        "max_stay_days": "15",
    }
    response = client.submit(f"/reference/agreements/{ref.agreement.id}/edit", data)
    assert response.status_code == 302
    db.refresh(ref.agreement)
    assert ref.agreement.max_stay_days == 15
    assert "Agreement TJ-KG was saved." in page_of(client.get("/reference/agreements"))


def test_an_admin_deactivates_and_reactivates_a_crossing_point(login_as, db, ref):
    client = login_as(Role.ADMIN)
    url = f"/reference/crossing-points/{ref.crossing_point.id}/toggle"
    response = client.submit(url)
    assert response.status_code == 302
    db.refresh(ref.crossing_point)
    assert ref.crossing_point.is_active is False
    assert "Crossing point KG-TJ-01 was deactivated." in page_of(client.get(response.headers["Location"]))
    client.submit(url)
    db.refresh(ref.crossing_point)
    assert ref.crossing_point.is_active is True


def test_a_toggle_without_its_security_token_is_refused(login_as, db, ref):
    client = login_as(Role.ADMIN)
    assert client.post(f"/reference/border-sections/{ref.section.id}/toggle").status_code == 400
    db.refresh(ref.section)
    assert ref.section.is_active is True


def test_an_admin_adds_a_locality_and_a_border_section(login_as, db, ref):
    client = login_as(Role.ADMIN)
    locality = {
        "agreement_code": "TJ-KG",
        "state_code": "KG",
        "district": "Batken",
        "name_latin": "Samarkandek",
        "name_national": "Самаркандек",
        "distance_km": "4.5",
    }
    assert client.submit("/reference/localities/new", locality).status_code == 302
    section = {
        "code": "SEC-2",
        "name": "Leilek",
        "state_a_code": "KG",
        "state_b_code": "TJ",
        "description": "",
        "working_languages": ["ky", "tg"],
    }
    assert client.submit("/reference/border-sections/new", section).status_code == 302
    assert db.scalar(select(Locality).where(Locality.name_latin == "Ak-Sai")).state is ref.kg
    assert db.scalar(select(BorderSection).where(BorderSection.code == "SEC-2")).working_languages == [
        "tg",
        "ky",
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "TJ-KG"}, "code", "The code TJ-KG is taken."),
        ({"max_stay_days": "120"}, "max_stay_days", "Enter a number from 1 to 90."),
        ({"max_stay_days": "many"}, "max_stay_days", "Not a valid integer value."),
        ({"state_b_code": "KG"}, "state_b_code", "The two states must differ."),
        (
            {"rolling_limit_days": ""},
            "rolling_limit_days",
            "Give both numbers of the rolling limit, or neither.",
        ),
        ({"in_force_until": "2025-12-31"}, "in_force_until", "The end date must come after the start date."),
        ({"validity_max_years": "6"}, "validity_max_years", "Enter a number from 1 to 5."),
        ({"fee_amount": "-5"}, "fee_amount", "The fee cannot be negative."),
        ({"fee_amount": "NaN"}, "fee_amount", "Enter a number."),
        ({"reasons": []}, "reasons", "Choose at least one reason to cross."),
        ({"reasons": ["tourism"]}, "reasons", "is not a valid choice"),
        ({"code": ""}, "code", "This field is required."),
    ],
)
def test_a_bad_agreement_answers_400_beside_the_field_and_stores_nothing(
    login_as, db, ref, changes, field, message
):
    client = login_as(Role.ADMIN)
    response = client.submit("/reference/agreements/new", {**AGREEMENT_FORM, **changes})
    assert response.status_code == 400
    assert message in field_error(response, field)
    assert count(db, Agreement) == 2


@pytest.mark.parametrize(
    ("url", "data", "field", "message"),
    [
        (
            "/reference/states/new",
            {"code": "TJ", "alpha3": "TJX", "name_en": "X", "name_ru": "X", "name_national": "X"},
            "code",
            "The code TJ is taken.",
        ),
        (
            "/reference/localities/new",
            {"agreement_code": "TJ-KG", "state_code": "UZ", "district": "D", "name_latin": "N", "name_national": "N",
             "distance_km": "3"},
            "state_code",
            "The state must be TJ or KG, the states of agreement TJ-KG.",
        ),
        (
            "/reference/localities/new",
            {"agreement_code": "TJ-KG", "state_code": "KG", "district": "D", "name_latin": "N", "name_national": "N",
             "distance_km": "51"},
            "distance_km",
            "The distance must be from 0 to 50 km",
        ),
        (
            "/reference/crossing-points/new",
            {"code": "X-1", "name": "X", "kind": "road", "opening_hours": "", "agreement_code": "TJ-UZ",
             "state_code": "KG"},
            "state_code",
            "The state must be TJ or UZ",
        ),
        (
            "/reference/border-sections/new",
            {"code": "SEC-5", "name": "X", "state_a_code": "TJ", "state_b_code": "TJ", "working_languages": ["tg"]},
            "state_b_code",
            "The two states must differ.",
        ),
    ],
)  # fmt: skip
def test_bad_reference_records_answer_400_beside_the_field_and_store_nothing(
    login_as, db, ref, url, data, field, message
):
    client = login_as(Role.ADMIN)
    before = [count(db, model) for model in (State, Locality, CrossingPoint, BorderSection)]
    response = client.submit(url, data)
    assert response.status_code == 400
    assert message in field_error(response, field)
    assert [count(db, model) for model in (State, Locality, CrossingPoint, BorderSection)] == before


def test_an_unknown_record_is_not_found(login_as):
    client = login_as(Role.ADMIN)
    for url in (
        "/reference/states/999999/edit",
        "/reference/agreements/999999",
        "/reference/crossing-points/999999",
        "/reference/border-sections/999999",
    ):
        assert client.get(url).status_code == 404, url
    assert client.submit("/reference/localities/999999/toggle").status_code == 404


@pytest.mark.parametrize("role", [Role.OFFICER, Role.BORDER_GUARD, Role.REPRESENTATIVE, Role.AUDITOR])
def test_only_admins_open_the_lists_and_editing_pages(login_as, ref, role):
    client = login_as(role)
    for url in (
        "/reference/states",
        "/reference/localities",
        "/reference/agreements/new",
        "/reference/states/import",
    ):
        assert client.get(url).status_code == 403, url
    assert client.submit(f"/reference/agreements/{ref.agreement.id}/edit", AGREEMENT_FORM).status_code == 403


# --- lists ------------------------------------------------------------------------------------


def test_the_lists_show_their_records(login_as, ref):
    client = login_as(Role.ADMIN)
    expected = {
        "/reference/states": "Uzbekistan",
        "/reference/agreements": "TJ-UZ",
        "/reference/localities": "Ak-Sai",
        "/reference/crossing-points": "Oybek",
        "/reference/border-sections": "Spitamen",
    }
    for url, text in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in page_of(response), url


def test_the_locality_list_is_paginated_and_filtered(login_as, db, ref):
    db.add_all(
        Locality(agreement=ref.agreement, state=ref.kg, district="Batken", name_latin=f"Village {n:02d}",
                 name_national=f"Қишлоқ {n}", distance_km=Decimal("3"))
        for n in range(60)
    )  # fmt: skip
    db.flush()
    client = login_as(Role.ADMIN)
    first = page_of(client.get("/reference/localities?state=KG"))
    assert "Page 1 of 2 (61 in all)" in first  # and Ak-Sai
    assert "Village 48" in first and "Village 49" not in first
    second = page_of(client.get("/reference/localities?state=KG&page=2"))
    assert "Village 59" in second
    assert "Ak-Sai" not in second
    assert "Ak-Sai" in page_of(client.get("/reference/localities?q=ak-s"))


def test_a_bad_list_filter_answers_400(login_as, ref):
    client = login_as(Role.ADMIN)
    assert client.get("/reference/localities?agreement=NOPE").status_code == 400
    assert client.get("/reference/states?page=0").status_code == 400


# --- detail pages by scope --------------------------------------------------------------------


def test_an_officer_sees_the_rules_of_their_agreement_in_words(login_as, ref):
    response = login_as(Role.OFFICER).get(f"/reference/agreements/{ref.agreement.id}")
    page = page_of(response)
    assert response.status_code == 200
    for words in (
        "90 days",
        "90 days in any 180",
        "3 years",
        "Family ties",
        "Religious reasons, visiting graves",
        "Minors",
        "Pensioners",
        "Within 30 days of the application",
        "within 14 days",
        "1 listed locality",
        "Every crossing point of the agreement",
        "KG-TJ-01",
    ):
        assert words in page, words


def test_an_agreement_limited_to_named_crossing_points_lists_them(login_as, db, ref):
    ref.agreement.all_crossing_points = False
    ref.agreement.allowed_crossing_points = [ref.crossing_point]
    db.flush()
    page = page_of(login_as(Role.SUPERVISOR).get(f"/reference/agreements/{ref.agreement.id}"))
    assert "Only: KG-TJ-01" in page


def test_an_officer_cannot_open_another_agreement(login_as, ref):
    assert login_as(Role.OFFICER).get(f"/reference/agreements/{ref.other_agreement.id}").status_code == 403


def test_a_border_guard_sees_only_their_crossing_point(login_as, ref):
    client = login_as(Role.BORDER_GUARD)
    response = client.get(f"/reference/crossing-points/{ref.crossing_point.id}")
    page = page_of(response)
    assert response.status_code == 200
    for words in ("Kyzyl-Bel", "Road", "Tajikistan (TJ)", "TJ-KG", "Open to permit holders"):
        assert words in page, words
    assert f"/reference/agreements/{ref.agreement.id}" not in page  # a guard cannot open the agreement
    assert client.get(f"/reference/crossing-points/{ref.other_crossing_point.id}").status_code == 403
    assert client.get(f"/reference/agreements/{ref.agreement.id}").status_code == 403


def test_an_officer_sees_the_crossing_points_of_their_agreement_only(login_as, ref):
    client = login_as(Role.OFFICER)
    assert client.get(f"/reference/crossing-points/{ref.crossing_point.id}").status_code == 200
    assert client.get(f"/reference/crossing-points/{ref.other_crossing_point.id}").status_code == 403


def test_a_representative_sees_only_their_border_section(login_as, ref):
    client = login_as(Role.REPRESENTATIVE)
    response = client.get(f"/reference/border-sections/{ref.section.id}")
    page = page_of(response)
    assert response.status_code == 200
    for words in ("Isfara-Batken", "Tajikistan (TJ)", "Kyrgyzstan (KG)", "Tajik", "Kyrgyz"):
        assert words in page, words
    assert client.get(f"/reference/border-sections/{ref.other_section.id}").status_code == 403


# --- CSV import -------------------------------------------------------------------------------


def upload(client, url: str, content: bytes, name: str = "data.csv"):  # type: ignore[no-untyped-def]
    return client.submit(url, {"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_an_admin_imports_crossing_points_from_csv(login_as, db, ref):
    client = login_as(Role.ADMIN)
    assert "opening_hours" in page_of(client.get("/reference/crossing-points/import"))
    content = (
        b"code,name,kind,agreement_code,state_code,opening_hours\n"
        b"KG-TJ-01,Kyzyl-Bel,road,TJ-KG,KG,24 h\n"
        b"TJ-KG-02,Guliston,pedestrian,TJ-KG,TJ,08:00-18:00\n"
    )
    response = upload(client, "/reference/crossing-points/import", content)
    assert response.status_code == 302  # to the page following the job (run at once by the tests' queue)
    assert response.headers["Location"].startswith("/reference/crossing-points/import?job=")
    assert "Import done: 1 created, 1 updated." in page_of(client.get(response.headers["Location"]))
    assert count(db, CrossingPoint) == 3


def test_a_csv_with_bad_rows_imports_nothing_and_lists_every_bad_line(login_as, db, ref):
    client = login_as(Role.ADMIN)
    content = (
        "agreement_code,state_code,district,name_latin,name_national,distance_km\n"
        "TJ-KG,KG,Batken,Ak-Sai,Ак-Сай,4.5\n"
        "TJ-KG,KG,Batken,Kulundu,Кулунду,near\n"
        "TJ-KG,ZZ,Batken,Kara-Bak,Кара-Бак,3\n"
        "TJ-KG,KG,Batken,Ak-Sai,Ак-Сай,5\n"
        "TJ-KG,KG\n"
    ).encode()
    response = upload(client, "/reference/localities/import", content)
    assert response.status_code == 302
    page = page_of(client.get(response.headers["Location"]))
    assert "Nothing was imported" in page
    for line, message in (
        (3, "near is not a number."),
        (4, "Unknown state ZZ."),
        (5, "Line 2 already has the same"),
        (6, "This line has 2 values, but the header names 6 columns."),
    ):
        assert f"<td>{line}</td>" in page
        assert message in page, message
    assert count(db, Locality) == 1


def test_a_binary_upload_gets_a_clear_message(login_as, db, ref):
    client = login_as(Role.ADMIN)
    response = upload(client, "/reference/states/import", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv")
    assert response.status_code == 400
    assert "This is not a CSV text file." in page_of(response)
    assert count(db, State) == 3


def test_an_upload_without_a_file_is_refused_beside_the_field(login_as):
    client = login_as(Role.ADMIN)
    response = client.submit("/reference/states/import", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a file." in field_error(response, "file")


LOCALITY_FORM = {
    "agreement_code": "TJ-KG",
    "state_code": "KG",
    "district": "Batken",
    "name_latin": "Ak-Sai",
    "name_national": "Ак-Сай",
    "distance_km": "2.5",
}


def test_an_admin_sets_and_clears_a_localitys_population_and_it_is_audited(login_as, db, ref):
    client = login_as(Role.ADMIN)
    url = f"/reference/localities/{ref.locality.id}/edit"
    assert 'name="population"' in client.get(url).get_data(as_text=True)
    assert client.submit(url, {**LOCALITY_FORM, "population": "12500"}).status_code == 302
    db.refresh(ref.locality)
    assert ref.locality.population == 12500
    assert "12,500" in client.get("/reference/localities").get_data(as_text=True)
    assert 'value="12500"' in client.get(url).get_data(as_text=True)
    entries = db.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "localities", AuditEntry.entity_id == str(ref.locality.id)
        )
    ).all()
    assert any("12500" in str(entry.changes) for entry in entries)
    assert client.submit(url, {**LOCALITY_FORM, "population": ""}).status_code == 302
    db.refresh(ref.locality)
    assert ref.locality.population is None


@pytest.mark.parametrize(
    ("population", "message"),
    [
        ("-1", "Enter a number from 0 to 10000000."),
        ("20000000", "Enter a number from 0 to 10000000."),
        ("1.5", "Not a valid integer value."),
        ("many", "Not a valid integer value."),
    ],
)
def test_a_bad_population_answers_400_beside_the_field_and_stores_nothing(
    login_as, db, ref, population, message
):
    ref.locality.population = 800
    db.flush()
    client = login_as(Role.ADMIN)
    response = client.submit(
        f"/reference/localities/{ref.locality.id}/edit", {**LOCALITY_FORM, "population": population}
    )
    assert response.status_code == 400
    assert message in field_error(response, "population")
    db.refresh(ref.locality)
    assert (ref.locality.population, ref.locality.distance_km) == (800, Decimal("2.5"))


def test_the_state_choices_name_each_state_in_the_readers_language(login_as, ref):
    client = login_as(Role.ADMIN)
    page = page_of(client.get("/reference/localities", headers={"Accept-Language": "uz"}))
    uzbek = state_name(ref.tj, "uz")  # from CLDR: the fixture's state has English names only
    assert uzbek != ref.tj.name_en and f"TJ — {uzbek}" in page
    assert f"TJ — {ref.tj.name_en}" not in page
