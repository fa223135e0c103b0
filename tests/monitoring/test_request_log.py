"""The log: one JSON object per line, one line per request with its id (the caller's sane
``X-Request-ID`` or a new one, sent back), the user's id, method, endpoint, status and duration, and
never personal data: an application driven through its steps leaves no name, document number, access
code or token in it."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.permits.models import Permit
from lbt.web import request_log
from lbt.web.request_log import json_handler
from tests.applications.test_public_views import apply, open_status, send, stored_application
from tests.crossings import sending
from tests.fixtures.applications import PDF

permit, guard_token = sending.permit, sending.guard_token
NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """What the app's loggers write, through the same JSON formatter as standard error gets."""
    stream = io.StringIO()
    handler = json_handler(stream)
    logger = logging.getLogger("lbt")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def requests(stream: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in lines(stream) if line.get("event") == "request"]


def test_a_request_is_one_json_line_with_its_id_user_method_endpoint_status_and_duration(
    login_as, users, log
):
    officer = login_as(Role.OFFICER)
    log.truncate(0)
    log.seek(0)
    response = officer.get("/applications/?q=RAHIMOV")
    assert response.status_code == 200
    [line] = requests(log)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert NEW_ID.fullmatch(line["request_id"])
    assert line["user_id"] == users[Role.OFFICER].id
    assert (line["method"], line["endpoint"], line["status"]) == ("GET", "applications.queue", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "info" and line["timestamp"].endswith("Z")
    assert "RAHIMOV" not in log.getvalue() and "/applications" not in log.getvalue()  # no query, no path


def test_an_anonymous_request_has_no_user(client, log):
    client.get("/healthz")
    assert requests(log)[-1]["user_id"] is None


@pytest.mark.parametrize("incoming", ["7f3e1c2a-9b1d-4c5e-8f00-0a1b2c3d4e5f", "req-42.proxy:eu_1"])
def test_a_sane_incoming_request_id_is_kept_and_sent_back(client, log, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming
    assert requests(log)[-1]["request_id"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "short",
        "has spaces in it",
        'quote"s-and-more',
        "x" * 129,
        "<script>alert(1)</script>",
        "-leading-dash",
    ],
)
def test_any_other_incoming_request_id_is_replaced_by_a_new_one(client, log, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    sent_back = response.headers["X-Request-ID"]
    assert NEW_ID.fullmatch(sent_back) and sent_back != incoming
    assert requests(log)[-1]["request_id"] == sent_back
    assert incoming not in log.getvalue() or incoming == ""


def test_a_refused_request_is_logged_with_its_status(login_as, log):
    login_as(Role.OFFICER).get("/admin/users")
    assert requests(log)[-1]["status"] == 403 and requests(log)[-1]["endpoint"] == "accounts.users"


def test_an_application_through_its_steps_leaves_no_personal_data_or_token_in_the_log(
    client, app, ref, db, login_as, log, guard_token
):
    wrong = send(client, {"surname_national": "", "document_number": "A1234567"})  # a form sent back
    assert wrong.status_code == 400
    applied = apply(client, ref)
    application = stored_application(db, applied.reference)
    officer = login_as(Role.OFFICER)
    asked = officer.submit(
        f"/applications/{application.id}/request-information", {"message": "Send a residence certificate."}
    )
    assert asked.status_code == 302
    open_status(client, applied)
    assert client.get("/apply/status/view").status_code == 200
    answered = send(
        client,
        {"text": "Attached."},
        url="/apply/status/answer",
        documents=(("residence_proof", PDF, "certificate.pdf"),),
    )
    assert answered.status_code == 302
    approved = officer.submit(
        f"/applications/{application.id}/approve",
        {"valid_from": "2026-11-23", "valid_until": "2028-11-22", "fee_status": "paid"},
    )
    assert approved.status_code == 302
    db.expire_all()
    token = db.scalar(select(Permit.token).where(Permit.application_id == application.id))
    assert token
    verdict = client.post("/api/v1/verify", json={"token": token}, headers=sending.bearer(guard_token))
    assert verdict.status_code == 200
    assert officer.get(f"/applications/?q={applied.reference}").status_code == 200

    text = log.getvalue()
    endpoints = [line["endpoint"] for line in requests(log)]
    assert "apply.form" in " ".join(endpoints) or any(e.startswith("apply.") for e in endpoints)
    assert "applications.approve" in endpoints and "api.verify" in endpoints  # the log has the steps
    personal = [
        "Раҳимов",
        "RAHIMOV",
        "Фаррух",
        "FARRUKH",
        "A1234567",
        "a 1234567",
        applied.code,  # the resident's access code
        guard_token,
        token[:40],  # the permit's signed QR (it carries the name and document number)
        "residence certificate",  # what the officer wrote
        "certificate.pdf",
    ]
    assert [found for found in personal if found in text] == []


def only_the_apps_handler(monkeypatch: pytest.MonkeyPatch) -> logging.Logger:
    """The ``lbt`` logger as in production: pytest's own capture handlers taken off it for the test."""
    logger = logging.getLogger("lbt")
    own = [handler for handler in logger.handlers if handler.get_name() == request_log.HANDLER_NAME]
    monkeypatch.setattr(logger, "handlers", own)
    return logger


def test_the_request_line_written_directly_is_the_one_the_logging_pipeline_writes(app, capsys, monkeypatch):
    """One line per request is written without the logging machinery when the app's own handler is
    the only one (``_only_handler``): the same keys in the same order, the same values, a UTC time."""
    only_the_apps_handler(monkeypatch)
    assert request_log._only_handler() is not None  # the app's handler alone, as in production
    structlog.contextvars.bind_contextvars(request_id="abcdef0123456789", shift="night")
    try:
        request_log.log_request("abcdef0123456789", "POST", "api.verify", 200, 0.00125, 7)
        direct = capsys.readouterr().err
        with_pipeline = logging.getLogger("lbt").handlers[0]
        logging.getLogger("lbt").addFilter(lambda _record: True)  # any filter: the pipeline's way
        try:
            assert request_log._only_handler() is None
            request_log.log_request("abcdef0123456789", "POST", "api.verify", 200, 0.00125, 7)
        finally:
            logging.getLogger("lbt").filters.clear()
        piped = capsys.readouterr().err
    finally:
        structlog.contextvars.clear_contextvars()
    assert with_pipeline.get_name() == request_log.HANDLER_NAME
    stamp = re.compile(r'"timestamp": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z"')
    assert stamp.search(direct) and stamp.search(piped)
    assert direct.count("\n") == 1 and stamp.sub("", direct) == stamp.sub("", piped)
    assert list(json.loads(direct)) == [
        *("request_id", "method", "endpoint", "status", "duration_ms", "user_id", "event", "shift"),
        *("level", "logger", "timestamp"),
    ]
    assert json.loads(direct)["duration_ms"] == 1.2


def test_a_bound_value_json_cannot_hold_is_written_as_the_pipeline_writes_it(app, capsys, monkeypatch):
    only_the_apps_handler(monkeypatch)
    structlog.contextvars.bind_contextvars(job=uuid.UUID(int=7))
    try:
        request_log.log_request("abcdef0123456789", "GET", "jobs.view", 200, 0.002, None)
        direct = capsys.readouterr().err
        monkeypatch.setattr(request_log, "_only_handler", lambda: None)
        request_log.log_request("abcdef0123456789", "GET", "jobs.view", 200, 0.002, None)
        piped = capsys.readouterr().err
    finally:
        structlog.contextvars.clear_contextvars()
    assert json.loads(direct)["job"] == repr(uuid.UUID(int=7)) == json.loads(piped)["job"]


@pytest.mark.parametrize(
    "change", ["second handler", "level", "handler level", "processors", "formatter", "filter"]
)
def test_any_other_logging_set_up_gets_the_line_through_the_pipeline(app, change, monkeypatch):
    logger = only_the_apps_handler(monkeypatch)
    if change == "second handler":
        monkeypatch.setattr(logger, "handlers", [*logger.handlers, logging.NullHandler()])
    elif change == "level":
        monkeypatch.setattr(logging.getLogger("lbt.request"), "disabled", True)
    elif change == "handler level":
        monkeypatch.setattr(logger.handlers[0], "level", logging.WARNING)
    elif change == "formatter":
        monkeypatch.setattr(logger.handlers[0], "formatter", logging.Formatter())
    elif change == "filter":
        monkeypatch.setattr(logger.handlers[0], "filters", [lambda _record: True])
    else:
        monkeypatch.setattr(request_log, "_configured", [])
    assert request_log._only_handler() is None
