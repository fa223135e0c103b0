"""The border guard's pages: the verification page and the crossing logs. A guard acts only at the
crossing points they are posted to, and sees only permits of the agreements those points serve."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from lbt.accounts.models import Role, User
from lbt.core.dates import local_day
from lbt.crossings import queries
from lbt.crossings.models import Direction, Verdict
from lbt.crossings.services import Assessment, Reason, assess
from lbt.crossings.verify import TokenVerdict, counted, permit_facts, stay_facts, typed_number_miss
from lbt.exchange.received import recorded_by_partner
from lbt.permits.models import Permit
from lbt.permits.services import find_by_number
from lbt.reference.models import CrossingPoint
from lbt.storage.uploads import FileStore
from lbt.web import links
from lbt.web.dates import moment_filter
from lbt.web.i18n import translate_message
from lbt.web.security import CONTENT_SECURITY_POLICY, public, require, roles
from lbt.web.state import find_service, get_session, local_today, now, settings

bp = Blueprint("crossings", __name__, url_prefix="/crossings")

GUARD = Role.BORDER_GUARD
# the QR decoder is zxing-cpp compiled to WebAssembly (static/vendor/zxing-wasm): the page may compile
# WebAssembly, nothing more (no eval of strings); every other page keeps the plain policy
VERIFY_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"
)


def _guard() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _serves(guard: User, permit: Permit) -> bool:
    """Object check: the permit's agreement is that of one of the guard's crossing points."""
    return permit.agreement_id in queries.agreement_ids(guard)


def _guarded_permit(permit_id: int) -> Permit:
    permit = get_session().get(Permit, permit_id)
    if permit is None:
        abort(404)
    require(_serves(_guard(), permit))
    return permit


def _page_arg(name: str) -> int:
    return max(request.args.get(name, 1, type=int) or 1, 1)


def _problem(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify(error=message, status=status), status


@bp.get("/verify")
@roles(GUARD)
def verify() -> Response:
    # The page fetches the list of withdrawn permits as it opens, and the server signs it as of now:
    # its age is written here, in the reader's language, so that the page's largest text is there at
    # the first paint (verify-offline.js rewrites the line when the device keeps another copy).
    moment = now()
    list_age = _(
        "List of withdrawn permits from %(time)s (%(age)s old).",
        time=moment_filter(moment),
        age=format_timedelta(timedelta(0), granularity="hour"),
    )
    response = Response(
        render_template(
            "crossings/verify.html",
            points=_guard().crossing_points,
            revocations_max_age_hours=settings().revocations_max_age_hours,
            list_at=int(moment.timestamp()),
            list_age=list_age,
        ),
        mimetype="text/html",
    )
    response.headers["Content-Security-Policy"] = VERIFY_PAGE_POLICY
    return response


@bp.get("/sw.js")
@public
def service_worker() -> Response:
    """The verification page's service worker, served from /crossings/ so that its scope covers the
    page. It holds no data of its own (the code is public), hence no login."""
    path = Path(current_app.static_folder or "static") / "js" / "crossings-sw.js"
    response = Response(path.read_bytes(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/crossings/"
    response.headers["Cache-Control"] = "no-cache"
    return response


# the installed app's icons (static/img, drawn once with Pillow from favicon.svg): name, size, purpose
MANIFEST_ICONS = (("icon-192", 192, "any"), ("icon-512", 512, "any"), ("icon-maskable-512", 512, "maskable"))


@bp.get("/manifest.webmanifest")
@public
def manifest() -> Response:
    """The web app manifest: the verification page installed on a phone's home screen."""
    response = jsonify(
        {
            "name": _("LBT: check a permit"),
            "short_name": _("LBT check"),
            "start_url": url_for("crossings.verify"),
            "scope": "/crossings/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b4f8a",
            "icons": [
                {
                    "src": url_for("static", filename="img/favicon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                },
                *(
                    {
                        "src": url_for("static", filename=f"img/{name}.png"),
                        "sizes": f"{size}x{size}",
                        "type": "image/png",
                        "purpose": purpose,
                    }
                    for name, size, purpose in MANIFEST_ICONS
                ),
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _reasons(reasons: tuple[Reason, ...]) -> list[dict[str, str]]:
    return [
        {"code": reason.code, "message": translate_message(reason.message, reason.params)}
        for reason in reasons
    ]


def _verdict_body(permit: Permit, assessment: Assessment, moment: datetime) -> dict[str, Any]:
    """What the guard compares with the person: the same fields as POST /api/v1/verify, with links."""
    return {
        "verdict": assessment.verdict.value,
        "reasons": _reasons(assessment.reasons),
        "checked_at": moment.isoformat(),
        "permit": {"id": permit.id, **permit_facts(permit, moment)},
        "stay": stay_facts(assessment),
        "photo_url": url_for("crossings.photo", permit_id=permit.id),
        "history_url": url_for("crossings.permit_history", permit_id=permit.id),
    }


def _refusal(code: str, message: str, moment: datetime) -> Response:
    return jsonify(
        verdict="refuse", reasons=[{"code": code, "message": message}], checked_at=moment.isoformat()
    )


@bp.post("/verify-number")
@roles(GUARD)
def verify_number() -> Response | tuple[Response, int]:
    """A permit number typed in (a damaged card, no camera): the same checks as a scanned QR."""
    data = request.get_json(silent=True)
    number = data.get("number") if isinstance(data, dict) else None
    # a number is short and plain text (PostgreSQL refuses a NUL in a query)
    if not isinstance(number, str) or not number.strip() or len(number) > 40 or "\x00" in number:
        return _problem(_("Enter a permit number."))
    guard = _guard()
    points: list[CrossingPoint] = list(guard.crossing_points)
    code = data.get("crossing_point")
    point = (
        points[0] if code is None and len(points) == 1 else next((p for p in points if p.code == code), None)
    )
    if point is None:
        return _problem(_("Choose one of your crossing points."))
    direction = data.get("direction", "entry")
    if direction not in ("entry", "exit"):
        return _problem(_("Choose entry or exit."))
    session = get_session()
    moment = now()
    permit = find_by_number(session, number)
    if permit is None:
        miss = counted(typed_number_miss(number), "typed_number")
        return jsonify(
            verdict=miss.verdict.value, reasons=_reasons(miss.reasons), checked_at=moment.isoformat()
        )
    if not _serves(guard, permit):
        # a permit of another agreement (another border area): say no, without showing whose it is
        counted(TokenVerdict(Verdict.REFUSE, (Reason("outside_area", ""),)), "typed_number")
        return _refusal(
            "outside_area",
            _(
                "Outside the border area: this crossing point does not lead into the border area where"
                " the permit is valid."
            ),
            moment,
        )
    assessment = assess(session, permit, point, Direction(direction), moment)
    counted(TokenVerdict(assessment.verdict, assessment.reasons), "typed_number")
    body = _verdict_body(permit, assessment, moment)
    session.commit()
    return jsonify(body)


def _photo_response(permit: Permit) -> Response:
    try:
        data = find_service(FileStore).read(permit.photo)
    except FileNotFoundError:
        abort(404)
    response = send_file(
        io.BytesIO(data), mimetype=permit.photo.content_type, conditional=False, etag=False, max_age=0
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/permits/<int:permit_id>/photo")
@roles(GUARD)
def photo(permit_id: int) -> Response:
    return _photo_response(_guarded_permit(permit_id))


@bp.get("/permits/number/<number>/photo")
@roles(GUARD)
def photo_by_number(number: str) -> Response:
    """The photo for a scanned QR (the API's verdict names the permit by number)."""
    permit = find_by_number(get_session(), number)
    if permit is None:
        abort(404)
    require(_serves(_guard(), permit))
    return _photo_response(permit)


@bp.get("/permits/<int:permit_id>")
@roles(GUARD)
def permit_history(permit_id: int) -> str:
    permit = _guarded_permit(permit_id)
    page = queries.permit_crossings(get_session(), permit.id, page=_page_arg("page"))
    by_partner = recorded_by_partner(get_session(), permit.id, page=_page_arg("partner_page"))
    return render_template(
        "crossings/log_permit.html",
        permit=permit,
        page=page,
        by_partner=by_partner,
        today=local_today(),
        page_url=lambda number: url_for("crossings.permit_history", permit_id=permit.id, page=number),
        partner_page_url=lambda number: url_for(
            "crossings.permit_history", permit_id=permit.id, partner_page=number
        ),
    )


def _log_url(name: str) -> Any:
    def page_url(number: int) -> str:
        return links.page_url("crossings.log", number, name=name)

    return page_url


@bp.get("/log")
@roles(GUARD)
def log() -> str:
    session = get_session()
    guard = _guard()
    moment = now()
    # the guard's day: on the clock of their (first) crossing point
    today = local_day(moment, guard.crossing_points[0].zone_name if guard.crossing_points else None)
    agreements = queries.agreement_ids(guard)
    return render_template(
        "crossings/log.html",
        now=moment,
        today=today,
        log_days=queries.LOG_DAYS,
        points=guard.crossing_points,
        counts=queries.daily_counts(session, queries.point_ids(guard), today, page=_page_arg("days_page")),
        inside=queries.people_inside(session, agreements, page=_page_arg("inside_page")),
        misuse=queries.misuse_cases(session, agreements, page=_page_arg("misuse_page")),
        counts_url=_log_url("days_page"),
        inside_url=_log_url("inside_page"),
        misuse_url=_log_url("misuse_page"),
    )
