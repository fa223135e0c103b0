"""Each job moved off the request, end to end on a real worker (Huey's consumer in threads) on the
embedded queue and on Redis: the page that started it shows it waiting, its progress as JSON for the
polling script, then its outcome; results are downloaded by their starter or an administrator only;
a failed attempt is retried, and after the last one the job shows its error."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from lbt.audit.models import AuditEntry
from lbt.jobs.files import JobFiles
from lbt.jobs.models import JobState
from lbt.permits.models import Permit
from lbt.reference.models import Locality
from lbt.reports.models import Report
from tests.jobs.conftest import Site

LOCALITIES = (
    "agreement_code,state_code,district,name_latin,name_national,distance_km\n"
    "TJ-KG-LBT,KG,Batken,Jobs-Sai,Джобс-Сай,4.5\n"
    "TJ-KG-LBT,KG,Batken,Jobs-Bak,Джобс-Бак,6\n"
).encode()


def job_id_of(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.get_data(as_text=True)
    found = re.search(r"[?&]job=(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def upload(client, kind_path: str, content: bytes):  # type: ignore[no-untyped-def]
    return client.submit(
        f"/reference/{kind_path}/import",
        {"file": (io.BytesIO(content), "data.csv")},
        content_type="multipart/form-data",
    )


def count(site: Site, model: type, *where) -> int:  # type: ignore[no-untyped-def]
    with site.state.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_an_import_waits_for_the_worker_then_its_page_shows_the_outcome(site: Site):
    admin = site.client("jobs-admin")
    job_id = job_id_of(upload(admin, "localities", LOCALITIES))
    page = admin.get(f"/reference/localities/import?job={job_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Waiting for the worker" in text
    assert f'href="/reference/localities/import?job={job_id}"' in text  # the refresh link: no JS needed
    assert f'data-job-status="/jobs/{job_id}/status"' in text and "job-progress.js" in text
    assert admin.get(f"/jobs/{job_id}/status").get_json()["state"] == "queued"
    job = site.run(job_id)
    assert job.state is JobState.DONE and job.retries == 0
    assert job.progress_total == job.progress_done == 4  # two rows read, two saved
    status = admin.get(f"/jobs/{job_id}/status").get_json()
    assert status == {"state": "done", "ended": True, "label": "Done", "text": "Done.", "percent": 100}
    text = admin.get(f"/reference/localities/import?job={job_id}").get_data(as_text=True)
    assert "Import done: 2 created, 0 updated." in text and "job-progress.js" in text
    assert count(site, Locality, Locality.name_latin.in_(["Jobs-Sai", "Jobs-Bak"])) == 2
    # audited under the administrator who started the job, from the job
    assert (
        count(site, AuditEntry, AuditEntry.actor_name == "jobs-admin", AuditEntry.source == f"job {job_id}")
        >= 2
    )
    assert not JobFiles(site.state.settings.instance_path).input_path(job_id).exists()  # input deleted


def test_an_import_with_bad_rows_lists_every_one_and_imports_nothing(site: Site):
    admin = site.client("jobs-admin")
    content = (
        "agreement_code,state_code,district,name_latin,name_national,distance_km\n"
        "TJ-KG-LBT,KG,Batken,Jobs-Good,Джобс-Гуд,4.5\n"
        "TJ-KG-LBT,KG,Batken,Jobs-Far,Джобс-Фар,near\n"
        "TJ-KG-LBT,ZZ,Batken,Jobs-Where,Джобс-Вэр,3\n"
    ).encode()
    job_id = job_id_of(upload(admin, "localities", content))
    job = site.run(job_id)
    assert job.state is JobState.DONE and job.outcome["error_count"] == 2
    text = admin.get(f"/reference/localities/import?job={job_id}").get_data(as_text=True)
    assert "Nothing was imported" in text
    assert "<td>3</td>" in text and "near is not a number." in text
    assert "<td>4</td>" in text and "Unknown state ZZ." in text
    assert count(site, Locality, Locality.name_latin == "Jobs-Good") == 0  # all or nothing


def test_a_file_that_is_not_csv_is_refused_at_once_without_a_job(site: Site):
    admin = site.client("jobs-admin")
    response = upload(admin, "states", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert response.status_code == 400 and "This is not a CSV text file." in response.get_data(as_text=True)


def test_a_print_batch_is_drawn_by_the_worker_and_downloaded_only_by_its_starter_or_an_admin(site: Site):
    officer = site.client("jobs-officer")
    waiting = count(site, Permit, Permit.card_printed_at.is_(None))
    assert waiting > 0  # the demo's permits
    job_id = job_id_of(officer.submit("/permits/print", {"unprinted": "y"}))
    job = site.run(job_id)
    assert job.state is JobState.DONE, job.error
    page = officer.get(f"/permits/print?job={job_id}").get_data(as_text=True)
    printed = job.outcome["printed"]
    assert printed >= 1 and f"{printed} card" in page and f'href="/jobs/{job_id}/result"' in page
    with officer.get(f"/jobs/{job_id}/result") as pdf:
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
        assert "private" in pdf.headers["Cache-Control"]
    admin = site.client("jobs-admin")
    with admin.get(f"/jobs/{job_id}/result") as by_admin:
        assert by_admin.status_code == 200
    # the print batch page is the officers': an administrator's list opens the job's own page
    assert f'href="/jobs/{job_id}"' in admin.get("/jobs/?all=1").get_data(as_text=True)
    assert "Print batch of cards" in admin.get(f"/jobs/{job_id}").get_data(as_text=True)
    other = site.client("jobs-officer2")  # same agreement, but not the starter
    assert other.get(f"/jobs/{job_id}/result").status_code == 403
    assert other.get(f"/permits/print?job={job_id}").status_code == 403
    assert other.get(f"/jobs/{job_id}/status").status_code == 403
    assert site.client("jobs-supervisor").get(f"/jobs/{job_id}/result").status_code == 403
    assert count(site, Permit, Permit.card_printed_at.is_(None)) == waiting - printed
    mine = officer.get("/jobs/").get_data(as_text=True)
    assert f'href="/permits/print?job={job_id}"' in mine and "Print batch of cards" in mine
    assert f"/permits/print?job={job_id}" not in other.get("/jobs/").get_data(as_text=True)
    path = JobFiles(site.state.settings.instance_path).path_of(job.result_file)
    assert path is not None and path.stat().st_mode & 0o777 == 0o600  # photos and personal data


def test_the_six_monthly_report_is_made_by_the_worker(site: Site):
    supervisor = site.client("jobs-supervisor")
    with site.state.database.transaction() as session:
        from lbt.reference.models import Agreement

        agreement_id = session.scalars(select(Agreement.id)).one()
    form = {"agreement": str(agreement_id), "half": "2026-1"}
    job_id = job_id_of(supervisor.submit("/reports/six-monthly", form))
    job = site.run(job_id)
    assert job.state is JobState.DONE, job.error
    page = supervisor.get(f"/reports/six-monthly?job={job_id}").get_data(as_text=True)
    report_id = job.outcome["report_id"]
    assert "Report 2026-1 version 1 made." in page
    assert f"/reports/six-monthly/{report_id}/report.pdf" in page
    assert supervisor.get(f"/reports/six-monthly/{report_id}/report.pdf").data.startswith(b"%PDF")
    assert count(site, Report, Report.id == report_id) == 1
    again = supervisor.submit("/reports/six-monthly", form)  # a correction needs its reason, at once
    assert again.status_code == 400 and "say why it is corrected" in again.get_data(as_text=True)


@pytest.mark.parametrize("recovers", [False, True], ids=["fails", "recovers"])
def test_a_failed_attempt_is_retried_then_the_job_shows_its_error(site: Site, recovers: bool):
    """The uploaded file is gone when the worker starts (a shared disk away, a restore): the attempt
    fails, the job waits for its retry with the error; back in time, the retry imports it; if not, after
    two retries the job fails and its page says why."""
    admin = site.client("jobs-admin")
    files = JobFiles(site.state.settings.instance_path)
    name = "Jobs-Retry" if recovers else "Jobs-Lost"
    content = LOCALITIES.replace(b"Jobs-Sai", name.encode()).replace(b"Jobs-Bak", name.encode() + b"-2")
    job_id = job_id_of(upload(admin, "localities", content))
    kept = files.input_path(job_id).read_bytes()
    files.input_path(job_id).unlink()
    worker = site.worker()
    try:
        retrying = site.wait(job_id, lambda job: job.retries >= 1 or job.ended)
        assert retrying.error == "A file the job needs is missing (%(kind)s)."
        if recovers:
            files.save_input(job_id, kept)
        job = site.wait(job_id)
    finally:
        worker.stop(graceful=True)
    text = admin.get(f"/reference/localities/import?job={job_id}").get_data(as_text=True)
    if recovers:
        assert job.state is JobState.DONE and job.retries >= 1 and job.error == ""
        assert "Import done: 2 created, 0 updated." in text
        return
    assert job.state is JobState.FAILED and job.retries == 2
    assert job.error_params == {"kind": "FileNotFoundError"}
    assert "A file the job needs is missing (FileNotFoundError)." in text
    assert "It was tried again 2 times." in text
    assert count(site, Locality, Locality.name_latin == name) == 0
    listed = admin.get("/jobs/").get_data(as_text=True)
    assert "Failed" in listed and "A file the job needs is missing (FileNotFoundError)." in listed
