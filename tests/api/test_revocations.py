"""Issue 11: the signed revocation list is made once per change and kept in memory, its version is the
ETag and a device that holds the current list gets 304 without a body. No change may be missed: the
list after each status change (every path goes through permits.services._change), the day turning,
the key changing, and a change whose lower id is committed after a higher one."""

from __future__ import annotations

from datetime import date, timedelta

from lbt.accounts.models import Role
from lbt.api.services import create_token
from lbt.applications.models import FeeStatus
from lbt.applications.services import approve
from lbt.permits import services as permits
from lbt.permits.models import PermitStatus, PermitStatusChange
from lbt.permits.revocations import RESIGN_AFTER, RevocationLists, list_version
from lbt.permits.signing import REVOCATION_LIST_TYP, KeyStore, SigningKey, verify
from lbt.permits.signing.keys import new_private_key
from tests.crossings import sending

permit, guard_token, bearer = sending.permit, sending.guard_token, sending.bearer


def _get(client, token, etag=None):  # type: ignore[no-untyped-def]
    headers = bearer(token) | ({"If-None-Match": etag} if etag else {})
    return client.get("/api/v1/revocations", headers=headers)


def _claims(client, response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)
    jwks = client.get("/.well-known/jwks.json").get_json()
    return verify(response.get_json()["token"], jwks, REVOCATION_LIST_TYP)


def _listed(client, token):  # type: ignore[no-untyped-def]
    response = _get(client, token)
    claims = _claims(client, response)
    return claims["revoked"], claims["suspended"], response.headers["ETag"]


def _issue(db, make_application, users, clock, app):  # type: ignore[no-untyped-def]
    key = app.extensions["lbt"].find(KeyStore).active_key()
    return approve(
        db,
        make_application().application,
        officer=users[Role.OFFICER],
        valid_from=date(2026, 11, 22),
        valid_until=date(2027, 11, 21),
        fee_status=FeeStatus.PAID,
        issue=permits.PermitIssuer("TJ", key),
        now=clock(),
    )


def test_every_status_change_is_in_the_next_list(
    client, db, permit, guard_token, users, clock, app, make_application
):
    officer = users[Role.OFFICER]
    key = app.extensions["lbt"].find(KeyStore).active_key()
    revoked, suspended, etag = _listed(client, guard_token)
    assert (revoked, suspended) == ([], [])
    seen = {etag}

    def listed_now():  # type: ignore[no-untyped-def]
        db.flush()
        revoked, suspended, etag = _listed(client, guard_token)
        assert etag not in seen  # a new version: a device holding the old list downloads the new one
        seen.add(etag)
        return revoked, suspended

    def after(change, changed):  # type: ignore[no-untyped-def]
        change(db, changed, officer=officer, reason="Check.", now=clock())
        return listed_now()

    assert after(permits.suspend, permit) == ([], [permit.number])
    assert after(permits.reinstate, permit) == ([], [])  # a suspension lifted leaves the list
    new = permits.replace(db, permit, officer=officer, reason="Lost.", key=key, now=clock())
    assert listed_now() == ([permit.number], [])  # the replaced card is withdrawn, its successor valid
    assert after(permits.suspend, new) == ([permit.number], [new.number])
    assert after(permits.revoke, new) == (sorted([permit.number, new.number]), [])
    other = _issue(db, make_application, users, clock, app)
    assert after(permits.annul, other) == (sorted([permit.number, new.number, other.number]), [])


def test_a_device_holding_the_current_list_gets_304_and_the_new_one_after_a_change(
    client, db, permit, guard_token, users, clock
):
    first = _get(client, guard_token)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "private, no-cache"
    unchanged = _get(client, guard_token, etag)
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == etag
    assert _get(client, guard_token, '"' + etag[3:]).status_code == 304  # compared weakly (RFC 9110)
    assert _get(client, guard_token, f'W/"other", {etag}').status_code == 304
    assert _get(client, guard_token, 'W/"other"').status_code == 200

    permits.suspend(db, permit, officer=users[Role.OFFICER], reason="Check.", now=clock())
    db.flush()
    changed = _get(client, guard_token, etag)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert _claims(client, changed)["suspended"] == [permit.number]
    assert _get(client, guard_token, changed.headers["ETag"]).status_code == 304


def test_roles_are_checked_before_any_304(client, db, users, clock, guard_token):
    etag = _get(client, guard_token).headers["ETag"]
    assert client.get("/api/v1/revocations", headers={"If-None-Match": etag}).status_code == 401
    assert _get(client, "lbt_wrong", etag).status_code == 401
    for role in (Role.ANALYST, Role.ADMIN, Role.AUDITOR):
        token = create_token(db, users[role], name="x", now=clock())[1]
        assert _get(client, token, etag).status_code == 403
        assert _get(client, token).status_code == 403
    for role in (Role.OFFICER, Role.SUPERVISOR):
        token = create_token(db, users[role], name="x", now=clock())[1]
        assert _get(client, token, etag).status_code == 304


def test_the_day_turning_drops_expired_permits(client, db, guard_token, users, clock, app, make_application):
    short = _issue(db, make_application, users, clock, app)  # valid until 2027-11-21
    permits.suspend(db, short, officer=users[Role.OFFICER], reason="Check.", now=clock())
    db.flush()
    _revoked, suspended, etag = _listed(client, guard_token)
    assert suspended == [short.number]
    clock.advance(days=364)  # 2027-11-21: its last day, still listed
    assert _listed(client, guard_token)[1] == [short.number]
    clock.advance(days=1)  # expired: every verifier refuses it by its date
    _revoked, suspended, later = _listed(client, guard_token)
    assert suspended == [] and later != etag
    assert _get(client, guard_token, etag).status_code == 200


def test_the_kept_list_is_signed_again_when_old_and_made_again_with_another_key(db, permit, users, clock):
    lists = RevocationLists()
    key, other = SigningKey.of(new_private_key()), SigningKey.of(new_private_key())
    made = lists.current(db, key, clock())
    assert lists.current(db, key, clock()) is made
    clock.advance(seconds=RESIGN_AFTER.total_seconds() - 1)
    assert lists.current(db, key, clock()) is made
    clock.advance(seconds=1)
    again = lists.current(db, key, clock())
    assert again.version == made.version and again.token != made.token  # a fresh iat, same numbers
    rotated = lists.current(db, other, clock())
    assert rotated.version != made.version
    jwks = {"keys": [other.public_jwk()]}
    assert verify(rotated.token, jwks, REVOCATION_LIST_TYP)["iat"] == int(clock().timestamp())


def test_a_change_committed_late_with_a_lower_id_changes_the_version(db, permit, users, clock):
    """Ids are handed out at insert: a change may commit after a later one with a higher id. The count
    of changes still grows, so the version differs and the list is read again."""
    key = SigningKey.of(new_private_key())

    def change(row_id: int) -> None:
        db.add(
            PermitStatusChange(
                id=row_id,
                permit_id=permit.id,
                agreement_id=permit.agreement_id,
                status=PermitStatus.SUSPENDED,
                changed_at=clock(),
            )
        )
        db.flush()

    change(1000)
    before = list_version(db, key, clock().date())
    change(999)
    assert list_version(db, key, clock().date()) != before
    assert list_version(db, key, clock().date() + timedelta(days=1)) != list_version(db, key, clock().date())
