"""Every change to an audited record is logged by whom and what; the log is a hash chain that shows
any later edit or removal of an entry, and the database refuses such edits outright."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from lbt.accounts.models import Role, User
from lbt.accounts.services import set_password
from lbt.accounts.sessions import start_session
from lbt.audit.models import GENESIS_HASH, AuditActor, AuditEntry
from lbt.audit.services import install_audit_listener, verify_chain
from lbt.reference.models import State
from tests.fixtures.factories import make_user

ACTOR = AuditActor(42, "registrar", "test")


@pytest.fixture(autouse=True)
def _listening() -> None:
    install_audit_listener()  # the application factory does this; these tests use a bare session


@pytest.fixture
def audited_db(db):
    db.info["actor"] = ACTOR
    return db


def _entries(db, entity_type: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    return list(db.scalars(query))


def _add_state(db, code: str = "KZ") -> State:
    state = State(
        code=code, alpha3=code + "Z", name_en="Kazakhstan", name_ru="Казахстан", name_national="Қазақстан"
    )
    db.add(state)
    db.flush()
    return state


def _allow_tampering(db) -> None:
    """What only a database owner could do; the test's transaction rolls it back."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change"))
    else:
        db.execute(text("DROP TRIGGER audit_entries_no_update"))
        db.execute(text("DROP TRIGGER audit_entries_no_delete"))


def test_creating_a_record_logs_who_created_it_and_every_value(audited_db, clock):
    state = _add_state(audited_db)
    [entry] = _entries(audited_db, "states")
    assert entry.action == "create"
    assert entry.entity_id == str(state.id)
    assert (entry.actor_id, entry.actor_name, entry.source) == (42, "registrar", "test")
    assert entry.occurred_at == clock.now
    changes = json.loads(entry.changes)
    assert changes["code"] == "KZ"
    assert changes["name_ru"] == "Казахстан"
    assert changes["id"] == state.id


def test_changing_a_record_logs_the_old_and_new_value_of_what_changed_only(audited_db):
    state = _add_state(audited_db)
    state.name_en = "Republic of Kazakhstan"
    audited_db.flush()
    entry = _entries(audited_db, "states")[-1]
    assert (entry.action, entry.entity_id) == ("update", str(state.id))
    assert json.loads(entry.changes) == {"name_en": ["Kazakhstan", "Republic of Kazakhstan"]}


def test_a_flush_without_a_real_change_writes_no_entry(audited_db):
    state = _add_state(audited_db)
    state.name_en = "Kazakhstan"  # the same value
    audited_db.flush()
    assert [entry.action for entry in _entries(audited_db, "states")] == ["create"]


def test_deleting_a_record_logs_what_it_held(audited_db):
    state = _add_state(audited_db)
    state_id = state.id
    audited_db.delete(state)
    audited_db.flush()
    entry = _entries(audited_db, "states")[-1]
    assert (entry.action, entry.entity_id) == ("delete", str(state_id))
    assert json.loads(entry.changes)["code"] == "KZ"


def test_without_a_named_actor_changes_are_logged_as_the_system(db):
    _add_state(db)
    [entry] = _entries(db, "states")
    assert (entry.actor_id, entry.actor_name) == (None, "system")


def test_the_entries_form_one_valid_chain(audited_db, clock):
    state = _add_state(audited_db)
    clock.advance(minutes=5)
    state.is_active = False
    audited_db.flush()
    audited_db.delete(state)
    audited_db.flush()
    entries = _entries(audited_db)
    assert len(entries) == 3
    assert entries[0].prev_hash == GENESIS_HASH
    assert [entry.prev_hash for entry in entries[1:]] == [entry.hash for entry in entries[:-1]]
    result = verify_chain(audited_db)
    assert result.ok
    assert result.checked == 3


def test_a_users_scope_is_logged_when_the_user_is_created(audited_db, ref):
    user = make_user(audited_db, "new.officer", Role.OFFICER, agreements=[ref.agreement])
    [entry] = _entries(audited_db, "users")
    assert entry.entity_id == str(user.id)
    assert json.loads(entry.changes)["agreements"] == ["TJ-KG"]


def test_a_change_of_scope_is_logged(audited_db, ref):
    user = make_user(audited_db, "new.officer", Role.OFFICER, agreements=[ref.agreement])
    user.agreements = [ref.other_agreement]
    audited_db.flush()
    entry = _entries(audited_db, "users")[-1]
    assert json.loads(entry.changes) == {"agreements": {"added": ["TJ-UZ"], "removed": ["TJ-KG"]}}


def test_passwords_and_login_keys_never_enter_the_log(audited_db, clock):
    user = make_user(audited_db, "clerk", Role.AUDITOR)
    first_hash = user.password_hash
    login = start_session(audited_db, user, user_agent="test browser", now=clock.now)
    set_password(audited_db, user, "another long passphrase", now=clock.now)
    audited_db.flush()
    audited_db.delete(user)
    audited_db.flush()
    entries = _entries(audited_db, "users")
    assert [entry.action for entry in entries] == ["create", "update", "delete"]
    logged = " ".join(entry.changes for entry in _entries(audited_db))
    for secret in (first_hash, user.password_hash, user.login_key, login.key_hash, "$argon2"):
        assert secret not in logged
    assert json.loads(entries[1].changes)["password_hash"] == "(changed)"
    started, ended = _entries(audited_db, "user_sessions")
    assert json.loads(started.changes)["key_hash"] == "(set)"
    assert json.loads(ended.changes)["end_reason"] == [None, "password"]


def test_a_logins_last_seen_time_alone_writes_no_entry(audited_db, clock):
    user = make_user(audited_db, "clerk", Role.AUDITOR)
    login = start_session(audited_db, user, user_agent="test browser", now=clock.now)
    clock.advance(hours=1)
    login.last_seen_at = clock.now
    audited_db.flush()
    assert [entry.action for entry in _entries(audited_db, "user_sessions")] == ["create"]


# --- tampering ------------------------------------------------------------------------------------


@pytest.fixture
def chain(audited_db, clock) -> list[AuditEntry]:
    """Five entries: create, three updates, delete."""
    state = _add_state(audited_db)
    for name in ("A", "B", "C"):
        clock.advance(minutes=1)
        state.name_en = name
        audited_db.flush()
    audited_db.delete(state)
    audited_db.flush()
    entries = _entries(audited_db)
    assert len(entries) == 5
    assert verify_chain(audited_db).ok
    return entries


def test_the_database_refuses_to_change_an_entry(audited_db, chain):
    with pytest.raises(DBAPIError, match="append-only"), audited_db.begin_nested():
        audited_db.execute(
            text("UPDATE audit_entries SET actor_name = 'someone else' WHERE id = :id"), {"id": chain[1].id}
        )
    assert audited_db.scalar(select(AuditEntry.actor_name).where(AuditEntry.id == chain[1].id)) == "registrar"


def test_the_database_refuses_to_delete_an_entry(audited_db, chain):
    with pytest.raises(DBAPIError, match="append-only"), audited_db.begin_nested():
        audited_db.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": chain[1].id})
    assert audited_db.scalar(select(func.count()).select_from(AuditEntry)) == 5


def test_editing_an_entry_is_detected_at_that_entry(audited_db, chain):
    _allow_tampering(audited_db)
    audited_db.execute(
        text("UPDATE audit_entries SET changes = :changes WHERE id = :id"),
        {"changes": '{"name_en":["Kazakhstan","X"]}', "id": chain[2].id},
    )
    result = verify_chain(audited_db)
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.entry_id == chain[2].id
    assert "changed" in result.first_break.reason


def test_editing_the_actor_of_an_entry_is_detected(audited_db, chain):
    _allow_tampering(audited_db)
    audited_db.execute(
        text("UPDATE audit_entries SET actor_name = 'nobody' WHERE id = :id"), {"id": chain[0].id}
    )
    assert verify_chain(audited_db).first_break.entry_id == chain[0].id  # type: ignore[union-attr]


def test_rewriting_an_entry_with_a_fresh_hash_is_detected_at_the_next_entry(audited_db, chain):
    _allow_tampering(audited_db)
    audited_db.execute(
        text("UPDATE audit_entries SET hash = :hash WHERE id = :id"), {"hash": "f" * 64, "id": chain[1].id}
    )
    result = verify_chain(audited_db)
    # the entry's own hash no longer matches its content, so it is the first one named
    assert result.first_break.entry_id == chain[1].id  # type: ignore[union-attr]


def test_deleting_an_entry_is_detected_at_the_entry_after_it(audited_db, chain):
    _allow_tampering(audited_db)
    audited_db.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": chain[2].id})
    result = verify_chain(audited_db)
    assert result.first_break is not None
    assert result.first_break.entry_id == chain[3].id
    assert "removed" in result.first_break.reason


def test_the_chain_is_verified_in_batches_as_well(audited_db, chain):
    _allow_tampering(audited_db)
    audited_db.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": chain[3].id})
    assert verify_chain(audited_db, batch_size=2).first_break.entry_id == chain[4].id  # type: ignore[union-attr]


def test_the_log_of_a_user_names_the_user(audited_db, users):
    entry = audited_db.scalar(
        select(AuditEntry).where(
            AuditEntry.entity_type == "users", AuditEntry.entity_id == str(users[Role.ADMIN].id)
        )
    )
    assert entry is not None
    assert json.loads(entry.changes)["username"] == "admin"
    assert isinstance(users[Role.ADMIN], User)
