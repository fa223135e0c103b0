"""A background job as its starter follows it in the browser: the import page shows the job waiting for
the worker (with a refresh link, for a browser without JavaScript); once the worker runs it, the
page's polling script (static/js/job-progress.js) notices the end and reloads, and the outcome is there
without a click; "My jobs" lists it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lbt.accounts.models import User
from lbt.audit.models import AuditActor
from lbt.jobs import imports
from lbt.jobs.files import JobFiles
from lbt.jobs.queue import JobQueue
from lbt.jobs.services import create_job
from lbt.reference.models import Agreement, Locality, State
from tests.fixtures.browser import LiveServer, logged_in

pytestmark = pytest.mark.browser


def _waiting_import(live_server: LiveServer) -> tuple[int, bytes]:
    """An import of one demo locality as it is (an update), recorded for the admin but not queued yet."""
    state = live_server.state
    with state.database.transaction(AuditActor(None, "tests", "tests")) as session:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        locality, agreement, country = session.execute(
            select(Locality, Agreement, State)
            .join(Agreement, Agreement.id == Locality.agreement_id)
            .join(State, State.id == Locality.state_id)
            .order_by(Locality.id)
        ).first()
        row = ",".join(
            (
                agreement.code,
                country.code,
                locality.district,
                locality.name_latin,
                locality.name_national,
                str(locality.distance_km),
            )
        )
        content = f"agreement_code,state_code,district,name_latin,name_national,distance_km\n{row}\n".encode()
        job = create_job(
            session,
            imports.KIND,
            started_by=admin,
            params=imports.import_params("locality"),
            now=state.clock(),
        )
        return job.id, content


def test_the_import_page_follows_its_job_to_the_outcome_without_a_click(page, live_server: LiveServer):  # type: ignore[no-untyped-def]
    job_id, content = _waiting_import(live_server)
    logged_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/reference/localities/import?job={job_id}")
    panel = page.locator("[data-job-status]")
    assert "Waiting for the worker" in panel.inner_text()
    assert (
        panel.get_by_role("link", name="Refresh").get_attribute("href")
        == f"/reference/localities/import?job={job_id}"
    )
    state = live_server.state
    JobFiles(state.settings.instance_path).save_input(job_id, content)
    assert state.find(JobQueue).submit(job_id)  # now the live server's worker takes it
    page.get_by_text("Import done: 0 created, 1 updated.").wait_for(timeout=60_000)
    assert page.locator("[data-job-running]").count() == 0  # ended: no more polling
    page.get_by_role("link", name="My jobs").first.click() if page.get_by_role(
        "link", name="My jobs"
    ).count() else page.goto(f"{live_server.url}/jobs/")
    page.wait_for_url(f"{live_server.url}/jobs/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=f"#{job_id}"))
    assert "CSV import" in row.inner_text() and "Done" in row.inner_text()
    assert page.csp_violations == []
