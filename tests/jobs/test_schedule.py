"""The worker's regular jobs (lbt/jobs/schedule.py): due at their times on the instance's clock, run by a
real worker (Huey's consumer in threads, on the embedded queue and on Redis) as the scheduler enqueues
them, each leaving a job record administrators read when it did something or failed."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lbt.accounts.models import User
from lbt.audit.checkpoint import published_keys, read_checkpoint
from lbt.audit.models import AuditActor
from lbt.crossings import services as crossings
from lbt.crossings.models import Direction, MisuseCase
from lbt.jobs.models import Job, JobState
from lbt.jobs.periodic import CHECKPOINTS_FOLDER
from lbt.jobs.schedule import default_schedule
from lbt.notifications.services import queue_message
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.signing import KeyStore
from lbt.storage.models import StoredFile
from lbt.storage.uploads import FileStore, check_photo
from tests.fixtures.applications import photo_bytes
from tests.jobs.conftest import Site

DUSHANBE = ZoneInfo("Asia/Dushanbe")


def minute(local: datetime) -> datetime:
    """The minute as Huey's scheduler hands it to the schedule: UTC, without a zone."""
    return local.replace(tzinfo=DUSHANBE).astimezone(UTC).replace(tzinfo=None)


def due_at(settings, local: datetime) -> set[str]:  # type: ignore[no-untyped-def]
    return {entry.name for entry in default_schedule(settings) if entry.when(minute(local))}


def test_the_regular_jobs_are_due_at_their_times_on_the_instance_clock(site: Site):
    settings = site.state.settings  # the home state TJ: Asia/Dushanbe, UTC+5
    night = datetime(2026, 12, 3)
    every_minute = {"mail", "exchange_sync"}
    assert due_at(settings, night.replace(hour=0, minute=20)) == {*every_minute, "overstays"}
    assert due_at(settings, night.replace(hour=1, minute=0)) == {
        *every_minute,
        "files_prune",
        "representatives_remind",
    }
    assert due_at(settings, night.replace(hour=2, minute=30)) == {
        *every_minute,
        "audit_checkpoint",
        "representatives_remind",
    }
    assert due_at(settings, night.replace(hour=2, minute=31)) == every_minute
    # the queue's own periodic tasks agree with the registry
    names = {
        type(task).__name__
        for task in site.queue.huey.read_periodic(minute(night.replace(hour=2, minute=30)))
    }
    assert names == {
        "every_mail",
        "every_exchange_sync",
        "every_audit_checkpoint",
        "every_representatives_remind",
    }


def _holder_inside(site: Site) -> int:
    """An entry recorded now at a demo crossing point; returns the permit's id."""
    now = site.state.clock()
    with site.state.database.transaction(AuditActor(None, "tests", "tests")) as session:
        guard = session.scalars(select(User).where(User.username == "guard")).one()
        permit = session.scalars(
            select(Permit).where(Permit.status == PermitStatus.ACTIVE).order_by(Permit.id)
        ).first()
        assert permit is not None
        crossings.record(
            session,
            client_id=str(uuid.uuid4()),
            permit=permit,
            crossing_point=guard.crossing_points[0],
            direction=Direction.ENTRY,
            at=now,
            officer=guard,
            now=now,
        )
        return permit.id


def _unused_upload(site: Site) -> int:
    with site.state.database.transaction(AuditActor(None, "tests", "tests")) as session:
        stored = site.state.find(FileStore).save(check_photo(photo_bytes(), "photo.jpg"))
        session.add(stored)
        session.flush()
        return stored.id


def _records(site: Site, *kinds: str) -> dict[str, Job]:
    with site.state.database.transaction() as session:
        found = session.scalars(select(Job).where(Job.kind.in_(kinds), Job.started_by_id.is_(None))).all()
        for job in found:
            session.expunge(job)
        return {job.kind: job for job in found}


def test_the_worker_runs_the_nights_jobs_and_records_what_they_did(site: Site, smtp_server):
    site.state.settings = site.state.settings.with_changes(mail=smtp_server.settings())
    permit_id = _holder_inside(site)
    upload_id = _unused_upload(site)
    with site.state.database.transaction() as session:
        queue_message(
            session,
            recipient="resident@example.org",
            subject="Worker test",
            body="Salom",
            now=site.state.clock(),
        )
    site.state.clock.advance(
        days=100
    )  # the holder is still inside: beyond the longest stay (at most 90 days)
    night = (site.state.clock() + timedelta(days=1)).astimezone(DUSHANBE).replace(tzinfo=None)
    worker = site.worker()
    try:
        for local in ((0, 20), (1, 0), (2, 30)):  # what the scheduler enqueues at these minutes
            for task in site.queue.huey.read_periodic(minute(night.replace(hour=local[0], minute=local[1]))):
                site.queue.huey.enqueue(task)
        kinds = ("mail", "overstays", "files_prune", "audit_checkpoint")
        deadline = datetime.now(UTC) + timedelta(seconds=90)
        while set(_records(site, *kinds)) != set(kinds):
            assert datetime.now(UTC) < deadline, _records(site, *kinds)
            time.sleep(0.2)
    finally:
        worker.stop(graceful=True)
    records = _records(site, *kinds)
    assert all(job.state is JobState.DONE for job in records.values()), records
    assert any(received.message["Subject"] == "Worker test" for received in smtp_server.received)
    with site.state.database.transaction() as session:
        case = session.scalars(select(MisuseCase).where(MisuseCase.permit_id == permit_id)).one()
        assert case.crossing_id is None and case.days_over >= 10
        assert session.get(StoredFile, upload_id) is None  # pruned
    assert records["overstays"].outcome["params"] == {"num": 1}
    [kept] = (site.state.settings.instance_path / CHECKPOINTS_FOLDER).glob("*.jws")
    keys = published_keys(site.state.find(KeyStore))
    checkpoint = read_checkpoint(kept.read_bytes(), keys, state=site.state.settings.home_state)
    assert (
        checkpoint.entry_count > 0
        and records["audit_checkpoint"].outcome["params"]["count"] == checkpoint.entry_count
    )
    admin = site.client("jobs-admin")
    listed = admin.get("/jobs/?all=1").get_data(as_text=True)
    assert "Audit checkpoint" in listed and "Overstay check" in listed and "regular" in listed
    shown = admin.get(f"/jobs/{records['overstays'].id}").get_data(as_text=True)
    assert "1 overstay found." in shown
    assert "Overstay check" not in site.client("jobs-officer").get("/jobs/").get_data(
        as_text=True
    )  # not theirs


def test_a_regular_job_refused_for_good_is_recorded_with_its_error(site: Site):
    folder = site.state.settings.instance_path / CHECKPOINTS_FOLDER
    folder.mkdir(exist_ok=True)
    (folder / "0000-forged.jws").write_text("eyJhbGciOiJFUzI1NiJ9.e30.AAAA\n")
    try:
        worker = site.worker()
        try:
            entry = next(e for e in site.queue.schedule if e.name == "audit_checkpoint")
            before = {job.id for job in _records(site, "audit_checkpoint").values()}
            task = next(
                t
                for t in site.queue.huey.read_periodic(minute(datetime(2026, 12, 3, 2, 30)))
                if type(t).__name__ == f"every_{entry.name}"
            )
            site.queue.huey.enqueue(task)
            deadline = datetime.now(UTC) + timedelta(seconds=60)
            while True:
                with site.state.database.transaction() as session:
                    failed = session.scalars(
                        select(Job).where(
                            Job.kind == "audit_checkpoint",
                            Job.state == JobState.FAILED,
                            Job.id.not_in(before),
                        )
                    ).first()
                    if failed is not None:
                        session.expunge(failed)
                        break
                assert datetime.now(UTC) < deadline
                time.sleep(0.2)
        finally:
            worker.stop(graceful=True)
    finally:
        (folder / "0000-forged.jws").unlink()
    assert failed.error == "The kept checkpoint %(file)s is not genuine: no checkpoint written."
    assert failed.error_params == {"file": "0000-forged.jws"} and failed.retries == entry.retries
    page = site.client("jobs-admin").get(f"/jobs/{failed.id}").get_data(as_text=True)
    assert "The kept checkpoint 0000-forged.jws is not genuine: no checkpoint written." in page
