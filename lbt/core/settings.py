"""Settings read once from ``LBT_*`` environment variables into a frozen dataclass."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lbt.core.dates import is_time_zone, state_time_zone

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"expected a yes/no value, got {value!r}")


def _int(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {value!r}") from exc


def _minimum(name: str, value: str | None, default: int, least: int) -> int:
    number = _int(name, value, default)
    if number < least:
        raise SettingsError(f"{name} must be at least {least}, got {number}")
    return number


def _rate_limit(name: str, value: str | None, default: str) -> str:
    """A rate limit as Flask-Limiter reads it ("60 per minute", "10/second; 500 per hour")."""
    from limits import parse_many  # Flask-Limiter's own parser

    text = (value or "").strip() or default
    try:
        parse_many(text)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a rate limit such as '60 per minute', got {text!r}") from exc
    return text


def _time_zone(value: str | None) -> str:
    name = (value or "").strip()
    if name and not is_time_zone(name):
        raise SettingsError(f"LBT_TIME_ZONE must be an IANA time zone such as Asia/Dushanbe, got {value!r}")
    return name


QUEUE_SCHEMES = ("redis://", "rediss://", "unix://")
IMMEDIATE_QUEUE = "immediate:"  # jobs run at once in the process that submits them (tests, debugging)


def _queue_url(value: str | None) -> str:
    url = (value or "").strip()
    if url and url != IMMEDIATE_QUEUE and not url.startswith(QUEUE_SCHEMES):
        raise SettingsError(
            f"LBT_QUEUE_URL must be empty (the embedded queue) or a Redis URL such as "
            f"redis://127.0.0.1:6379/0, got {value!r}"
        )
    return url


def load_or_create_secret_key(instance_path: Path) -> str:
    """Keep one random key per instance folder, readable by its owner only (mode 0600)."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise SettingsError(f"{path} holds no usable secret key") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class MailSettings:
    server: str = "localhost"
    port: int = 25
    username: str = ""
    password: str = field(default="", repr=False)
    use_tls: bool = False
    use_ssl: bool = False
    sender: str = "lbt@localhost"
    timeout_seconds: int = 10


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    secret_key: str = field(repr=False)
    public_url: str = "http://127.0.0.1:5000"
    home_state: str = "TJ"
    mail: MailSettings = field(default_factory=MailSettings)
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    proxy_count: int = 0
    ratelimit_storage_url: str = "memory://"
    issuing_authority: str = ""
    revocations_max_age_hours: int = 24
    crossing_clock_skew_minutes: int = 10
    offline_max_age_hours: int = 72
    signing_key_pem: str = field(default="", repr=False)
    time_zone: str = ""  # LBT_TIME_ZONE; empty: the home state's zone (see ``instance_zone``)
    queue_url: str = ""  # LBT_QUEUE_URL; empty: the embedded queue, <instance>/queue.sqlite3 (lbt/jobs)
    job_retry_delay_seconds: int = 60
    # LBT_EXCHANGE_KEEP_DAYS: messages delivered or applied, and refusals, kept this long (lbt/exchange)
    exchange_keep_days: int = 90
    # LBT_EXCHANGE_PUSH_LIMIT, LBT_EXCHANGE_FETCH_LIMIT: a partner's pushes and fetches naming one link
    # from one address (lbt/exchange/limits.py)
    exchange_push_limit: str = "60 per minute"
    exchange_fetch_limit: str = "120 per minute"
    metrics_dir: Path | None = None  # LBT_METRICS_DIR; None: <instance>/metrics (lbt/core/metrics.py)
    testing: bool = False

    @property
    def instance_zone(self) -> str:
        """The IANA zone of what has no place of its own (audit entries, logins, decisions)."""
        return self.time_zone or state_time_zone(self.home_state)

    @property
    def https(self) -> bool:
        return self.public_url.lower().startswith("https://")

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, instance_path: Path | str, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        instance = Path(env.get("LBT_INSTANCE_PATH") or instance_path).resolve()
        database_url = env.get("LBT_DATABASE_URL") or f"sqlite:///{instance / 'lbt.sqlite3'}"
        secret_key = env.get("LBT_SECRET_KEY") or load_or_create_secret_key(instance)
        if len(secret_key) < 32:
            raise SettingsError("LBT_SECRET_KEY must be at least 32 characters long")
        home_state = (env.get("LBT_HOME_STATE") or "TJ").strip().upper()
        if len(home_state) != 2 or not home_state.isalpha():
            raise SettingsError("LBT_HOME_STATE must be an ISO 3166-1 alpha-2 code such as TJ")
        mail = MailSettings(
            server=env.get("LBT_MAIL_SERVER") or "localhost",
            port=_int("LBT_MAIL_PORT", env.get("LBT_MAIL_PORT"), 25),
            username=env.get("LBT_MAIL_USERNAME") or "",
            password=env.get("LBT_MAIL_PASSWORD") or "",
            use_tls=_bool(env.get("LBT_MAIL_USE_TLS"), False),
            use_ssl=_bool(env.get("LBT_MAIL_USE_SSL"), False),
            sender=env.get("LBT_MAIL_SENDER") or "lbt@localhost",
            timeout_seconds=_int("LBT_MAIL_TIMEOUT_SECONDS", env.get("LBT_MAIL_TIMEOUT_SECONDS"), 10),
        )
        return cls(
            instance_path=instance,
            database_url=database_url,
            secret_key=secret_key,
            public_url=(env.get("LBT_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
            home_state=home_state,
            mail=mail,
            login_max_failures=_int("LBT_LOGIN_MAX_FAILURES", env.get("LBT_LOGIN_MAX_FAILURES"), 5),
            login_lockout_minutes=_int("LBT_LOGIN_LOCKOUT_MINUTES", env.get("LBT_LOGIN_LOCKOUT_MINUTES"), 15),
            proxy_count=_int("LBT_PROXY_COUNT", env.get("LBT_PROXY_COUNT"), 0),
            ratelimit_storage_url=env.get("LBT_RATELIMIT_STORAGE_URL") or "memory://",
            issuing_authority=env.get("LBT_ISSUING_AUTHORITY") or "",
            revocations_max_age_hours=_int(
                "LBT_REVOCATIONS_MAX_AGE_HOURS", env.get("LBT_REVOCATIONS_MAX_AGE_HOURS"), 24
            ),
            crossing_clock_skew_minutes=_minimum(
                "LBT_CROSSING_CLOCK_SKEW_MINUTES", env.get("LBT_CROSSING_CLOCK_SKEW_MINUTES"), 10, 0
            ),
            offline_max_age_hours=_minimum(
                "LBT_OFFLINE_MAX_AGE_HOURS", env.get("LBT_OFFLINE_MAX_AGE_HOURS"), 72, 1
            ),
            signing_key_pem=env.get("LBT_SIGNING_KEY") or "",
            time_zone=_time_zone(env.get("LBT_TIME_ZONE")),
            metrics_dir=Path(env["LBT_METRICS_DIR"]).resolve() if env.get("LBT_METRICS_DIR") else None,
            queue_url=_queue_url(env.get("LBT_QUEUE_URL")),
            job_retry_delay_seconds=_minimum(
                "LBT_JOB_RETRY_DELAY_SECONDS", env.get("LBT_JOB_RETRY_DELAY_SECONDS"), 60, 0
            ),
            # more than the exchange's 30-day replay window: a message is never pruned while a copy of it
            # could still be taken
            exchange_keep_days=_minimum("LBT_EXCHANGE_KEEP_DAYS", env.get("LBT_EXCHANGE_KEEP_DAYS"), 90, 31),
            exchange_push_limit=_rate_limit(
                "LBT_EXCHANGE_PUSH_LIMIT", env.get("LBT_EXCHANGE_PUSH_LIMIT"), cls.exchange_push_limit
            ),
            exchange_fetch_limit=_rate_limit(
                "LBT_EXCHANGE_FETCH_LIMIT", env.get("LBT_EXCHANGE_FETCH_LIMIT"), cls.exchange_fetch_limit
            ),
        )
