"""Issue 14 item 7: the audit log as a person reads it: the names of the records an entry refers to,
translated field names, local times, filters kept in the links, CSV of the filtered entries (private
fields as private as on the page), and "verify the chain" with the last checkpoint."""

from __future__ import annotations

import csv
import html
import io
import json
import re

from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.audit.models import AuditEntry
from tests.fixtures.permits import add_locality
from tests.perf.counting import statements


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def test_an_entry_names_the_records_it_refers_to_in_the_readers_words(login_as, db, ref):
    locality = add_locality(db, ref.agreement, ref.kg, "Kara-Bak", "Кара-Бак", km="6")
    db.flush()
    page = text_of(login_as(Role.AUDITOR).get("/audit/?entity_type=localities"))
    assert f"Locality {locality.id} ({locality.audit_label()})" in page
    assert f"<dt>State</dt><dd>{ref.kg.id} ({ref.kg.audit_label()})</dd>" in page
    assert f"<dt>Agreement</dt><dd>{ref.agreement.id} ({ref.agreement.audit_label()})</dd>" in page
    assert "state_id" not in page and "Time (UTC)" not in page
    russian = login_as(Role.AUDITOR)
    russian.set_cookie("lbt_locale", "ru")
    assert "<dt>Государство</dt>" in text_of(russian.get("/audit/?entity_type=localities"))


def test_the_page_reads_the_names_in_one_query_per_table_whatever_the_entries(login_as, db, ref, connection):
    client = login_as(Role.AUDITOR)
    client.get("/audit/")
    with statements(connection) as few:
        client.get("/audit/?entity_type=localities")
    for serial in range(20):
        add_locality(db, ref.agreement, ref.kg, f"Village {serial}", f"Айыл {serial}")
    db.flush()
    with statements(connection) as many:
        client.get("/audit/?entity_type=localities")
    assert len(many) == len(few)


def test_the_csv_holds_the_filtered_entries_and_the_links_keep_the_filters(login_as, db, ref):
    client = login_as(Role.AUDITOR)
    page = client.get("/audit/?entity_type=users&action=create").get_data(as_text=True)
    assert 'href="/audit/entries.csv?entity_type=users&amp;action=create"' in page
    response = client.get("/audit/entries.csv?entity_type=users&action=create")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:7] == ["id", "occurred_at", "actor", "source", "action", "record_type", "record_id"]
    stored = db.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "users", AuditEntry.action == "create")
    ).all()
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(entry.id for entry in stored)
    for row, entry in zip(
        sorted(rows[1:], key=lambda r: int(r[0])), sorted(stored, key=lambda e: e.id), strict=True
    ):
        logged = json.loads(entry.changes)
        exported = json.loads(row[8])
        assert exported["password_hash"] == logged["password_hash"]  # as stored: never the hash itself
        assert row[9] == entry.hash


def test_a_bad_filter_answers_400_for_the_csv_too(login_as):
    response = login_as(Role.AUDITOR).get("/audit/entries.csv?since=31.02.2026")
    assert response.status_code == 400


def test_verify_the_chain_shows_the_result_and_says_when_there_is_no_checkpoint(login_as, db):
    client = login_as(Role.AUDITOR)
    response = client.submit("/audit/verify")
    page = text_of(response)
    assert response.status_code == 200 and 'data-chain="intact"' in page
    count = db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    assert "The chain is intact:" in page and str(count) in page
    assert "No signed checkpoint in the database yet" in page
    assert client.post("/audit/verify").status_code == 400  # no CSRF token


def test_other_roles_cannot_read_or_export_the_log(login_as):
    for role in (Role.OFFICER, Role.BORDER_GUARD):
        client = login_as(role)
        assert client.get("/audit/entries.csv").status_code == 403
        assert client.submit("/audit/verify").status_code == 403


def test_verify_the_chain_compares_with_the_newest_signed_reports_anchor(login_as, db, ref, app, clock):
    from lbt.permits.signing import KeyStore
    from lbt.reports.six_monthly import make_six_monthly_report
    from tests.reports.test_six_monthly import HALF

    report = make_six_monthly_report(
        db,
        ref.agreement,
        HALF,
        key=app.extensions["lbt"].find(KeyStore).active_key(),
        home_state="TJ",
        now=clock(),
        made_by=None,
    )
    db.flush()
    page = text_of(login_as(Role.AUDITOR).submit("/audit/verify"))
    assert 'data-chain="intact"' in page
    assert (
        f"Last checkpoint (the audit anchor of the newest signed report): {report.audit_entry_count} entries"
        in page
    )
    assert "The log agrees with it." in page
