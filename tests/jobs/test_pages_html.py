"""The job pages validate (the Nu HTML Checker, as tests/test_html_valid.py runs it): a job's panel
waiting, done, with refused lines and failed after its retries, on the page that started it and on
its own page, the print batch's page after a batch, and My jobs of an officer and of an admin."""

from __future__ import annotations

import io

from sqlalchemy import select

from lbt.accounts.models import Role
from lbt.jobs import imports
from lbt.jobs.models import Job, JobState
from lbt.jobs.queue import JobQueue
from lbt.jobs.services import create_job
from tests.test_html_valid import html_errors, vnu_jar

CSV = "agreement_code,state_code,district,name_latin,name_national,distance_km\n"


def _import(client, rows: str) -> str:  # type: ignore[no-untyped-def]
    response = client.submit(
        "/reference/localities/import",
        {"file": (io.BytesIO((CSV + rows).encode()), "data.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    return str(response.headers["Location"])


def test_the_job_pages_have_no_html_errors(app, db, ref, users, login_as, permit, clock, tmp_path):
    jar = vnu_jar()
    admin, officer = login_as(Role.ADMIN), login_as(Role.OFFICER)
    pages: dict[str, str] = {}

    def keep(client, url: str) -> None:  # type: ignore[no-untyped-def]
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages[url] = response.get_data(as_text=True)

    keep(admin, _import(admin, "TJ-KG,KG,Batken,Html-Sai,Хтмл-Сай,4.5\n"))  # done
    keep(admin, _import(admin, "TJ-KG,KG,Batken,Html-Far,Хтмл-Фар,near\nTJ-KG,ZZ,Batken,Html-Z,Хтмл-З,3\n"))
    waiting = create_job(
        db, imports.KIND, started_by=users[Role.ADMIN], params={"kind": "locality"}, now=clock()
    )
    failing = create_job(
        db, imports.KIND, started_by=users[Role.ADMIN], params={"kind": "locality"}, now=clock()
    )
    db.commit()
    app.extensions["lbt"].find(JobQueue).submit(failing.id)  # no input file: tried thrice, then failed
    assert db.scalars(select(Job.state).where(Job.id == failing.id)).one() is JobState.FAILED
    for job in (waiting, failing):
        keep(admin, f"/reference/localities/import?job={job.id}")
        keep(admin, f"/jobs/{job.id}")
    keep(admin, "/jobs/")
    keep(admin, "/jobs/?all=1")
    printed = officer.submit("/permits/print", {"unprinted": "y"})
    assert printed.status_code == 302
    keep(officer, printed.headers["Location"])
    keep(officer, "/jobs/")
    assert "It was tried again 2 times." in pages[f"/jobs/{failing.id}"]
    assert "Waiting for the worker" in pages[f"/jobs/{waiting.id}"]

    errors = html_errors(jar, pages, tmp_path)
    assert not errors, "\n".join(errors)
