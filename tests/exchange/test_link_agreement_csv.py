"""The agreement's setting the guard at exit reads (``both_sides_record``: the partner's guards record
the exits of this agreement's permits) comes in with the reference CSV like every other rule: a yes or
no, checked, and a file without the column keeps what is stored."""

from __future__ import annotations

from lbt.reference.csv_import import import_csv

HEADER = "code,name,state_a_code,state_b_code,in_force_from,reasons,both_sides_record\n"


def test_both_sides_record_is_imported_checked_and_kept_when_left_out(db, ref):
    assert ref.agreement.both_sides_record is False
    result = import_csv(
        db, "agreement", (HEADER + "TJ-KG,Tajikistan-Kyrgyzstan LBT,TJ,KG,2025-01-01,family,yes\n").encode()
    )
    assert result.ok, result.errors
    db.refresh(ref.agreement)
    assert ref.agreement.both_sides_record is True

    refused = import_csv(
        db, "agreement", (HEADER + "TJ-KG,Tajikistan-Kyrgyzstan LBT,TJ,KG,2025-01-01,family,maybe\n").encode()
    )
    assert not refused.ok
    ((line, column, message),) = [(e.line, e.column, str(e.error)) for e in refused.errors]
    assert (line, column) == (2, "both_sides_record") and "true or false" in message
    db.refresh(ref.agreement)
    assert ref.agreement.both_sides_record is True

    left_out = "code,name,state_a_code,state_b_code,in_force_from,reasons\n"
    kept = import_csv(
        db, "agreement", (left_out + "TJ-KG,Tajikistan-Kyrgyzstan LBT,TJ,KG,2025-01-01,family\n").encode()
    )
    assert kept.ok
    db.refresh(ref.agreement)
    assert ref.agreement.both_sides_record is True
