"""Declarative base, column types shared by every area, and one database session per request."""

from __future__ import annotations

import enum
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, create_engine, event, inspect, make_url
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def enum_type(enum_class: type[enum.Enum], name: str) -> Enum:
    """Store an enum by its value in a VARCHAR with a CHECK constraint (portable, readable)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(str(member.value)) for member in enum_class) + 8,
        values_callable=lambda members: [str(member.value) for member in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


CLOCK_STAMP = "lbt_clock_stamp"


def stamped(**kwargs: Any) -> Any:
    """A timestamp column set, when left empty, from the clock of the session that inserts the row
    (``session.info["clock"]``): models never read the wall clock, so tests can set the time."""
    return mapped_column(info={CLOCK_STAMP: True}, **kwargs)


def session_clock(session: Session) -> Callable[[], datetime]:
    clock = session.info.get("clock")
    if clock is None:
        raise RuntimeError("this session has no clock (session.info['clock']) to stamp new rows with")
    return clock  # type: ignore[no-any-return]


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    now: datetime | None = None
    for instance in session.new:
        for key in _stamped_keys(type(instance)):
            if getattr(instance, key) is None:
                now = now or session_clock(session)()
                setattr(instance, key, now)


def _stamped_keys(model: type) -> tuple[str, ...]:
    keys = _STAMPED_KEYS.get(model)
    if keys is None:
        mapper = inspect(model)
        keys = tuple(prop.key for prop in mapper.column_attrs if prop.columns[0].info.get(CLOCK_STAMP))
        _STAMPED_KEYS[model] = keys
    return keys


_STAMPED_KEYS: dict[type, tuple[str, ...]] = {}  # a cache of the mappers, which never change


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # let SQLAlchemy, not the driver, begin transactions: pysqlite's own handling breaks SAVEPOINT and
    # transactional DDL (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL")
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    # LIKE as on PostgreSQL (case-sensitive), which also lets prefix searches use an index
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.close()


# what SQLite writes beside the database file (WAL mode), with the same rights as the file itself
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, or None for an in-memory database."""
    parsed = make_url(url)
    database = parsed.database or ""
    if not parsed.drivername.startswith("sqlite") or database in ("", ":memory:"):
        return None
    if parsed.query.get("uri") in ("true", "1") or database.startswith("file:"):
        return None  # a URI (often mode=memory): SQLite decides; not used by lbt's settings
    return Path(database)


def make_private(path: Path) -> None:
    """A SQLite file (personal data, password hashes) readable by the app's user only: created 0600
    before SQLite opens it, so its -wal and -shm files get 0600 too; an older, wider file is closed."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # an empty file is a database
    except FileExistsError:
        pass
    except OSError:
        return  # no folder, or not ours: SQLite's own error says so when it connects
    for name in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        try:
            if name.stat().st_mode & 0o077:
                name.chmod(0o600)
        except FileNotFoundError:
            continue
        except OSError as error:  # another user's file: say so, the app may still be able to use it
            log.warning("cannot make %s private (mode 0600): %s", name, error)


def make_private_folder(path: Path) -> None:
    """The instance folder (database, uploads, keys) is for the app's user only: 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError as error:
        log.warning("cannot make %s private (mode 0700): %s", path, error)


PING_AFTER_SECONDS = 2.0  # a pooled connection idle this long is pinged before it is used again


def make_engine(url: str, *, ping_after: float = PING_AFTER_SECONDS, **kwargs: Any) -> Engine:
    # a failed statement's error text leaves its parameters out: they are names, document numbers,
    # hashes, and that text reaches the log (lbt/web/errors.py)
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path is not None:
            make_private(path)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # IMMEDIATE takes the write lock at the start, so concurrent writers queue (busy_timeout)
        # instead of failing with "database is locked" when a read transaction turns into a write
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine, ping_after)
    return engine


def _ping_when_idle(engine: Engine, after: float) -> None:
    """SQLAlchemy's ``pool_pre_ping`` with one exception: a connection given back less than ``after``
    seconds ago is not pinged again (the ping was one of the six round trips of a device's
    scan, issue 11). A connection that went stale while idle (a restarted or failed-over server, a
    firewall's timeout) is still found and replaced before a request uses it; one that breaks within
    those seconds fails that request (503), as one breaking during a statement always did, and its
    error invalidates the whole pool."""

    def stamp(_dbapi_connection: Any, record: Any, *_rest: Any) -> None:
        record.info["lbt_idle_since"] = time.monotonic()

    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("lbt_idle_since")
        if since is not None and time.monotonic() - since < after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:  # the pool opens a new one (up to 3 times)
            raise DisconnectionError(f"stale pooled connection: {type(error).__name__}") from error

    event.listen(engine, "connect", stamp)
    event.listen(engine, "checkin", stamp)
    event.listen(engine, "checkout", ping)


class Database:
    """The engine and the factory of sessions; views get one session per request."""

    def __init__(self, url: str, clock: Callable[[], datetime] = utcnow, report_zone: str = "") -> None:
        self.engine = make_engine(url)
        self.clock = clock
        # every session stamps new rows with this database's clock (which the app may replace), and
        # counts the permits it issues on the reports' clock (lbt/reports/issued_counts.py)
        info: dict[str, object] = {"clock": lambda: self.clock()}
        if report_zone:
            info["report_zone"] = report_zone
        self.session_factory: Callable[[], Session] = sessionmaker(
            self.engine, expire_on_commit=False, info=info
        )
        # statements that only read, outside a transaction on PostgreSQL (no BEGIN and ROLLBACK round
        # trips; each statement still sees one snapshot), on the driver's own connection: the
        # device's verify (lbt/api/lane_views.py, lbt.core.driver_select)
        self.driver_reads: Callable[[], AbstractContextManager[Any]] = self._driver_reads
        self._held: tuple[Any, int] | None = None  # the driver reads' connection, and its process
        self._reader_lock = threading.Lock()

    @contextmanager
    def _driver_reads(self) -> Iterator[Any]:
        """A psycopg connection of the pool's, in autocommit mode: each statement its own, no BEGIN
        and no ROLLBACK round trips. The process holds one such connection between calls (a pool
        checkout and checkin cost about a third of the statement's own client side); a thread that
        finds it in use borrows another from the pool for the call. A connection that failed is
        dropped from the pool (the error goes on to the caller), as SQLAlchemy drops a disconnected
        one, and the next call takes a fresh one. ``give_back_reader`` (and ``dispose``) returns the
        held one to the pool, transactional again."""
        if self.engine.dialect.name != "postgresql":
            raise RuntimeError("driver reads are PostgreSQL's")
        held = self._reader_lock.acquire(blocking=False)
        pooled = self._held_reader() if held else self._new_reader()
        try:
            yield pooled.driver_connection
            if not held:
                self._return_reader(pooled)
        except BaseException:
            if held:
                self._held = None
            pooled.invalidate()
            pooled.close()
            raise
        finally:
            if held:
                self._reader_lock.release()

    def _held_reader(self) -> Any:
        held, pid = self._held or (None, 0)
        if held is not None and pid == os.getpid() and not held.driver_connection.closed:
            return held
        pooled = self._new_reader()
        self._held = (pooled, os.getpid())  # a forked process takes its own
        return pooled

    def _new_reader(self) -> Any:
        pooled = self.engine.raw_connection()
        driver = pooled.driver_connection
        assert driver is not None
        driver.autocommit = True
        return pooled

    @staticmethod
    def _return_reader(pooled: Any) -> None:
        if not pooled.driver_connection.closed:
            pooled.driver_connection.autocommit = False  # transactional again for the next session
        pooled.close()

    def give_back_reader(self) -> None:
        """The held connection back to the pool (``dispose`` does it too)."""
        with self._reader_lock:
            held, pid = self._held or (None, 0)
            self._held = None
            if held is not None and pid == os.getpid():
                self._return_reader(held)

    @contextmanager
    def transaction(self, actor: Any = None) -> Iterator[Session]:
        """A session for CLI commands and jobs: commits at the end, rolls back on any error."""
        session = self.session_factory()
        if actor is not None:
            session.info["actor"] = actor
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.give_back_reader()
        self.engine.dispose()
