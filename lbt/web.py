"""Glue between Flask and the rest: the request's database session, settings, clock, actor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy.orm import Session

from lbt.audit.models import AuditActor
from lbt.db import Database
from lbt.permits.signing import KEYS_FOLDER, SIGNING_KEY_ENV, KeyStore
from lbt.settings import Settings
from lbt.uploads import FileStore

# Flask-Limiter: the storage is memory:// by default (one process), redis://... in production
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def _system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppState:
    settings: Settings
    database: Database
    clock: Callable[[], datetime] = field(default=_system_clock)

    @property
    def keystore(self) -> KeyStore:
        return KeyStore.from_env(
            self.settings.instance_path / KEYS_FOLDER, {SIGNING_KEY_ENV: self.settings.signing_key_pem}
        )

    @property
    def files(self) -> FileStore:
        return FileStore(self.settings.instance_path / "uploads")


def state() -> AppState:
    return current_app.extensions["lbt"]  # type: ignore[no-any-return]


def settings() -> Settings:
    return state().settings


def now() -> datetime:
    return state().clock()


def get_session() -> Session:
    """The request's one session; the view commits it once, teardown closes (and rolls back) it."""
    session: Session | None = g.get("_lbt_session")
    if session is None:
        session = state().database.session_factory()
        session.info["clock"] = state().clock
        g._lbt_session = session
    return session


def request_actor() -> AuditActor:
    source = f"web {request.remote_addr or '-'}"
    if current_user and current_user.is_authenticated:
        return AuditActor(current_user.id, current_user.username, source)
    return AuditActor(None, "anonymous", source)


def set_actor(actor: AuditActor) -> None:
    get_session().info["actor"] = actor


def close_session(_exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("_lbt_session", None)
    if session is not None:
        session.close()


def bind_actor() -> None:
    """Changes made during this request are audited under the logged-in user (or 'anonymous')."""
    if request.endpoint and request.endpoint != "static":
        set_actor(request_actor())


def form_page(template: str, form: Any, **context: Any) -> tuple[str, int]:
    """Render a form page: 400 when the submitted form has errors, so clients see the refusal."""
    status = 400 if form.errors else 200
    return render_template(template, form=form, **context), status
