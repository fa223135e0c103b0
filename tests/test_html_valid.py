"""The app's pages are valid HTML: the Nu HTML Checker (npm ``vnu-jar``, pinned in tests/html, run on
the machine's Java) reads a broad set of pages, every role's home, lists and forms, the apply form, the
status page, the verify pages, reports and the representatives' pages, from the Flask test client, in
one batch (one JVM start), and any error fails the test with the list.

The jar is installed by the test itself when missing (``npm ci --prefix tests/html`` from the pinned
lock). Without Java or npm the test skips, unless LBT_REQUIRE_BROWSER=1 makes it required, as the
browser tests are."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from flask import Flask

from lbt.accounts.models import Role
from lbt.representatives import protocols
from tests.fixtures.browser import _unavailable
from tests.fixtures.factories import make_user
from tests.fixtures.passwords import PASSWORD
from tests.fixtures.representatives import hold, request, write_both_languages
from tests.permits.test_usage_views import show_usage

HTML_TOOLS = Path(__file__).parent / "html"
VNU_JAR = HTML_TOOLS / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# files, feeds and scripts, not pages; the routes with an id are visited below with the fixtures' records
NOT_PAGES = re.compile(
    r"\.(pdf|csv|xlsx|ics|json|jws|js|webmanifest)$|^/(static|api|healthz|v/status|\.well-known)"
)


PUBLIC = ("/login", "/apply/", "/apply/status", "/v", "/crossings/verify", "/api/v1/docs")


def vnu_jar() -> Path:
    java = shutil.which("java")
    if java is None:
        _unavailable("no Java was found to run the Nu HTML Checker (install a JRE, e.g. openjdk-17-jre)")
    if not VNU_JAR.exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is needed once to install the Nu HTML Checker (npm ci --prefix tests/html)")
        done = subprocess.run(
            [npm, "ci", "--prefix", str(HTML_TOOLS), "--no-audit", "--no-fund", "--ignore-scripts"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0 or not VNU_JAR.exists():
            _unavailable(f"npm ci --prefix tests/html failed: {done.stderr[-2000:]}")
    return VNU_JAR


def html_errors(jar: Path, pages: dict[str, str], folder: Path) -> list[str]:
    """The checker's errors on ``pages`` (name: HTML), in one batch, each as "name:line: message [extract]"."""
    names: dict[str, str] = {}
    for number, (name, html) in enumerate(sorted(pages.items())):
        path = folder / f"page{number:03}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = name
    done = subprocess.run(
        [
            "java",
            "-jar",
            str(jar),
            "--errors-only",
            "--format",
            "json",
            *sorted(map(str, folder.glob("*.html"))),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(done.stderr or done.stdout or '{"messages": []}')
    return [
        f"{names.get(message.get('url', '').rsplit('/', 1)[-1], message.get('url'))}:{message.get('lastLine')}: "
        f"{message['message']} [{message.get('extract', '').strip()}]"
        for message in report["messages"]
        if message.get("type") in ("error", "non-document-error")
    ]


def static_pages(app: Flask) -> list[str]:
    """Every GET route without a parameter that is a page."""
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ())
            and not rule.arguments
            and not NOT_PAGES.search(rule.rule)
            and rule.rule not in PUBLIC[:4]  # read once, without a login
        }
    )


def collect(client, url: str, pages: dict[str, str], name: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(url)
    if response.status_code != 200 or response.mimetype != "text/html":
        return  # not this role's page (403, a redirect to the login): the role's own pages are enough
    pages[f"{name} {url}"] = response.get_data(as_text=True)


def test_the_pages_have_no_html_errors(
    app, db, ref, reps, clock, login_as, make_application, permit, users, tmp_path
):
    jar = vnu_jar()
    open_meeting = request(db, ref, reps, clock)
    frozen = hold(db, ref, reps, clock, request(db, ref, reps, clock, agenda=("Water", "Signs")))
    write_both_languages(db, reps, clock, frozen)
    protocols.freeze_protocol(db, reps.tj, frozen, now=clock.now)
    submitted = make_application()
    show_usage(db, ref, users, permit)  # the officer's permit page with crossings, partner records, a case
    db.flush()

    pages: dict[str, str] = {}
    anonymous = app.test_client()
    for url in PUBLIC:
        collect(anonymous, url, pages, "public")
    status = app.test_client()
    opened = status.submit(
        "/apply/status",
        {"reference": submitted.application.reference, "access_code": submitted.access_code},
    )
    assert opened.status_code == 302
    collect(status, "/apply/status/view", pages, "resident")

    records = {
        Role.ADMIN: [
            f"/reference/agreements/{ref.agreement.id}",
            f"/reference/agreements/{ref.agreement.id}/edit",
            f"/reference/states/{ref.tj.id}/edit",
            f"/reference/localities/{ref.locality.id}/edit",
            f"/reference/crossing-points/{ref.crossing_point.id}",
            f"/reference/crossing-points/{ref.crossing_point.id}/edit",
            f"/reference/border-sections/{ref.section.id}",
            f"/reference/border-sections/{ref.section.id}/edit",
            "/admin/users/1",
        ],
        Role.OFFICER: [
            f"/applications/{submitted.application.id}",
            f"/applications/{permit.application_id}",
            f"/permits/{permit.id}",
        ],
        Role.SUPERVISOR: [f"/applications/{permit.application_id}"],
        Role.BORDER_GUARD: [f"/crossings/permits/{permit.id}"],
        Role.REPRESENTATIVE: [],
    }
    for role, urls in records.items():
        user = login_as(role)
        for url in static_pages(app) + urls:
            collect(user, url, pages, role.value)
    tj = app.test_client()
    assert tj.login("rep-tj").status_code == 302
    for url in [
        "/representatives/",
        "/representatives/actions",
        "/representatives/incidents",
        "/representatives/incidents/new",
        "/representatives/meetings/new",
        f"/representatives/meetings/{open_meeting.id}",
        f"/representatives/meetings/{frozen.id}",
        f"/representatives/sections/{ref.section.id}/register",
    ]:
        collect(tj, url, pages, "rep-tj")
    for role in (Role.AUDITOR, Role.ANALYST):
        user = login_as(role)
        for url in static_pages(app):
            collect(user, url, pages, role.value)
    # two-factor login: the second step, the enrolment right after the password and the recovery codes
    second_step = app.test_client()
    second_step.submit("/login", {"username": "officer", "password": PASSWORD})
    collect(second_step, "/login/two-factor", pages, "second step")
    make_user(db, "new.officer", Role.OFFICER, two_factor=False, agreements=[ref.agreement])
    enrolling = app.test_client()
    enrolling.submit("/login", {"username": "new.officer", "password": PASSWORD})
    collect(enrolling, "/login/two-factor/enrol", pages, "enrolling")
    pages["enrolled: recovery codes"] = enrolling.enrol_at_login().get_data(as_text=True)
    assert {"second step /login/two-factor", "enrolling /login/two-factor/enrol"} <= set(pages)
    assert {"admin /account/two-factor", "admin /admin/two-factor"} <= set(pages)
    assert len(pages) > 40, sorted(pages)

    errors = html_errors(jar, pages, tmp_path)
    assert not errors, f"{len(errors)} HTML errors on {len(pages)} pages:\n" + "\n".join(errors)
