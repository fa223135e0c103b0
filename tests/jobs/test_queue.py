"""The queue's set-up from the settings: the embedded default (a SQLite file in the instance folder, mode
0600), Redis for production, ``immediate:`` for tests; refused settings; a queue that cannot be reached
fails the job at once with the reason, and the page says so."""

from __future__ import annotations

import io

import pytest
from huey import MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.core.settings import IMMEDIATE_QUEUE, Settings, SettingsError
from lbt.jobs.models import Job, JobState
from lbt.jobs.queue import QUEUE_FILE, make_huey
from lbt.reference.models import Locality


def test_the_embedded_queue_is_a_private_sqlite_file_in_the_instance_folder(tmp_path):
    settings = Settings.from_env(tmp_path, {"LBT_INSTANCE_PATH": str(tmp_path / "instance")})
    assert settings.queue_url == ""
    huey = make_huey(settings)
    assert isinstance(huey, SqliteHuey) and not huey.immediate
    path = tmp_path / "instance" / QUEUE_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    huey.storage.close()


def test_a_redis_url_makes_a_redis_queue_and_immediate_runs_jobs_in_place(tmp_path):
    redis = Settings.from_env(tmp_path, {"LBT_QUEUE_URL": "redis://127.0.0.1:6379/3"})
    assert isinstance(make_huey(redis), RedisHuey)
    immediate = Settings.from_env(tmp_path, {"LBT_QUEUE_URL": IMMEDIATE_QUEUE})
    huey = make_huey(immediate)
    assert isinstance(huey, MemoryHuey) and huey.immediate


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LBT_QUEUE_URL", "amqp://rabbit/"),
        ("LBT_QUEUE_URL", "sqlite:///queue"),
        ("LBT_JOB_RETRY_DELAY_SECONDS", "-1"),
    ],
)
def test_a_queue_setting_that_cannot_work_stops_the_app_at_start(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(tmp_path, {name: value})


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app of these tests submits to a Redis port where nothing listens."""
    return settings.with_changes(queue_url="redis://127.0.0.1:9/0")


def test_a_queue_that_cannot_be_reached_fails_the_job_at_once_with_the_reason(login_as, db, ref):
    admin = login_as(Role.ADMIN)
    content = b"agreement_code,state_code,district,name_latin,name_national,distance_km\nTJ-KG,KG,Batken,Queue-Down,Queue-Down,4.5\n"
    response = admin.submit(
        "/reference/localities/import",
        {"file": (io.BytesIO(content), "data.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    job = db.scalars(select(Job)).one()
    db.refresh(job)
    assert job.state is JobState.FAILED and job.error_params == {"kind": "ConnectionError"}
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "The job queue cannot be reached (ConnectionError). Try again later." in page
    assert db.scalars(select(Locality).where(Locality.name_latin == "Queue-Down")).first() is None
