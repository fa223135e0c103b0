from __future__ import annotations

import stat

import pytest

from lbt.core.settings import SECRET_KEY_FILE, Settings, SettingsError


def test_without_a_secret_key_one_is_generated_once_and_kept_private(tmp_path):
    first = Settings.from_env(tmp_path, environ={})
    second = Settings.from_env(tmp_path, environ={})
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    mode = stat.S_IMODE((tmp_path / SECRET_KEY_FILE).stat().st_mode)
    assert mode == 0o600


def test_the_environment_sets_every_setting(tmp_path):
    settings = Settings.from_env(
        tmp_path,
        environ={
            "LBT_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "LBT_SECRET_KEY": "s" * 40,
            "LBT_PUBLIC_URL": "https://lbt.example/",
            "LBT_HOME_STATE": "kg",
            "LBT_MAIL_SERVER": "smtp.example",
            "LBT_MAIL_PORT": "587",
            "LBT_MAIL_USE_TLS": "yes",
            "LBT_LOGIN_MAX_FAILURES": "3",
            "LBT_EXCHANGE_PUSH_LIMIT": "10 per hour",
        },
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.public_url == "https://lbt.example"
    assert settings.https
    assert settings.home_state == "KG"
    assert (settings.mail.server, settings.mail.port, settings.mail.use_tls) == ("smtp.example", 587, True)
    assert settings.login_max_failures == 3
    assert (settings.exchange_push_limit, settings.exchange_fetch_limit) == ("10 per hour", "120 per minute")
    assert "s" * 40 not in repr(settings)


def test_the_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    settings = Settings.from_env(tmp_path, environ={"LBT_SECRET_KEY": "s" * 40})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'lbt.sqlite3'}"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LBT_SECRET_KEY", "short", "at least 32 characters"),
        ("LBT_HOME_STATE", "Tajikistan", "ISO 3166-1 alpha-2"),
        ("LBT_MAIL_PORT", "twenty-five", "whole number"),
        ("LBT_MAIL_USE_TLS", "maybe", "yes/no"),
        ("LBT_EXCHANGE_PUSH_LIMIT", "often", "a rate limit such as"),
        ("LBT_EXCHANGE_FETCH_LIMIT", "10 per fortnight", "a rate limit such as"),
    ],
)
def test_unusable_values_are_refused_with_the_reason(tmp_path, variable, value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(tmp_path, environ={"LBT_SECRET_KEY": "s" * 40, variable: value})
