"""``/metrics``: the Prometheus text, only for a monitor's API token; what it counts (requests, verdicts,
crossings) and what it reads at scrape time (the mail outbox, registered collectors)."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from prometheus_client.core import GaugeMetricFamily

from lbt.accounts.models import Role
from lbt.api.services import create_token, revoke_token
from lbt.notifications.models import OutboxMessage
from lbt.notifications.services import MAX_ATTEMPTS
from lbt.web.metrics import collectors_of, register_collector
from tests.crossings import sending
from tests.monitoring.scraping import total, value

permit, guard_token = sending.permit, sending.guard_token
bearer = sending.bearer


@pytest.fixture
def monitor_token(db, users, clock) -> str:  # type: ignore[no-untyped-def]
    return create_token(db, users[Role.MONITOR], name="prometheus", now=clock())[1]


def scrape(client, token: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_a_monitors_token_reads_the_prometheus_text(client, monitor_token):
    assert client.get("/healthz").status_code == 200  # a request counted before (a new process has none)
    response = client.get("/metrics", headers=bearer(monitor_token))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = response.get_data(as_text=True)
    assert "# TYPE lbt_http_requests_total counter" in text
    assert "# TYPE lbt_http_request_duration_seconds histogram" in text
    assert "# TYPE lbt_mail_outbox_messages gauge" in text


def test_without_a_token_the_answer_is_401_with_a_bearer_challenge(client):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="lbt"'
    assert "Send a valid API token" in response.get_data(as_text=True)
    assert "lbt_http_requests_total" not in response.get_data(as_text=True)


def test_an_unknown_or_revoked_token_is_401(client, db, monitor_token, users, clock):
    assert client.get("/metrics", headers=bearer("lbt_not-a-token")).status_code == 401
    token = create_token(db, users[Role.MONITOR], name="old", now=clock())
    revoke_token(db, token[0], clock())
    db.flush()
    response = client.get("/metrics", headers=bearer(token[1]))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("role", [role for role in Role if role is not Role.MONITOR], ids=str)
def test_every_other_roles_token_is_refused_with_403(client, db, users, clock, role):
    token = create_token(db, users[role], name="x", now=clock())[1]
    response = client.get("/metrics", headers=bearer(token))
    assert response.status_code == 403
    assert "lbt_http_requests_total" not in response.get_data(as_text=True)


def test_a_monitors_login_cookie_is_not_enough(login_as):
    response = login_as(Role.MONITOR).get("/metrics")
    assert response.status_code == 403
    assert "Read the metrics with the monitoring system's API token." in html.unescape(
        response.get_data(as_text=True)
    )


def test_an_administrators_login_is_refused(login_as):
    assert login_as(Role.ADMIN).get("/metrics").status_code == 403


def test_a_monitor_token_opens_no_api_route(client, monitor_token, permit):
    response = client.post("/api/v1/verify", json={"token": permit.token}, headers=bearer(monitor_token))
    assert response.status_code == 403


def test_requests_are_counted_by_endpoint_method_and_status(client, monitor_token):
    before = scrape(client, monitor_token)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/no-such-page?name=Farrukh").status_code == 404
    after = scrape(client, monitor_token)
    labels = {"endpoint": "monitoring.health", "method": "GET", "status": "200"}
    assert (
        value(after, "lbt_http_requests_total", **labels) - value(before, "lbt_http_requests_total", **labels)
        == 3
    )
    missing = {"endpoint": "none", "method": "GET", "status": "404"}
    assert (
        value(after, "lbt_http_requests_total", **missing)
        - value(before, "lbt_http_requests_total", **missing)
        == 1
    )
    assert "Farrukh" not in after and "no-such-page" not in after  # labels name routes, not paths
    timed = {"endpoint": "monitoring.health", "status": "200"}
    counted = value(after, "lbt_http_request_duration_seconds_count", **timed)
    assert counted - value(before, "lbt_http_request_duration_seconds_count", **timed) == 3


def test_verdicts_are_counted_by_kind_and_first_reason(client, monitor_token, permit, guard_token):
    before = scrape(client, monitor_token)
    green = client.post("/api/v1/verify", json={"token": permit.token}, headers=bearer(guard_token))
    assert green.get_json()["verdict"] == "pass", green.get_json()
    for _ in range(2):
        red = client.post("/api/v1/verify", json={"token": "not a permit"}, headers=bearer(guard_token))
        assert red.get_json()["reasons"][0]["code"] == "not_lbt"
    after = scrape(client, monitor_token)

    def delta(**labels: str) -> float:
        return value(after, "lbt_verdicts_total", **labels) - value(before, "lbt_verdicts_total", **labels)

    assert delta(verdict="pass", reason="valid", source="scan") == 1
    assert delta(verdict="refuse", reason="not_lbt", source="scan") == 2


def test_a_typed_number_on_the_guard_page_counts_as_typed(app, login_as, monitor_token, permit):
    guard = login_as(Role.BORDER_GUARD)
    client = app.test_client()
    before = scrape(client, monitor_token)
    response = guard.post(
        "/crossings/verify-number",
        json={"number": "TJ-2026-999999-0"},
        headers={"X-CSRFToken": guard.csrf_token()},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    kind = response.get_json()
    after = scrape(client, monitor_token)
    labels = {"verdict": kind["verdict"], "reason": kind["reasons"][0]["code"], "source": "typed_number"}
    assert value(after, "lbt_verdicts_total", **labels) - value(before, "lbt_verdicts_total", **labels) == 1


def test_crossings_stored_are_counted_online_and_offline_when_committed(
    client, monitor_token, permit, guard_token, clock
):
    before = scrape(client, monitor_token)
    online = sending.item(permit, clock(), offline=False)
    offline = sending.item(permit, clock() - timedelta(hours=1), direction="exit", offline=True)
    results = sending.send(client, guard_token, online, offline)
    assert [result["status"] for result in results] == ["stored", "stored"], results
    again = sending.send(client, guard_token, online)  # a duplicate stores nothing and counts nothing
    assert again[0]["status"] == "duplicate"
    after = scrape(client, monitor_token)

    def delta(**labels: str) -> float:
        name = "lbt_crossings_recorded_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(mode="online", status="counted") == 1
    assert delta(mode="offline", status="counted") == 1


def test_the_outbox_depth_age_and_stuck_mails_are_read_at_scrape_time(client, db, monitor_token, clock):
    def message(age: timedelta, **fields) -> OutboxMessage:  # type: ignore[no-untyped-def]
        return OutboxMessage(
            recipient="resident@example.org", subject="s", body="b", created_at=clock() - age, **fields
        )

    db.add_all(
        [
            message(timedelta(hours=2)),
            message(timedelta(minutes=5), attempts=MAX_ATTEMPTS),
            message(timedelta(days=3), sent_at=clock()),  # sent: neither waiting nor the oldest
        ]
    )
    db.flush()
    text = scrape(client, monitor_token)
    assert value(text, "lbt_mail_outbox_messages") == 2
    assert value(text, "lbt_mail_outbox_stuck_messages") == 1
    assert value(text, "lbt_mail_outbox_oldest_age_seconds") == 2 * 3600
    assert "resident@example.org" not in text


def test_an_empty_outbox_has_no_age(client, monitor_token):
    text = scrape(client, monitor_token)
    assert value(text, "lbt_mail_outbox_messages") == 0
    assert value(text, "lbt_mail_outbox_oldest_age_seconds") == 0


def test_the_database_pool_is_watched(client, monitor_token):
    text = scrape(client, monitor_token)
    assert "# TYPE lbt_db_pool_connections gauge" in text
    assert "# TYPE lbt_db_pool_connections_in_use gauge" in text


def test_a_registered_collector_is_read_at_each_scrape_and_a_failing_one_is_left_out(
    app, client, monitor_token
):
    seen = []

    def queued(session, now):  # type: ignore[no-untyped-def]
        seen.append(now)
        yield GaugeMetricFamily("lbt_test_jobs_queued", "Jobs waiting (a test's collector).", value=7)

    def broken(session, now):  # type: ignore[no-untyped-def]
        raise RuntimeError("this collector fails")

    kept = collectors_of(app)
    register_collector(app, broken)
    register_collector(app, queued)
    try:
        text = scrape(client, monitor_token)
    finally:
        app.extensions["lbt_metrics_collectors"][:] = kept
    assert value(text, "lbt_test_jobs_queued") == 7
    assert total(text, "lbt_mail_outbox_messages") == 0  # the built-in ones are still there
    assert len(seen) == 1


def test_background_jobs_queued_running_and_failed_are_read_at_scrape_time(client, db, monitor_token):
    from lbt.jobs.models import Job, JobState

    db.add_all(
        [
            Job(kind="test", state=state)
            for state in (JobState.QUEUED, JobState.QUEUED, JobState.FAILED, JobState.DONE)
        ]
    )
    db.flush()
    text = scrape(client, monitor_token)
    assert value(text, "lbt_jobs", state="queued") == 2
    assert value(text, "lbt_jobs", state="running") == 0
    assert value(text, "lbt_jobs", state="failed") == 1


def test_each_exchange_links_state_is_read_at_scrape_time(client, db, monitor_token, ref, clock):
    from lbt.exchange.models import ExchangeLink, OutgoingMessage

    link = ExchangeLink(
        agreement_id=ref.agreement.id,
        partner_state="KG",
        partner_url="https://lbt.partner.example",
        partner_kid="k" * 43,
        partner_jwk={"kty": "EC"},
        own_kid="o" * 43,
        last_sent_at=clock() - timedelta(minutes=10),
        last_received_at=clock() - timedelta(minutes=3),
        last_error="the partner did not answer",
        last_error_at=clock() - timedelta(minutes=1),
    )
    db.add(link)
    db.flush()
    db.add_all(
        [
            OutgoingMessage(
                link_id=link.id,
                message_id=f"00000000-0000-4000-8000-00000000000{n}",
                sequence=n,
                kind="test",
                kid=link.own_kid,
                payload="{}",
                delivered_at=delivered,
            )
            for n, delivered in ((1, clock()), (2, None), (3, None))
        ]
    )
    db.flush()
    text = scrape(client, monitor_token)
    labels = {"agreement": ref.agreement.code, "partner": "KG"}
    assert value(text, "lbt_exchange_link_active", **labels) == 1
    assert value(text, "lbt_exchange_link_failing", **labels) == 1  # the error came after the last success
    assert value(text, "lbt_exchange_link_last_sent_age_seconds", **labels) == 600
    assert value(text, "lbt_exchange_link_last_received_age_seconds", **labels) == 180
    assert value(text, "lbt_exchange_outbox_pending_messages", **labels) == 2
    assert "partner.example" not in text
