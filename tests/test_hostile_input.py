"""Hostile input on every form and JSON endpoint, as anonymous and as every role: no server error.

The crawl finds its targets itself. As each caller (anonymous, two residents with an open status
page, each role, both sides' representatives) it opens every GET route of the URL map that the caller
may open, with the ids of real records, and reads each page's forms: where they post, their fields
and the values the page offers. It sends each form back, always with a valid CSRF token: with every
free-text field ending in a NUL, every free-text field 100,000 characters long, every date in year 1
and in year 9999 (the other fields as offered, so the values can reach the service), with one field
at a time replaced by a hostile value (control characters, negative and huge numbers, wrong types,
impossible dates, markup, ...), with every field missing, every field a NUL, as bytes that are not
UTF-8, and last as offered. Every POST route no page offers a form for gets hostile JSON (too deep,
not UTF-8, wrong types, a NUL, year-1 and year-9999 times with an offset, an oversized batch), and
every GET route a hostile query string. Values are sampled per field (a fixed rotation, so a run is
repeatable), not crossed.

The counts of requests by status class are printed; none may be 5xx."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Rule

from lbt.accounts.models import Role
from lbt.alerts.services import AlertInput, create_alert
from lbt.api.services import create_token
from lbt.applications.services import refuse, request_information
from lbt.representatives.incidents import IncidentInput, report_incident
from lbt.representatives.models import IncidentType
from lbt.web.security import AUTHENTICATED, PUBLIC, access_of
from lbt.web.state import limiter
from tests.fixtures.applications import PDF, photo_bytes
from tests.fixtures.clients import Client
from tests.fixtures.factories import make_user
from tests.fixtures.passwords import PASSWORD
from tests.fixtures.representatives import hold
from tests.fixtures.representatives import request as request_meeting
from tests.test_access import _first_any_options

LONG = "x" * 100_000
HOSTILE_TEXT = [
    "\x00nul",
    "ok\x00",
    "\x1b[2J\x07\x08",
    LONG,
    "-1",
    "-99999999999999999999",
    "99999999999999999999999999",
    "9223372036854775808",
    "0001-01-01",
    "9999-12-31",
    "abc",
    "[]",
    "1e999",
    "NaN",
    " ",
    "٣",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n%x",
    "../../etc/passwd",
]
HOSTILE_DATES = ["0001-01-01", "9999-12-31", "0000-00-00", "2026-02-30", "99999-01-01", "1-1-1"]
PHOTO = photo_bytes()
FREE_TEXT = frozenset({"text", "textarea", "search", "email", "password", "tel", "url"})
HOSTILE_NUMBERS = ["-1", "-99999999999999999999", "99999999999999999999999999", "1.5", "1e999", "0x10"]
HOSTILE_QUERIES = [
    "page=-1&q=%00&before=99999999999999999999&next=//evil.example",
    "page=99999999999999999999&q=" + "x" * 20_000 + "&since=9999-12-31&until=0001-01-01",
    "page=abc&status=%FF%FE&state_code=%00&sort=1%27--&agreement_id=-5&point=9e999",
]
MOMENT_EXTREMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2026-13-45T99:99:99Z", 1e308]


def hostile_json(permit_number: str, crossing_point: str) -> list[str | bytes]:
    """Bodies for JSON endpoints: structure, types and values nobody should send."""
    item = {
        "id": "7d0f0c3e-8a4f-4f7e-9f57-2b8f1f0f5a11",
        "permit_number": permit_number,
        "crossing_point": crossing_point,
        "direction": "entry",
        "at": "2026-11-22T09:30:00+05:00",
        "offline": True,
    }
    bodies: list[Any] = ["[" * 100_000, "[" * 5000 + "]" * 5000, b"\xff\xfe\x00", "", "null", "1"]
    bodies += [{"token": value} for value in ("\x00", "\ud800", LONG, 1, None, [], {"a": 1})]
    bodies += [
        {"number": value, "crossing_point": value, "direction": value} for value in ("\x00", "\udfff", 7, [])
    ]
    bodies += [{"crossings": [{**item, "at": moment}]} for moment in MOMENT_EXTREMES]
    bodies += [
        [{**item, key: value}] for key, value in itertools.product(item, ("\x00x", "\ud800", 10**30, None))
    ]
    bodies += [[{**item, "offline": "false"}], [item] * 501, {"crossings": "all"}, [[]], [1, "a", None]]
    return [body if isinstance(body, (str, bytes)) else json.dumps(body) for body in bodies]


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, input type, value)
    options: dict[str, list[str]] = field(default_factory=dict)


class FormReader(HTMLParser):
    """The forms of a page: where each posts, and what a browser would send from it untouched."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url, self.forms = page_url, []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            action = a.get("action") or self.page_url
            self._form = Form(action, (a.get("method") or "get").upper())
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag in ("input", "button"):
            kind = a.get("type", "text" if tag == "input" else "submit")
            if kind in ("checkbox", "radio"):
                self._form.options.setdefault(a["name"], []).append(a.get("value", "on"))
                if kind == "radio" and len(self._form.options[a["name"]]) > 1:
                    return
            self._form.fields.append((a["name"], kind, a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
            self._form.fields.append((a["name"], "select", ""))
        elif tag == "option" and self._select:
            self._form.options.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "textarea":
            self._form.fields.append((a["name"], "textarea", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def plausible(name: str, kind: str, value: str, options: dict[str, list[str]]) -> Any:
    """What a careful user would send in a field, so the hostile one is judged beside valid ones."""
    choices = [choice for choice in options.get(name, []) if choice]
    if kind == "file":
        return (BytesIO(PHOTO), "photo.jpg") if "photo" in name else (BytesIO(PDF), "document.pdf")
    if value or kind in ("hidden", "submit"):
        return value
    if choices:
        return choices[0]
    return {"date": "2026-12-01", "number": "1", "email": "a@example.org", "password": PASSWORD + "!x"}.get(
        kind, "Test Rahimov 1"
    )


def hostile_for(kind: str, turn: int) -> list[str]:
    """The values one field gets: both ends of the calendar for a date, one value of the rotation for
    anything else (so that every value is sent somewhere, and each form sees several)."""
    if kind == "date":
        return ["0001-01-01", "9999-12-31", HOSTILE_DATES[2 + turn % (len(HOSTILE_DATES) - 2)]]
    pool = HOSTILE_NUMBERS if kind == "number" else HOSTILE_TEXT
    return [pool[turn % len(pool)]]


def variants(form: Form, token: str) -> Iterator[tuple[str, Any]]:
    """(what was changed, the body to send) for one form."""
    base: dict[str, Any] = {}
    for name, kind, value in form.fields:
        if name != "csrf_token" and name not in base:
            base[name] = plausible(name, kind, value, form.options)
    kinds = {name: kind for name, kind, _value in form.fields}

    def body(files: bool = True, **changes: Any) -> dict[str, Any]:
        data = {
            name: plausible(name, kinds[name], "", form.options) if kinds[name] == "file" else value
            for name, value in base.items()
            if files or kinds[name] != "file"
        }
        data.update(changes)
        data["csrf_token"] = token
        return data

    # first (a variant that passes may change what the form offers), the hostile values beside values
    # as offered, so that the form may pass its checks and the values reach the service
    free_text = [name for name in base if kinds[name] in FREE_TEXT]
    if free_text:
        yield "every free text with a NUL", body(**{name: f"{base[name]}\x00" for name in free_text})
        # without its files: sent URL-encoded (a large multipart body is spooled to a temporary file)
        yield "every free text 100,000 long", body(files=False, **dict.fromkeys(free_text, LONG))
    dates = [name for name in base if kinds[name] == "date"]
    for day in ("0001-01-01", "9999-12-31") if dates else ():
        yield f"every date {day}", body(**dict.fromkeys(dates, day))
    for turn, name in enumerate(base):
        if kinds[name] in ("submit",):
            continue
        for value in hostile_for(kinds[name], turn):
            yield f"{name}={value[:20]!r}", body(**{name: value})
    yield "every field missing", {"csrf_token": token}
    yield "every field a NUL", body(**{n: "\x00" for n, k in kinds.items() if k not in ("file", "submit")})
    raw = "&".join(f"{quote(name)}=%FF%FE%00" for name in base if kinds[name] != "file")
    yield "not UTF-8", (f"csrf_token={quote(token)}&{raw}").encode()
    yield "as offered", body()


class Crawl:
    def __init__(self, app: Flask, ids: dict[str, list[int]], json_bodies: list[str | bytes]) -> None:
        self.app, self.ids, self.json_bodies = app, ids, json_bodies
        self.statuses: Counter[str] = Counter()
        self.errors: list[str] = []
        self.adapter = app.url_map.bind("localhost")

    def urls(self, rule: Rule) -> list[str]:
        """The rule's address for each record of its kind (id 1 for a kind without records)."""
        fixed: dict[str, Any] = _first_any_options(rule)
        names = [name for name in sorted(rule.arguments) if name not in fixed]
        found = []
        with self.app.test_request_context():
            for values in itertools.product(*(self.ids.get(name, [1]) for name in names)):
                found.append(
                    self.app.url_for(rule.endpoint, **fixed, **dict(zip(names, values, strict=True)))
                )
        return found

    def send(self, client: Client, method: str, url: str, what: str, **kwargs: Any) -> Any:
        try:
            response = client.open(url, method=method, **kwargs)
        except Exception as error:  # what a server would answer with a bare 500
            self.statuses["5xx"] += 1
            self.errors.append(f"{method} {url[:80]} [{what}] -> raised {error!r:.200}")
            return None
        self.statuses[f"{response.status_code // 100}xx"] += 1
        if self.not_ready(url, method, response):
            return response
        if response.status_code >= 500:
            self.errors.append(f"{method} {url[:80]} [{what}] -> {response.status_code}")
        return response

    def not_ready(self, url: str, method: str, response: Any) -> bool:
        """``/readyz`` answers 503 by design while a check fails (the test schema is made without
        Alembic, so it has no revision): that is its answer, not a server error, when it names the
        failing check."""
        if response.status_code != 503 or self.endpoint_of(url, method) != "monitoring.ready":
            return False
        checks = (response.get_json(silent=True) or {}).get("checks")
        return isinstance(checks, list | dict) and bool(checks)

    def endpoint_of(self, url: str, method: str) -> str | None:
        try:
            return self.adapter.match(urlsplit(url).path, method=method)[0]
        except (NotFound, MethodNotAllowed):
            return None

    def run(self, client: Client, caller: Caller, bearer: dict[str, str]) -> None:
        token = client.csrf_token()
        rules = [rule for rule in self.app.url_map.iter_rules() if caller.crawls(self.app, rule)]
        posted: set[str] = set()
        last = [
            rule for rule in rules if rule.endpoint.startswith(("accounts.logout", "apply.status_logout"))
        ]
        pages = [url for rule in rules if "GET" in (rule.methods or ()) for url in self.urls(rule)]
        for url in pages:
            page = self.send(client, "GET", url, "the page")
            self.send(client, "GET", f"{url}?{HOSTILE_QUERIES[len(posted) % 3]}", "hostile query")
            if page is None or not page.content_type.startswith("text/html"):
                continue
            reader = FormReader(url)
            reader.feed(page.get_data(as_text=True))
            for form in reader.forms:
                endpoint = self.endpoint_of(form.action, form.method)
                key = f"{form.method} {endpoint}"
                if (
                    endpoint is None
                    or key in posted
                    or endpoint.startswith(("accounts.logout", "home.set_l"))
                ):
                    continue
                posted.add(key)
                self.send_form(client, form, token)
        for rule in rules:
            if "POST" in (rule.methods or ()) and f"POST {rule.endpoint}" not in posted and rule not in last:
                self.send_json(client, self.urls(rule)[-1], token, bearer)
        for rule in last:
            self.send(client, "POST", self.urls(rule)[0], "log out", data={"csrf_token": token})

    def send_form(self, client: Client, form: Form, token: str) -> None:
        for what, data in variants(form, token):
            if form.method == "GET":
                query = (
                    data
                    if isinstance(data, bytes)
                    else "&".join(
                        f"{quote(k)}={quote(str(v))}" for k, v in data.items() if not isinstance(v, tuple)
                    )
                )
                query = query.decode("latin-1") if isinstance(query, bytes) else query
                self.send(client, "GET", f"{urlsplit(form.action).path}?{query}", what)
            elif isinstance(data, bytes):
                self.send(
                    client,
                    "POST",
                    form.action,
                    what,
                    data=data,
                    content_type="application/x-www-form-urlencoded",
                )
            else:
                multipart = any(isinstance(value, tuple) for value in data.values())
                kind = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
                self.send(client, "POST", form.action, what, data=data, content_type=kind)

    def send_json(self, client: Client, url: str, token: str, bearer: dict[str, str]) -> None:
        """All the bodies to JSON endpoints (the API, the guard page's number check), a few elsewhere."""
        json_endpoint = url.startswith("/api/") or url.endswith("/verify-number")
        bodies = self.json_bodies if json_endpoint else self.json_bodies[:4]
        for number, body in enumerate(bodies):
            self.send(
                client,
                "POST",
                url,
                f"JSON body {number}",
                data=body,
                content_type="application/json",
                headers={"X-CSRFToken": token, **bearer},
            )
        self.send(client, "POST", url, "empty form", data={"csrf_token": token})


@dataclass(frozen=True)
class Caller:
    """Who crawls, and which routes: anonymous callers the public ones (a resident with an open
    status page only those of the status page), each role those of its own (and the first role also
    the pages every logged-in user has), so that no route is crawled twice by the same code path."""

    name: str
    role: Role | None = None
    username: str | None = None
    prefix: str = "/"
    own_pages: bool = False
    status_of: Any = None  # the application whose status page a resident has open

    def crawls(self, app: Flask, rule: Rule) -> bool:
        access = access_of(app.view_functions[rule.endpoint])
        if rule.endpoint == "static" or access is None or not rule.rule.startswith(self.prefix):
            return False
        if self.role is None:
            return access == PUBLIC
        if access == AUTHENTICATED:
            return self.own_pages or rule.endpoint.startswith("accounts.logout")
        return access != PUBLIC and self.role in access


@pytest.fixture
def residents(db, users, clock, make_application) -> list[Any]:  # type: ignore[no-untyped-def]
    """Applicants whose status page offers a form: one asked for more information, one refused."""
    asked = make_application(surname_latin="SAIDOV", document_number="C1111111")
    request_information(db, asked.application, officer=users[Role.OFFICER], message="Send more.", now=clock())
    refused = make_application(surname_latin="NAZAROV", document_number="D2222222")
    refuse(db, refused.application, officer=users[Role.OFFICER], reasons=["other"], text="No.", now=clock())
    db.flush()
    return [asked, refused]


@pytest.fixture
def records(db, ref, users, clock, permit, make_application, reps) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """Real records behind every kind of id in the URL map, so that pages offer their forms and the
    forms act on something: a meeting asked for (to accept, counter, decline) and one held (texts,
    decisions, addenda), a shared incident, an alert, an application, a permit, a user to act on."""
    application = make_application(surname_latin="KARIMOV", document_number="B7654321").application
    victim = make_user(db, "victim", Role.AUDITOR)
    alert = AlertInput("KARIMOV", "", None, "", "entry ban", None)
    alert_id = create_alert(
        db, alert, supervisor=users[Role.SUPERVISOR], now=clock(), today=clock().date()
    ).id
    report = IncidentInput(
        IncidentType.STRAY_LIVESTOCK, clock.now, "Cattle crossed", landmark="sign 114", is_shared=True
    )
    incident = report_incident(db, reps.kg, ref.section, report, now=clock.now)
    asked = request_meeting(db, ref, reps, clock)
    held = hold(db, ref, reps, clock, request_meeting(db, ref, reps, clock, agenda=("Sign 114",)))
    db.flush()
    return {
        "user_id": [victim.id],
        "agreement_id": [ref.agreement.id],
        "record_id": [ref.agreement.id],
        "crossing_point_id": [ref.crossing_point.id],
        "section_id": [ref.section.id],
        "permit_id": [permit.id],
        "application_id": [application.id],
        "meeting_id": [asked.id, held.id],
        "item_id": [held.agenda[0].id],
        "alert_id": [alert_id],
        "incident_id": [incident.id],
        "representative_id": [reps.tj.id],
    }


def open_status(client: Client, submitted: Any) -> None:
    reference, code = submitted.application.reference, submitted.access_code
    assert client.submit("/apply/status", {"reference": reference, "access_code": code}).status_code == 302


def test_hostile_input_on_every_form_and_json_endpoint_gives_no_server_error(
    app, db, ref, users, reps, permit, records, residents, clock, capsys
):
    crawl = Crawl(app, records, hostile_json(permit.number, ref.crossing_point.code))
    callers = [Caller("anonymous")]
    callers += [Caller("resident", prefix="/apply/status", status_of=submitted) for submitted in residents]
    callers += [
        Caller(role.value, role, users[role].username, own_pages=role is Role.ADMIN)
        for role in Role
        if role is not Role.REPRESENTATIVE
    ]
    callers += [Caller(rep.username, Role.REPRESENTATIVE, rep.username) for rep in (reps.tj, reps.kg)]
    for number, caller in enumerate(callers):
        limiter.reset()  # the rate limits would answer 429 to most of a crawl: each caller starts afresh
        client: Client = app.test_client()  # type: ignore[assignment]
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number + 1}"
        if caller.username is not None:
            assert client.login(caller.username).status_code == 302
        if caller.status_of is not None:
            open_status(client, caller.status_of)
        bearer = {}
        if caller.role is Role.BORDER_GUARD:
            token = create_token(db, users[caller.role], name="crawl", now=clock())[1]
            bearer = {"Authorization": f"Bearer {token}"}
        crawl.run(client, caller, bearer)
    with capsys.disabled():
        total = sum(crawl.statuses.values())
        by_class = ", ".join(f"{name}: {count}" for name, count in sorted(crawl.statuses.items()))
        print(f"\nhostile crawl on {db.bind.dialect.name}: {total} requests ({by_class})")
    assert not crawl.errors, "server errors:\n" + "\n".join(crawl.errors)
