"""``CookieSessions`` (lbt/web/security.py): a request without the session cookie (a device's API
call) gets an empty session without the signing serializer being built; a request with one reads it
as Flask's own interface does, and a forged one is an empty session."""

from __future__ import annotations

from flask import session

from lbt.web.security import CookieSessions


def test_without_the_cookie_no_serializer_is_built(app, monkeypatch):  # type: ignore[no-untyped-def]
    assert isinstance(app.session_interface, CookieSessions)

    def refuse(_app):  # type: ignore[no-untyped-def]
        raise AssertionError("the serializer was built for a request without the cookie")

    monkeypatch.setattr(app.session_interface, "get_signing_serializer", refuse)
    with app.test_request_context("/healthz"):
        opened = app.session_interface.open_session(app, app.test_request_context("/").request)
        assert opened is not None and dict(opened) == {} and not opened.modified


def test_with_the_cookie_the_session_reads_as_flasks_own(app):  # type: ignore[no-untyped-def]
    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context("/"):
        serializer = app.session_interface.get_signing_serializer(app)
        assert serializer is not None
        signed = serializer.dumps({"kept": "yes"})
    with app.test_request_context("/", headers={"Cookie": f"{name}={signed}"}):
        assert session.get("kept") == "yes"
    with app.test_request_context("/", headers={"Cookie": f"{name}={signed[:-2]}xx"}):
        assert dict(session) == {}  # a bad signature: no session, as Flask's interface gives
