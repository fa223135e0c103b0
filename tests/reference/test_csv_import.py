from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from lbt.reference.csv_import import import_csv
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, Locality, State

LOCALITY_HEADER = "agreement_code,state_code,district,name_latin,name_national,distance_km\n"


def csv(text: str) -> bytes:
    return text.encode("utf-8")


def problems(result) -> list[tuple[int | None, str | None, str]]:  # type: ignore[no-untyped-def]
    return [(error.line, error.column, str(error.error)) for error in result.errors]


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model))


def test_states_are_created_and_existing_ones_updated_by_code(db, ref):
    result = import_csv(
        db,
        "state",
        csv(
            "code,alpha3,name_en,name_ru,name_national\n"
            "kz,KAZ,Kazakhstan,Казахстан,Қазақстан\n"
            "TJ,TJK,Tajikistan,Таджикистан,Тоҷикистон\n"
        ),
    )
    assert (result.ok, result.created, result.updated) == (True, 1, 1)
    assert db.scalar(select(State).where(State.code == "KZ")).name_national == "Қазақстан"
    assert ref.tj.name_ru == "Таджикистан"


def test_a_byte_order_mark_and_semicolons_from_a_spreadsheet_are_accepted(db, ref):
    content = "\ufeffagreement_code;state_code;district;name_latin;name_national;distance_km\r\n".encode()
    content += "TJ-KG;KG;Batken;Samarkandek;Самаркандек;4,5\r\n".encode()
    result = import_csv(db, "locality", content)
    assert (result.ok, result.created) == (True, 1)
    assert db.scalar(select(Locality).where(Locality.name_latin == "Samarkandek")).distance_km == Decimal(
        "4.5"
    )


def test_localities_are_matched_by_agreement_state_district_and_latin_name(db, ref):
    result = import_csv(
        db,
        "locality",
        csv(LOCALITY_HEADER + "TJ-KG,KG,Batken,Ak-Sai,Ак-Сай,3.5\nTJ-KG,KG,Batken,Kara-Bak,Кара-Бак,6\n"),
    )
    assert (result.created, result.updated) == (1, 1)
    assert ref.locality.distance_km == Decimal("3.5")
    assert count(db, Locality) == 2


def test_a_file_with_bad_rows_changes_nothing_and_names_every_bad_line(db, ref):
    result = import_csv(
        db,
        "locality",
        csv(
            LOCALITY_HEADER
            + "TJ-KG,KG,Batken,Ak-Sai,Ак-Сай,4.5\n"  # 2: good
            + "TJ-KG,TJ,Isfara,Vorukh,Ворух,far\n"  # 3: not a number
            + "TJ-KG,ZZ,Somewhere,Nowhere,Нигде,3\n"  # 4: unknown state
            + "TJ-KG,KG,Batken,Ak-Sai,Ак-Сай,5\n"  # 5: the same key as line 2
            + "TJ-KG,KG,Batken\n"  # 6: cells missing
            + "TJ-KG,KG,Leilek,Kulundu,Кулунду,\n"  # 7: required value missing
            + "TJ-KG,KG,Leilek,Kara-Bak,Кара-Бак,75\n"  # 8: outside the border area
        ),
    )
    assert not result.ok
    assert (result.created, result.updated) == (0, 0)
    assert problems(result) == [
        (3, "distance_km", "far is not a number."),
        (4, "state_code", "Unknown state ZZ."),
        (5, "name_latin", "Line 2 already has the same agreement_code, state_code, district, name_latin."),
        (6, None, "This line has 3 values, but the header names 6 columns."),
        (7, "distance_km", "This field is required."),
        (8, "distance_km", "The distance must be from 0 to 50 km, the border area of agreement TJ-KG."),
    ]
    assert count(db, Locality) == 1
    assert ref.locality.distance_km == Decimal("2.5")


def test_a_refused_update_leaves_the_stored_record_as_it_was(db, ref):
    result = import_csv(
        db,
        "state",
        csv("code,alpha3,name_en,name_ru,name_national\nTJ,TJK,Tajik Republic,Т,Т\nKG,KGZ,Kyrgyzstan,К,\n"),
    )
    assert problems(result) == [(3, "name_national", "This field is required.")]
    db.expire_all()
    assert db.scalar(select(State).where(State.code == "TJ")).name_en == "Tajikistan"


def test_errors_keep_the_message_and_values_for_translation(db, ref):
    result = import_csv(db, "locality", csv(LOCALITY_HEADER + "TJ-KG,ZZ,X,Y,Z,1\n"))
    error = result.errors[0].error
    assert (error.message, error.params) == ("Unknown state %(code)s.", {"code": "ZZ"})


def test_missing_and_unknown_columns_are_named(db, ref):
    result = import_csv(db, "state", csv("code,alpha3,name_en,colour\nKZ,KAZ,Kazakhstan,blue\n"))
    assert problems(result) == [
        (
            1,
            None,
            "Unknown column(s): colour. The columns are: code, alpha3, name_en, name_ru, name_national.",
        ),
        (1, None, "Missing column(s): name_ru, name_national."),
    ]
    assert count(db, State) == 3


def test_a_column_named_twice_is_refused(db, ref):
    result = import_csv(db, "state", csv("code,code,alpha3,name_en,name_ru,name_national\n"))
    assert problems(result) == [(1, None, "Column(s) named twice: code.")]


def test_an_undecodable_file_is_refused_with_the_line_it_breaks_on(db, ref):
    content = csv("code,alpha3,name_en,name_ru,name_national\nKZ,KAZ,Kazakhstan,Казахстан,Қазақстан\n")
    content += "KZ,KAZ,Kazakhstan,Казахстан,Қазақстан\n".encode("cp1251", errors="replace")
    result = import_csv(db, "state", content)
    assert problems(result) == [
        (3, None, "The file is not UTF-8 text. Save the table as “CSV UTF-8” and try again.")
    ]
    assert count(db, State) == 3


def test_a_binary_file_is_refused_as_not_csv(db, ref):
    result = import_csv(db, "state", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert problems(result) == [
        (None, None, "This is not a CSV text file. Save the table as “CSV UTF-8” and try again.")
    ]


def test_an_empty_file_is_refused(db, ref):
    assert problems(import_csv(db, "state", b"")) == [
        (1, None, "The file is empty: its first line must name the columns.")
    ]


def test_a_file_over_the_row_limit_is_refused_whole(db, ref):
    rows = "".join(f"TJ-KG,KG,Batken,Village {n},Қишлоқ {n},3\n" for n in range(11))
    result = import_csv(db, "locality", csv(LOCALITY_HEADER + rows), max_rows=10)
    assert problems(result) == [(None, None, "The file has more than 10 rows. Split it into smaller files.")]
    assert count(db, Locality) == 1


def test_a_file_over_the_size_limit_is_refused(db, ref):
    result = import_csv(db, "state", b"x" * (2 * 1024 * 1024 + 1), max_bytes=2 * 1024 * 1024)
    assert problems(result) == [(None, None, "The file is larger than 2 MB.")]


def test_a_quoted_cell_may_span_lines_and_line_numbers_stay_right(db, ref):
    result = import_csv(
        db,
        "border_section",
        csv(
            "code,name,state_a_code,state_b_code,description,working_languages\n"
            'SEC-2,Batken,KG,TJ,"From the tripoint\nto the river",ky tg\n'
            "SEC-3,Bad,KG,KG,,ky\n"
        ),
    )
    assert problems(result) == [(4, "state_b_code", "The two states must differ.")]


def test_agreements_are_imported_with_their_rules_and_lists(db, ref):
    header = "code,name,state_a_code,state_b_code,in_force_from,max_stay_days,rolling_window_days,rolling_limit_days,"
    header += "fee_amount,fee_currency,fee_exemptions,reasons,family_exempt_from_residence\n"
    result = import_csv(
        db,
        "agreement",
        csv(
            header
            + "KG-UZ,Kyrgyzstan-Uzbekistan,KG,UZ,2026-01-01,30,180,90,10,USD,minor student,family economic,yes\n"
            + "TJ-KG,Tajikistan-Kyrgyzstan LBT,TJ,KG,2025-01-01,60,,,0,EUR,,family,no\n"
        ),
    )
    assert (result.ok, result.created, result.updated) == (True, 1, 1), problems(result)
    new = db.scalar(select(Agreement).where(Agreement.code == "KG-UZ"))
    assert (new.max_stay_days, new.rolling_limit_days, new.fee_currency) == (30, 90, "USD")
    assert (new.fee_exemptions, new.reasons, new.family_exempt_from_residence) == (
        ["minor", "student"],
        ["family", "economic"],
        True,
    )
    assert new.border_area_km == 30  # a column left out takes the default
    assert (ref.agreement.max_stay_days, ref.agreement.rolling_window_days) == (60, None)
    assert ref.agreement.min_residence_years == 3  # a column left out keeps the stored value
    assert ref.agreement.fee_exemptions == []  # an empty list cell empties the list


def test_agreement_rule_violations_in_a_file_are_reported_per_line(db, ref):
    header = "code,name,state_a_code,state_b_code,in_force_from,in_force_until,max_stay_days,reasons\n"
    result = import_csv(
        db,
        "agreement",
        csv(
            header
            + "A-1,One,KG,UZ,2026-01-01,,120,family\n"
            + "A-2,Two,KG,UZ,2026-13-01,,30,family\n"
            + "A-3,Three,KG,UZ,2026-01-01,2025-01-01,30,family\n"
            + "A-4,Four,KG,UZ,2026-01-01,,30,tourism\n"
        ),
    )
    assert [(line, column) for line, column, _ in problems(result)] == [
        (2, "max_stay_days"),
        (3, "in_force_from"),
        (4, "in_force_until"),
        (5, "reasons"),
    ]
    assert count(db, Agreement) == 2


def test_crossing_points_are_imported_by_code(db, ref):
    result = import_csv(
        db,
        "crossing_point",
        csv(
            "code,name,kind,agreement_code,state_code,opening_hours\n"
            "KG-TJ-01,Kyzyl-Bel,road,TJ-KG,KG,24 h\n"
            "TJ-KG-02,Guliston,pedestrian,TJ-KG,TJ,08:00-18:00\n"
        ),
    )
    assert (result.created, result.updated) == (1, 1)
    assert ref.crossing_point.opening_hours == "24 h"
    assert count(db, CrossingPoint) == 3


def test_border_sections_are_imported_by_code(db, ref):
    result = import_csv(
        db,
        "border_section",
        csv("code,name,state_a_code,state_b_code,working_languages\nSEC-1,Isfara-Batken,TJ,KG,tg ky ru\n"),
    )
    assert (result.created, result.updated) == (0, 1)
    assert db.scalar(select(BorderSection).where(BorderSection.code == "SEC-1")).working_languages == [
        "tg",
        "ky",
        "ru",
    ]


def test_thousands_of_localities_are_imported_in_one_go(db, ref):
    rows = "".join(f"TJ-KG,KG,District {n // 100},Village {n},Қишлоқ {n},{n % 50}\n" for n in range(3000))
    result = import_csv(db, "locality", csv(LOCALITY_HEADER + rows))
    assert (result.ok, result.created) == (True, 3000)
    assert count(db, Locality) == 3001


def test_the_examples_in_the_documentation_import_cleanly(db, ref):
    docs = (Path(__file__).parents[2] / "docs" / "reference-csv.md").read_text(encoding="utf-8")
    examples = re.findall(r"```csv\n(.*?)```", docs, flags=re.DOTALL)
    kinds = ("state", "agreement", "locality", "crossing_point", "border_section")
    assert len(examples) == len(kinds)
    for kind, example in zip(kinds, examples, strict=True):
        result = import_csv(db, kind, csv(example))
        assert result.ok, (kind, problems(result))


def test_time_zones_are_imported_checked_and_default_to_the_states_zone(db, ref):
    result = import_csv(
        db,
        "crossing_point",
        csv(
            "code,name,kind,agreement_code,state_code,time_zone\n"
            "KG-TJ-01,Kyzyl-Bel,road,TJ-KG,KG,Asia/Bishkek\n"
            "TJ-KG-02,Guliston,pedestrian,TJ-KG,TJ,\n"
        ),
    )
    assert (result.created, result.updated) == (1, 1)
    assert ref.crossing_point.time_zone == "Asia/Bishkek"
    assert (
        db.scalar(select(CrossingPoint.time_zone).where(CrossingPoint.code == "TJ-KG-02")) == "Asia/Dushanbe"
    )
    refused = import_csv(
        db,
        "border_section",
        csv(
            "code,name,state_a_code,state_b_code,working_languages,time_zone\nSEC-1,X,TJ,KG,tg,Mars/Olympus\n"
        ),
    )
    assert [(line, column) for line, column, _ in problems(refused)] == [(2, "time_zone")]
    assert ref.section.time_zone != "Mars/Olympus"


def test_a_localitys_population_is_imported_empty_is_unknown_and_no_column_keeps_it(db, ref):
    header = LOCALITY_HEADER.rstrip("\n") + ",population\n"
    result = import_csv(
        db,
        "locality",
        csv(header + "TJ-KG,KG,Batken,Ak-Sai,Ак-Сай,2.5,12500\nTJ-KG,KG,Batken,Kara-Bak,Кара-Бак,6,\n"),
    )
    assert (result.ok, result.created, result.updated) == (True, 1, 1)
    assert ref.locality.population == 12500
    assert db.scalar(select(Locality).where(Locality.name_latin == "Kara-Bak")).population is None
    kept = import_csv(db, "locality", csv(LOCALITY_HEADER + "TJ-KG,KG,Batken,Ak-Sai,Ак-Сай,3\n"))
    assert kept.ok and ref.locality.population == 12500
    cleared = import_csv(db, "locality", csv(header + "TJ-KG,KG,Batken,Ak-Sai,Ак-Сай,3,\n"))
    assert cleared.ok and ref.locality.population is None


def test_a_bad_population_names_its_line_and_changes_nothing(db, ref):
    header = LOCALITY_HEADER.rstrip("\n") + ",population\n"
    result = import_csv(
        db,
        "locality",
        csv(
            header
            + "TJ-KG,KG,Batken,Ak-Sai,Ак-Сай,2.5,-3\n"
            + "TJ-KG,KG,Batken,Kara-Bak,Кара-Бак,6,1.5\n"
            + "TJ-KG,KG,Leilek,Kulundu,Кулунду,6,many\n"
            + "TJ-KG,KG,Leilek,Korgon,Коргон,6,20000000\n"
        ),
    )
    assert problems(result) == [
        (2, "population", "Enter a number from 0 to 10000000."),
        (3, "population", "1.5 is not a whole number."),
        (4, "population", "many is not a whole number."),
        (5, "population", "Enter a number from 0 to 10000000."),
    ]
    assert count(db, Locality) == 1 and ref.locality.population is None
