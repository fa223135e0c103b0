"""Shared fixtures: settings, app, a database session rolled back after each test, clients per role,
and small factories. Runs on SQLite by default, on PostgreSQL when LBT_TEST_DATABASE_URL is set."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from lbt import create_app
from lbt.accounts.models import Role, User
from lbt.accounts.services import hash_password
from lbt.core.db import make_engine
from lbt.core.settings import Settings
from lbt.models import Base
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, CrossingPointKind, Locality, State
from lbt.web.state import limiter
from tests.dbutil import temporary_database

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@dataclass
class Clock:
    """A settable clock handed to the app and the services instead of the system time."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One empty database for the whole run (a temporary one on PostgreSQL, dropped at the end)."""
    with temporary_database(tmp_path_factory.mktemp("db"), "lbt_test") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))


def _session_on(connection: Connection, clock: Clock) -> Session:
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    session.info["clock"] = clock
    return session


@pytest.fixture
def db(connection: Connection, clock: Clock) -> Iterator[Session]:
    session = _session_on(connection, clock)
    yield session
    session.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        instance_path=tmp_path / "instance",
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 32,
        public_url="http://localhost",
        testing=True,
    )


class Client(FlaskClient):
    """A test client that posts forms with their CSRF token, as a browser would."""

    def csrf_token(self) -> str:
        page = self.get("/", follow_redirects=True).get_data(as_text=True)
        match = CSRF_RE.search(page)
        assert match, "no CSRF token on the home page"
        return match.group(1)

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=payload, **kwargs)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        return self.submit("/login", {"username": username, "password": password})


@pytest.fixture
def app(settings: Settings, connection: Connection, clock: Clock) -> Iterator[Flask]:
    app = create_app(settings)
    app.test_client_class = Client
    state = app.extensions["lbt"]
    state.database.dispose()
    state.database.session_factory = lambda: _session_on(connection, clock)
    state.clock = clock
    limiter.reset()  # the limiter's memory storage outlives one app
    yield app


@pytest.fixture
def client(app: Flask) -> Client:
    return app.test_client()  # type: ignore[return-value]


# --- factories --------------------------------------------------------------------------------


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class Reference:
    tj: State
    kg: State
    uz: State
    agreement: Agreement
    other_agreement: Agreement
    locality: Locality
    crossing_point: CrossingPoint
    other_crossing_point: CrossingPoint
    section: BorderSection
    other_section: BorderSection


def make_state(db: Session, code: str, alpha3: str, name: str) -> State:
    state = State(code=code, alpha3=alpha3, name_en=name, name_ru=name, name_national=name)
    db.add(state)
    return state


def make_agreement(db: Session, code: str, a: State, b: State, **rules: Any) -> Agreement:
    values: dict[str, Any] = {
        "in_force_from": date(2025, 1, 1),
        "min_residence_years": 3,
        "validity_min_years": 1,
        "validity_max_years": 5,
        "first_permit_max_years": 2,
        "max_stay_days": 90,
        "rolling_window_days": 180,
        "rolling_limit_days": 90,
        "fee_amount": Decimal("20.00"),
        "fee_currency": "EUR",
        "fee_exemptions": ["minor", "pensioner"],
        "reasons": ["family", "economic", "religious"],
        "decision_deadline_days": 30,
        "reconsideration_days": 14,
    }
    values.update(rules)
    agreement = Agreement(code=code, name=f"{a.name_en}-{b.name_en} LBT", state_a=a, state_b=b, **values)
    db.add(agreement)
    return agreement


@pytest.fixture
def ref(db: Session) -> Reference:
    tj = make_state(db, "TJ", "TJK", "Tajikistan")
    kg = make_state(db, "KG", "KGZ", "Kyrgyzstan")
    uz = make_state(db, "UZ", "UZB", "Uzbekistan")
    agreement = make_agreement(db, "TJ-KG", tj, kg)
    other = make_agreement(db, "TJ-UZ", tj, uz)
    locality = Locality(
        agreement=agreement,
        state=tj,
        name_national="Ворух",
        name_latin="Vorukh",
        district="Isfara",
        distance_km=Decimal("2.5"),
    )
    point = CrossingPoint(
        code="KG-TJ-01", name="Kyzyl-Bel", kind=CrossingPointKind.ROAD, agreement=agreement, state=kg
    )
    other_point = CrossingPoint(
        code="UZ-TJ-01", name="Oybek", kind=CrossingPointKind.ROAD, agreement=other, state=uz
    )
    section = BorderSection(
        code="SEC-1", name="Isfara-Batken", state_a=tj, state_b=kg, working_languages=["tg", "ky"]
    )
    other_section = BorderSection(
        code="SEC-9", name="Spitamen", state_a=tj, state_b=uz, working_languages=["tg", "uz"]
    )
    db.add_all([locality, point, other_point, section, other_section])
    db.flush()
    return Reference(tj, kg, uz, agreement, other, locality, point, other_point, section, other_section)


def make_user(db: Session, username: str, role: Role, **fields: Any) -> User:
    user = User(username=username, role=role, password_hash=password_hash(), **fields)
    db.add(user)
    db.flush()
    return user


@pytest.fixture
def users(db: Session, ref: Reference) -> dict[Role, User]:
    """One user per role, each scoped to the first agreement, crossing point or section."""
    return {
        Role.ADMIN: make_user(db, "admin", Role.ADMIN),
        Role.OFFICER: make_user(db, "officer", Role.OFFICER, agreements=[ref.agreement]),
        Role.SUPERVISOR: make_user(db, "supervisor", Role.SUPERVISOR, agreements=[ref.agreement]),
        Role.BORDER_GUARD: make_user(db, "guard", Role.BORDER_GUARD, crossing_points=[ref.crossing_point]),
        Role.REPRESENTATIVE: make_user(
            db, "representative", Role.REPRESENTATIVE, state=ref.tj, border_sections=[ref.section]
        ),
        Role.AUDITOR: make_user(db, "auditor", Role.AUDITOR),
    }


@pytest.fixture
def login_as(app: Flask, users: dict[Role, User]):  # type: ignore[no-untyped-def]
    """``login_as(Role.OFFICER)`` gives a client logged in as that role's user."""

    def login(role: Role) -> Client:
        client: Client = app.test_client()  # type: ignore[assignment]
        response = client.login(users[role].username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login
