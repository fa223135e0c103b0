"""The border guard's pages: the verification page, the number check, the holder's photo and the logs."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime

import pytest
from PIL import Image

from lbt.accounts.models import Role
from lbt.applications.models import FeeStatus
from lbt.applications.services import approve
from lbt.crossings import services
from lbt.crossings.models import Direction
from lbt.permits import services as permits
from lbt.permits.models import Permit
from lbt.storage.uploads import FileStore
from tests.fixtures.factories import make_user
from tests.fixtures.permits import add_locality, statements_to_show

TODAY = date(2026, 11, 22)


@pytest.fixture
def store(settings) -> FileStore:  # type: ignore[no-untyped-def]
    """Uploads where the app reads them, so the photo route finds the holder's photo."""
    return FileStore(settings.instance_path / "uploads")


@pytest.fixture
def issue(db, make_application, users, clock, issuer):  # type: ignore[no-untyped-def]
    def issue(**changes: object) -> Permit:
        permit = approve(
            db,
            make_application(**changes).application,
            officer=users[Role.OFFICER],
            valid_from=TODAY,
            valid_until=date(2027, 11, 21),
            fee_status=FeeStatus.PAID,
            issue=issuer,
            now=clock(),
        )
        assert isinstance(permit, Permit)
        return permit

    return issue


@pytest.fixture
def permit(issue) -> Permit:  # type: ignore[no-untyped-def]
    return issue()


@pytest.fixture
def guard(login_as):  # type: ignore[no-untyped-def]
    return login_as(Role.BORDER_GUARD)


def post_json(client, url: str, payload: object):  # type: ignore[no-untyped-def]
    return client.post(url, json=payload, headers={"X-CSRFToken": client.csrf_token()})


def cross(db, permit, ref, users, direction: Direction, at: datetime):  # type: ignore[no-untyped-def]
    return services.record(
        db,
        client_id=str(uuid.uuid4()),
        permit=permit,
        crossing_point=ref.crossing_point,
        direction=direction,
        at=at,
        officer=users[Role.BORDER_GUARD],
        now=at,
    )


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN, Role.SUPERVISOR])
def test_the_guard_pages_refuse_other_roles(login_as, permit, role):
    client = login_as(role)
    for url in (
        "/crossings/verify",
        "/crossings/log",
        f"/crossings/permits/{permit.id}",
        f"/crossings/permits/{permit.id}/photo",
        f"/crossings/permits/number/{permit.number}/photo",
    ):
        assert client.get(url).status_code == 403, url
    assert post_json(client, "/crossings/verify-number", {"number": permit.number}).status_code == 403


def test_the_verify_page_offers_camera_picture_and_number_without_inline_script(guard):
    response = guard.get("/crossings/verify")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<meta name="csrf-token" content="' in page
    assert "vendor/zxing-wasm/zxing-reader.min.js" in page and "js/verify.js" in page
    assert 'id="verify-camera-start"' in page and 'type="file"' in page and 'id="verify-number-input"' in page
    assert "<script>" not in page and "style=" not in page
    assert 'data-text-denied="The camera was refused.' in page


def test_a_valid_permit_number_gets_green_with_what_the_guard_compares(guard, permit, ref):
    response = post_json(
        guard, "/crossings/verify-number", {"number": permit.number.lower(), "direction": "entry"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["verdict"] == "pass"
    assert body["reasons"] == [{"code": "valid", "message": "Valid: the holder may pass."}]
    assert body["permit"]["surname"] == {"national": "Раҳимов", "latin": "RAHIMOV"}
    assert body["permit"]["document_number"] == permit.document_number
    assert body["stay"]["current_stay_days"] == 0 and body["stay"]["window_used"] == 0
    assert body["photo_url"] == f"/crossings/permits/{permit.id}/photo"


def test_an_unknown_or_revoked_permit_number_gets_red(guard, db, permit, users, clock):
    unknown = post_json(guard, "/crossings/verify-number", {"number": "TJ-2026-999999-2"}).get_json()
    assert unknown["verdict"] == "refuse" and unknown["reasons"][0]["code"] == "not_on_record"
    permits.revoke(db, permit, officer=users[Role.OFFICER], reason="Fraud.", now=clock())
    db.flush()
    revoked = post_json(guard, "/crossings/verify-number", {"number": permit.number}).get_json()
    assert revoked["verdict"] == "refuse" and revoked["reasons"][0]["code"] == "revoked"


def test_a_second_entry_without_an_exit_gets_amber(guard, db, permit, ref, users):
    cross(db, permit, ref, users, Direction.ENTRY, datetime(2026, 11, 22, 8, tzinfo=UTC))
    body = post_json(guard, "/crossings/verify-number", {"number": permit.number}).get_json()
    assert body["verdict"] == "check" and body["reasons"][0]["code"] == "already_inside"
    assert body["stay"]["inside"] is True and body["stay"]["current_stay_days"] == 1


def test_the_number_check_needs_a_number_and_one_of_the_guards_points(guard, permit, ref):
    assert post_json(guard, "/crossings/verify-number", {"number": " "}).status_code == 400
    wrong_point = {"number": permit.number, "crossing_point": ref.other_crossing_point.code}
    assert post_json(guard, "/crossings/verify-number", wrong_point).status_code == 400
    wrong_direction = {"number": permit.number, "direction": "sideways"}
    assert post_json(guard, "/crossings/verify-number", wrong_direction).status_code == 400


def test_a_guard_of_another_agreement_sees_neither_the_photo_nor_the_history(app, db, ref, permit):
    make_user(db, "guard2", Role.BORDER_GUARD, crossing_points=[ref.other_crossing_point])
    other = app.test_client()
    assert other.login("guard2").status_code == 302
    assert other.get(f"/crossings/permits/{permit.id}/photo").status_code == 403
    assert other.get(f"/crossings/permits/number/{permit.number}/photo").status_code == 403
    assert other.get(f"/crossings/permits/{permit.id}").status_code == 403
    body = post_json(other, "/crossings/verify-number", {"number": permit.number}).get_json()
    assert body["verdict"] == "refuse" and "permit" not in body  # no personal data of another agreement


def test_the_guard_sees_the_holders_photo_never_cached(guard, permit):
    response = guard.get(f"/crossings/permits/{permit.id}/photo")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg" and response.data[:2] == b"\xff\xd8"
    assert "no-store" in response.headers["Cache-Control"]
    assert guard.get(f"/crossings/permits/number/{permit.number}/photo").data == response.data
    assert guard.get("/crossings/permits/999999/photo").status_code == 404


def test_an_entry_recorded_from_the_page_shows_in_the_log_and_the_history(guard, db, permit, ref):
    item = {
        "id": str(uuid.uuid4()),
        "permit_number": permit.number,
        "crossing_point": ref.crossing_point.code,
        "direction": "entry",
        "at": "2026-11-22T09:58:00Z",  # online: sent as it happens (the clock says 10:00)
        "offline": False,
    }
    results = post_json(guard, "/api/v1/crossings", [item]).get_json()["results"]
    assert results[0]["status"] == "stored"
    log = guard.get("/crossings/log").get_data(as_text=True)
    counts = log.split('id="daily-counts"')[1].split("</table>")[0]
    assert "KG-TJ-01</td><td>1</td><td>0</td>" in counts
    inside = log.split('id="people-inside"')[1].split("</table>")[0]
    assert permit.number in inside and "RAHIMOV" in inside
    history = guard.get(f"/crossings/permits/{permit.id}").get_data(as_text=True)
    assert "KG-TJ-01" in history and "Entry" in history and "May pass" in history


def test_an_exit_takes_the_holder_off_the_inside_list_and_an_overstay_is_listed(
    guard, db, permit, ref, users
):
    cross(db, permit, ref, users, Direction.ENTRY, datetime(2026, 11, 22, 8, tzinfo=UTC))
    cross(db, permit, ref, users, Direction.EXIT, datetime(2026, 11, 22, 9, tzinfo=UTC))
    log = guard.get("/crossings/log").get_data(as_text=True)
    assert "Nobody is recorded inside." in log
    assert "KG-TJ-01</td><td>1</td><td>1</td>" in log
    assert "No misuse cases." in log


def test_the_log_reads_the_crossing_points_clock(guard, db, permit, ref, users, clock):
    """20:30 UTC on 22 November is 01:30 on the 23rd at the Tajik post (Asia/Dushanbe, UTC+5): the
    entry is shown at 01:30, counted on the 23rd, and at 07:00 local time the holder is inside for 1
    day (the UTC dates would say 2)."""
    cross(db, permit, ref, users, Direction.ENTRY, datetime(2026, 11, 22, 20, 30, tzinfo=UTC))
    clock.advance(hours=16)  # 02:00 UTC on the 23rd
    log = guard.get("/crossings/log").get_data(as_text=True)
    inside = log.split('id="people-inside"')[1].split("</table>")[0]
    assert "01:30" in inside and "20:30" not in inside
    assert "</small></td>\n              <td>1</td>" in inside
    counts = log.split('id="daily-counts"')[1].split("</table>")[0]
    assert counts.count("<tr><td>") == 1 and "23" in counts.split("<tr><td>")[1].split("</td>")[0]
    history = guard.get(f"/crossings/permits/{permit.id}").get_data(as_text=True)
    assert "01:30" in history and "20:30" not in history


def test_the_log_costs_the_same_queries_for_one_or_many_people_inside(
    guard, db, issue, ref, users, connection, locality_for_more
):
    first = issue()
    cross(db, first, ref, users, Direction.ENTRY, datetime(2026, 11, 22, 8, tzinfo=UTC))
    one = statements_to_show(guard, connection, "/crossings/log")
    for index in range(3):
        more = issue(document_number=f"B{index}1234567", locality_id=locality_for_more.id)
        cross(db, more, ref, users, Direction.ENTRY, datetime(2026, 11, 22, 8, index, tzinfo=UTC))
    assert statements_to_show(guard, connection, "/crossings/log") == one


@pytest.fixture
def locality_for_more(db, ref):  # type: ignore[no-untyped-def]
    return add_locality(db, ref.agreement, ref.kg, "Kara-Bak", "Кара-Бак")


def test_the_service_worker_is_served_from_crossings_to_anyone_and_never_stale(client):
    response = client.get("/crossings/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/crossings/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    assert 'addEventListener("fetch"' in script and "/crossings/verify" in script


def test_the_manifest_starts_at_the_verify_page(client):
    response = client.get("/crossings/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    body = response.get_json(force=True)
    assert body["start_url"] == "/crossings/verify"
    assert body["scope"] == "/crossings/"
    assert body["display"] == "standalone" and body["icons"]


def test_the_manifests_icons_exist_with_their_sizes(client):
    """An installable app needs 192 and 512 px PNG icons and a maskable one (full-bleed background)."""
    icons = client.get("/crossings/manifest.webmanifest").get_json(force=True)["icons"]
    pngs = {(icon["sizes"], icon.get("purpose", "any")) for icon in icons if icon["type"] == "image/png"}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= pngs
    for icon in icons:
        with client.get(icon["src"]) as response:  # a file response: closed when read
            assert response.status_code == 200 and response.mimetype == icon["type"], icon["src"]
            data = response.data
        if icon["type"] == "image/png":
            with Image.open(io.BytesIO(data)) as image:
                size = int(icon["sizes"].split("x")[0])
                assert image.size == (size, size), icon["src"]
                if icon["purpose"] == "maskable":
                    assert image.convert("RGBA").getpixel((0, 0))[3] == 255  # no transparent corners


def test_the_verify_page_links_what_it_needs_offline(guard):
    page = guard.get("/crossings/verify").get_data(as_text=True)
    assert '<link rel="manifest" href="/crossings/manifest.webmanifest">' in page
    assert 'data-service-worker-url="/crossings/sw.js"' in page
    assert 'data-service-worker-scope="/crossings/"' in page
    assert 'data-revocations-url="/api/v1/revocations"' in page
    assert 'data-jwks-url="/.well-known/jwks.json"' in page
    assert 'data-revocations-max-age-hours="24"' in page
    assert "js/verify-offline.js" in page
    assets = (
        "vendor/zxing-wasm/zxing-reader.min.js",
        "vendor/zxing-wasm/zxing_reader.wasm",
        "js/verify-qr.js",
        "js/verify.js",
        "js/verify-offline.js",
        "css/verify.css",
    )
    for asset in assets:
        assert asset in page.split('data-offline-files="', 1)[1].split('"', 1)[0]
    assert 'data-agreement="' in page
    assert 'data-text-signature-invalid="Not genuine: the signature does not match.' in page
    assert "<script>" not in page and "style=" not in page


def test_the_verify_page_says_how_old_the_list_of_withdrawn_permits_is_without_a_script(guard, clock):
    """The list the page fetches as it opens is the one the server signs now: its age is written in
    the page, in the reader's language, so it shows at the first paint."""

    def age_line() -> str:
        page = guard.get("/crossings/verify").get_data(as_text=True)
        return page.split('id="offline-list-age"', 1)[1].split("</p>", 1)[0]

    line = age_line()
    assert line.startswith(f' class="offline-status__line" data-list-at="{int(clock().timestamp())}">')
    # 10:00 UTC on the instance's clock (Dushanbe), with the zone named
    assert "List of withdrawn permits from 22/11/2026 15:00 (Asia/Dushanbe" in line
    assert line.endswith(" (0 hours old).")
    guard.set_cookie("lbt_locale", "ru")
    line = age_line()
    assert "22.11.2026 15:00" in line and line.endswith("(давность 0 часов).")


def test_only_the_verify_page_may_compile_webassembly(guard):
    """Its QR decoder is zxing-cpp in WebAssembly; still no eval of strings, and no other page gets it."""
    policy = guard.get("/crossings/verify").headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in policy and "'unsafe-eval'" not in policy
    assert "wasm-unsafe-eval" not in guard.get("/crossings/log").headers["Content-Security-Policy"]
