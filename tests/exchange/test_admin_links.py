"""The administrator's page of partner links: deactivate, reactivate and re-point a link (with CSRF,
audited, bad input refused with a reason and nothing changed), and what a deactivated link does: the
sync leaves it alone, the partner's pushes and fetches are answered 409 "link inactive" with nothing
taken or stored, and changes still queue on it in order."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lbt.accounts.models import Role
from lbt.audit.models import AuditEntry
from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.kinds import enqueue
from lbt.exchange.messages import FETCH_TYP
from lbt.exchange.models import ExchangeLink, ExchangeRefusal, IncomingMessage, OutgoingMessage
from lbt.exchange.sync import sync_all
from lbt.monitoring.collectors import exchange_links
from lbt.permits.signing import sign
from tests.exchange.helpers import Partner, link_to


def _linked(app, db, clock, ref):  # type: ignore[no-untyped-def]
    partner = Partner("KG", "TJ", "TJ-KG")
    own = app.extensions["lbt"].find(ExchangeKeyStore).ensure_key(clock())
    link = link_to(db, ref.agreement, partner, own_kid=own.kid)
    db.commit()
    return partner, link


def _post(client, path: str, prefix: str, **fields):  # type: ignore[no-untyped-def]
    data = {f"{prefix}-csrf_token": client.csrf_token(), **{f"{prefix}-{k}": v for k, v in fields.items()}}
    return client.post(path, data=data)


def _audited(db, link: ExchangeLink) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "exchange_links", AuditEntry.entity_id == str(link.id))
            .order_by(AuditEntry.id)
        )
    )


def _active_metric(db, clock) -> float:  # type: ignore[no-untyped-def]
    (family,) = [
        family for family in exchange_links(db, clock()) if family.name == "lbt_exchange_link_active"
    ]
    (sample,) = family.samples
    return sample.value


def test_the_admin_deactivates_and_reactivates_a_link_audited(app, login_as, db, clock, ref):
    _partner, link = _linked(app, db, clock, ref)
    admin = login_as(Role.ADMIN)
    page = admin.get("/admin/exchange").get_data(as_text=True)
    assert 'data-active="yes"' in page and "Deactivate the link" in page

    answer = _post(admin, f"/admin/exchange/links/{link.id}/deactivate", f"link-{link.id}-state")

    assert answer.status_code == 302
    db.refresh(link)
    assert link.deactivated_at == clock()
    page = admin.get("/admin/exchange").get_data(as_text=True)
    assert 'data-active="no"' in page and "Reactivate the link" in page
    assert _active_metric(db, clock) == 0  # /metrics: switched off
    # twice: refused with the reason, nothing changed
    again = _post(admin, f"/admin/exchange/links/{link.id}/deactivate", f"link-{link.id}-state")
    assert again.status_code == 400 and "inactive already" in again.get_data(as_text=True)

    clock.advance(minutes=5)
    answer = _post(admin, f"/admin/exchange/links/{link.id}/reactivate", f"link-{link.id}-state")

    assert answer.status_code == 302
    db.refresh(link)
    assert link.deactivated_at is None
    assert _active_metric(db, clock) == 1
    entries = _audited(db, link)
    assert [(entry.action, entry.actor_name) for entry in entries[-2:]] == [
        ("update", "admin"),
        ("update", "admin"),
    ]
    assert "deactivated_at" in entries[-2].changes and "deactivated_at" in entries[-1].changes


def test_the_admin_re_points_a_link_and_its_key_stays(app, login_as, db, clock, ref):
    partner, link = _linked(app, db, clock, ref)
    enqueue(db, ref.agreement, "exchange.key", {"jwk": {}}, now=clock())
    db.commit()
    message = db.scalars(select(OutgoingMessage)).one()
    message.next_attempt_at = clock() + timedelta(hours=1)  # waiting after failures at the old address
    db.commit()
    admin = login_as(Role.ADMIN)

    answer = _post(
        admin,
        f"/admin/exchange/links/{link.id}/address",
        f"link-{link.id}",
        partner_url="https://new.kg.example/",
    )

    assert answer.status_code == 302
    db.refresh(link)
    db.refresh(message)
    assert (link.partner_url, link.partner_kid) == ("https://new.kg.example", partner.key.kid)
    assert message.next_attempt_at is None  # offered to the new address at the next sync
    (entry,) = [entry for entry in _audited(db, link) if entry.action == "update"]
    assert entry.actor_name == "admin" and "partner_url" in entry.changes


def test_a_bad_address_or_an_unknown_link_is_refused_and_nothing_changes(app, login_as, db, clock, ref):
    _partner, link = _linked(app, db, clock, ref)
    admin = login_as(Role.ADMIN)
    path, prefix = f"/admin/exchange/links/{link.id}/address", f"link-{link.id}"

    answers = [
        _post(admin, path, prefix, partner_url="http://lbt.kg.example"),
        _post(admin, path, prefix, partner_url=""),
        _post(admin, path, prefix, partner_url="https://partner.example"),  # where it goes already
        _post(admin, path, prefix, partner_url="https://x.example/?a=1"),
        _post(admin, path, prefix, partner_url="https://" + "x" * 300 + ".example"),
    ]

    assert [answer.status_code for answer in answers] == [400] * 5
    texts = [answer.get_data(as_text=True) for answer in answers]
    assert "must use https://" in texts[0]
    assert "goes to this address already" in texts[2]
    assert "no query" in texts[3]
    db.refresh(link)
    assert link.partner_url == "https://partner.example"
    assert (
        _post(
            admin, "/admin/exchange/links/999/address", "link-999", partner_url="https://a.example"
        ).status_code
        == 404
    )
    assert _post(admin, "/admin/exchange/links/999/deactivate", "link-999-state").status_code == 404
    # without the CSRF token
    refused = admin.post(f"/admin/exchange/links/{link.id}/deactivate", data={})
    assert refused.status_code == 400
    db.refresh(link)
    assert link.deactivated_at is None
    assert [entry.action for entry in _audited(db, link)] == ["create"]


def test_only_an_administrator_changes_a_link(app, login_as, db, clock, ref):
    _partner, link = _linked(app, db, clock, ref)
    officer = login_as(Role.OFFICER)
    answer = _post(officer, f"/admin/exchange/links/{link.id}/deactivate", f"link-{link.id}-state")
    assert answer.status_code == 403
    db.refresh(link)
    assert link.deactivated_at is None


def test_a_deactivated_link_answers_link_inactive_and_takes_nothing(app, client, db, clock, ref):
    partner, link = _linked(app, db, clock, ref)
    link.deactivated_at = clock()
    db.commit()
    token = partner.message("exchange.key", {"jwk": partner.key.public_jwk()}, now=clock())

    pushed = client.post("/exchange/v1/inbox", json={"messages": [token]})
    request = sign(
        {
            "v": 1,
            "from": "KG",
            "to": "TJ",
            "agr": "TJ-KG",
            "iat": int(clock().timestamp()),
            "req": 1,
            "after": 0,
        },
        partner.key,
        FETCH_TYP,
    )
    fetched = client.post("/exchange/v1/fetch", data=request, content_type="application/jose")

    assert pushed.status_code == 409 and "Link inactive" in pushed.get_json()["error"]
    assert fetched.status_code == 409 and "Link inactive" in fetched.get_json()["error"]
    db.refresh(link)
    assert (link.in_sequence, link.last_fetch_request, link.last_received_at) == (0, 0, None)
    assert db.scalar(select(func.count()).select_from(IncomingMessage)) == 0
    assert db.scalar(select(func.count()).select_from(ExchangeRefusal)) == 0

    link.deactivated_at = None  # reactivated: the same message is taken
    db.commit()
    assert client.post("/exchange/v1/inbox", json={"messages": [token]}).get_json()["results"][0][
        "status"
    ] == ("applied")


def test_changes_still_queue_on_a_deactivated_link_and_the_sync_leaves_it_alone(app, db, clock, ref):
    _partner, link = _linked(app, db, clock, ref)
    link.deactivated_at = clock()
    db.commit()

    first = enqueue(db, ref.agreement, "exchange.key", {"jwk": {}}, now=clock())
    second = enqueue(db, ref.agreement, "exchange.key", {"jwk": {}}, now=clock())
    db.commit()
    state = app.extensions["lbt"]
    results = sync_all(state.database, state.settings, keys=state.find(ExchangeKeyStore), clock=clock)

    assert first is not None and second is not None
    assert (first.sequence, second.sequence) == (1, 2)  # numbered in order, kept for the partner
    assert results == []  # nothing pushed or fetched: the partner's address is not even asked
    db.refresh(link)
    assert link.last_error == "" and link.last_sent_at is None
    assert (
        db.scalar(
            select(func.count()).select_from(OutgoingMessage).where(OutgoingMessage.delivered_at.is_(None))
        )
        == 2
    )
