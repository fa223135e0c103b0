"""Issue 14 item 7: every field of every audited record is named in the reader's language, and what
holds a secret or a hash of one is named but never shown: not on the page, not in the CSV."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Mapper, configure_mappers

from lbt.accounts.models import Role, UserSession
from lbt.accounts.two_factor.models import RecoveryCode, TwoFactorSecret
from lbt.api.services import create_token
from lbt.audit.labels import FIELD_LABELS, RECORD_TYPE_LABELS
from lbt.audit.models import AUDIT_PRIVATE, Audited, AuditEntry
from lbt.backup.archive import Manifest
from lbt.backup.services import RESTORE_RECORD, RestorePlan, record_restore
from lbt.models import Base

TRANSLATED = ("ru", "tg", "ky", "uz")
CYRILLIC = re.compile("[\u0400-\u04ff]")
SAME_IN_EVERY_LANGUAGE = {"PDF"}  # a word staff read as it is
SAME_IN_UZBEK = {"Token"}  # a loanword Uzbek writes alike
# hash-named columns that hold no secret: the head of the audit chain, printed in the report anyway
PUBLIC_DIGESTS = {"reports.audit_head_hash"}
SECRET_NAME = re.compile(r"(^|_)(hash|secret|password)$")

ROW_RE = re.compile(r"<tr>\s*<td>(\d+)</td>(.*?)</tr>", re.S)
FIELD_RE = re.compile(r"<dt>(.*?)</dt><dd>(.*?)</dd>", re.S)
RECORD_RE = re.compile(r"<td data-record>(.*?)</td>", re.S)


def audited_mappers() -> dict[str, Mapper]:  # type: ignore[type-arg]
    configure_mappers()  # the collections (a user's agreements) exist once the mappers are configured
    return {
        mapper.local_table.name: mapper
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, Audited)
    }


def logged_fields(mapper: Mapper) -> set[str]:  # type: ignore[type-arg]
    """What an entry of the model may name: every column, and every collection (the listener logs a
    new record's collections and their changes)."""
    return {prop.key for prop in mapper.column_attrs} | {
        relationship.key for relationship in mapper.relationships if relationship.uselist
    }


def in_language(app, locale: str, label) -> str:  # type: ignore[no-untyped-def]
    with app.test_request_context(), force_locale(locale):
        return str(label)


def shown_fields(page: str) -> dict[int, list[tuple[str, str]]]:
    """Each row's changes as the reader sees them: (field name, value), by entry id."""
    return {
        int(entry_id): [(html.unescape(name), html.unescape(value)) for name, value in FIELD_RE.findall(row)]
        for entry_id, row in ROW_RE.findall(page)
    }


def test_every_field_of_every_audited_model_has_a_label():
    mappers = audited_mappers()
    assert {"applications", "permits", "users", "meetings", "two_factor_secrets"} <= mappers.keys()
    unnamed = sorted(
        f"{table}.{field}"
        for table, mapper in mappers.items()
        for field in logged_fields(mapper)
        if field not in FIELD_LABELS
    )
    assert unnamed == [], "add these to FIELD_LABELS in lbt/audit/labels.py (and translate them)"
    assert "agreements" in logged_fields(mappers["users"])  # collections are walked too


def test_every_audited_table_has_a_record_type_label():
    unnamed = sorted(table for table in audited_mappers() if table not in RECORD_TYPE_LABELS)
    assert unnamed == [], "add these to RECORD_TYPE_LABELS in lbt/audit/labels.py (and translate them)"


def test_the_entry_of_a_restore_from_a_backup_is_named_too(db, clock):
    manifest = Manifest(
        created_at=clock.now - timedelta(days=1),
        database_kind="sqlite",
        schema_revision="0020",
        database_member="database.sqlite3",
        instance_parts=(),
    )
    plan = RestorePlan(Path("backup.tar.gz"), "ab" * 32, manifest, Path("staging"), "0020", "0020", [])
    record_restore(db, plan, clock.now)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity_type == RESTORE_RECORD))
    assert entry is not None and RESTORE_RECORD in RECORD_TYPE_LABELS
    assert sorted(set(json.loads(entry.changes)) - FIELD_LABELS.keys()) == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_label_reads_in_the_language_and_its_script(app, locale):
    """Not the English word left in place; Cyrillic in Russian, Tajik and Kyrgyz, Latin in Uzbek."""
    wrong = []
    for label in {*FIELD_LABELS.values(), *RECORD_TYPE_LABELS.values()}:
        english, shown = in_language(app, "en", label), in_language(app, locale, label)
        if english in SAME_IN_EVERY_LANGUAGE:
            continue
        cyrillic = bool(CYRILLIC.search(shown))
        same = shown == english and not (locale == "uz" and english in SAME_IN_UZBEK)
        if same or cyrillic != (locale != "uz"):
            wrong.append(f"{english!r}: {shown!r}")
    assert wrong == []


def test_the_russian_page_of_an_applications_changes_names_every_field_in_russian(
    app, db, login_as, make_application, approve_one
):
    submitted = make_application()
    approve_one(submitted.application)
    db.flush()
    entries = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "applications")).all()
    assert sorted(entry.action for entry in entries) == ["create", "update"]
    reader = login_as(Role.AUDITOR)
    reader.set_cookie("lbt_locale", "ru")
    page = reader.get("/audit/?entity_type=applications").get_data(as_text=True)
    shown = shown_fields(page)
    every_name = []
    for entry in entries:
        names = [name for name, _value in shown[entry.id]]
        assert names == [in_language(app, "ru", FIELD_LABELS[field]) for field in json.loads(entry.changes)]
        every_name += names
    assert [name for name in every_name if re.search("[A-Za-z]", name)] == [], "English among the Russian"
    names = set(every_name)
    assert "Номер документа" in names and "Фамилия (латиницей)" in names and "Время решения" in names
    assert all(html.unescape(cell).startswith("Заявление ") for cell in RECORD_RE.findall(page))
    created = next(entry for entry in entries if entry.action == "create")
    assert dict(shown[created.id])["Код доступа"] == "(задано)"  # the log's "(set)", in Russian
    assert submitted.application.access_code_hash not in page and submitted.access_code not in page


def test_secrets_and_their_hashes_are_named_but_never_shown_on_the_page_or_in_the_csv(
    app, db, users, login_as, make_application, clock
):
    officer = users[Role.OFFICER]
    old_password_hash = officer.password_hash
    officer.password_hash = "scrypt:32768:8:1$new-salt$" + hashlib.sha256(b"new password").hexdigest()
    token, plain_token = create_token(db, officer, name="Tablet at Kayragach", now=clock())
    totp = db.scalar(select(TwoFactorSecret).where(TwoFactorSecret.user_id == officer.id))
    if totp is None:  # the factories may have enrolled the officer already
        totp = TwoFactorSecret(
            user_id=officer.id, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", last_used_step=0
        )
        db.add(totp)
        db.flush()
    first_secret, totp.secret = totp.secret, "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
    codes = [
        RecoveryCode(user_id=officer.id, code_hash="scrypt:$" + hashlib.sha256(code).hexdigest())
        for code in (b"ABCD-EFGH-1", b"ABCD-EFGH-2")
    ]
    db.add_all(codes)
    submitted = make_application()
    db.flush()
    reader = login_as(Role.AUDITOR)  # its login is a user_sessions row: key and browser hashed
    reader.set_cookie("lbt_locale", "ru")
    logins = db.scalars(select(UserSession)).all()
    assert logins
    secrets = [
        old_password_hash,
        officer.password_hash,
        token.token_hash,
        plain_token,
        first_secret,
        totp.secret,
        *(code.code_hash for code in codes),
        submitted.application.access_code_hash,
        submitted.access_code,
        *(login.key_hash for login in logins),
        *(login.user_agent_hash for login in logins),
    ]
    logged = "".join(entry.changes for entry in db.scalars(select(AuditEntry)))
    assert [secret for secret in secrets if secret in logged] == []

    named = {
        "users": ("password_hash", "(changed)"),
        "api_tokens": ("token_hash", "(set)"),
        "two_factor_secrets": ("secret", "(changed)"),
        "two_factor_recovery_codes": ("code_hash", "(set)"),
        "user_sessions": ("key_hash", "(set)"),
        "applications": ("access_code_hash", "(set)"),
    }
    for table, (field, marker) in named.items():
        page = reader.get(f"/audit/?entity_type={table}").get_data(as_text=True)
        assert [secret for secret in secrets if secret in page] == [], table
        label = in_language(app, "ru", FIELD_LABELS[field])
        russian = {"(set)": "(задано)", "(changed)": "(изменено)"}[
            marker
        ]  # the page says the log's marker in Russian
        assert (label, russian) in [pair for fields in shown_fields(page).values() for pair in fields], table

    response = reader.get("/audit/entries.csv")
    assert response.status_code == 200
    exported = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    assert {row[5] for row in rows[1:]} >= set(named)
    assert [secret for secret in secrets if secret in exported] == []


def test_every_column_that_looks_like_a_secret_is_kept_out_of_the_log():
    """A secret, or a hash of one, enters the log only as '(set)'/'(changed)' (``__audit_redact__``)
    or as a digest (``AUDIT_PRIVATE``): a new such column must be marked, or named here as public."""
    seen, exposed = set(), []
    for table, mapper in audited_mappers().items():
        for prop in mapper.column_attrs:
            if not SECRET_NAME.search(prop.key):
                continue
            seen.add(f"{table}.{prop.key}")
            private = any(column.info == AUDIT_PRIVATE for column in prop.columns)
            if prop.key not in mapper.class_.__audit_redact__ and not private:
                exposed.append(f"{table}.{prop.key}")
    assert {"users.password_hash", "api_tokens.token_hash", "two_factor_secrets.secret"} <= seen
    assert {"applications.access_code_hash", "two_factor_recovery_codes.code_hash"} <= seen
    assert sorted(set(exposed) - PUBLIC_DIGESTS) == []
