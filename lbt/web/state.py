"""The request's state for views: the database session, settings, clock, actor, and the services the
composition root (`lbt.app`) registered. Nothing here knows which areas exist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from flask import current_app, g, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy.orm import Session

from lbt.audit.models import AuditActor
from lbt.core.dates import local_day
from lbt.core.db import Database
from lbt.core.settings import Settings

T = TypeVar("T")

# Flask-Limiter: the storage is memory:// by default (one process), redis://... in production
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppState:
    """What one app holds: its settings, database and clock, and factories of its services by type
    (as warehouse's ``request.find_service``), filled in by the composition root."""

    settings: Settings
    database: Database
    clock: Callable[[], datetime] = field(default=system_clock)
    factories: dict[type, Callable[[], Any]] = field(default_factory=dict)

    def provide(self, kind: type[T], factory: Callable[[], T]) -> None:
        self.factories[kind] = factory

    def find(self, kind: type[T]) -> T:
        return self.factories[kind]()  # type: ignore[no-any-return]


def state() -> AppState:
    return current_app.extensions["lbt"]  # type: ignore[no-any-return]


def find_service(kind: type[T]) -> T:
    """The app's instance of a service class (the key store, the file store, ...)."""
    return state().find(kind)


def settings() -> Settings:
    return state().settings


def now() -> datetime:
    return state().clock()


def local_today() -> date:
    """The calendar day now on the instance's clock (``LBT_TIME_ZONE``, else the home state's): the day
    permits' validity dates and deadlines count, not UTC's."""
    return local_day(now(), settings().instance_zone)


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
