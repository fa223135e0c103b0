"""The composition root: builds the Flask app from its parts (settings, database, services, areas)."""

from __future__ import annotations

import os

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from lbt.api.lane_views import init_verify_lane
from lbt.audit.services import install_audit_listener
from lbt.core.db import Database, make_private_folder
from lbt.core.resources import resource_dir
from lbt.core.settings import Settings
from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.watch import install_exchange_listener
from lbt.jobs.queue import JobQueue
from lbt.permits.revocations import RevocationLists
from lbt.permits.signing import KEYS_FOLDER, SIGNING_KEY_ENV, KeyStore
from lbt.storage.uploads import FileStore
from lbt.web.dates import init_date_filters
from lbt.web.errors import register_error_handlers
from lbt.web.i18n import init_i18n
from lbt.web.labels import init_labels
from lbt.web.metrics import init_metrics
from lbt.web.navigation import init_navigation
from lbt.web.request_input import init_request_input
from lbt.web.request_log import init_request_log
from lbt.web.security import init_login, init_security
from lbt.web.state import AppState, bind_actor, close_session, limiter


def build_state(settings: Settings) -> AppState:
    """The app's settings, database and services; the CLI and the web share it."""
    make_private_folder(settings.instance_path)  # before the database file, uploads and keys in it
    state = AppState(
        settings=settings, database=Database(settings.database_url, report_zone=settings.instance_zone)
    )
    state.database.clock = lambda: state.clock()  # a clock set on the app (tests) holds for the CLI too
    keys_folder = settings.instance_path / KEYS_FOLDER
    # one key store per app: it keeps the published keys in memory while its folder is unchanged
    keys = KeyStore.from_env(keys_folder, {SIGNING_KEY_ENV: settings.signing_key_pem})
    state.provide(KeyStore, lambda: keys)
    revocation_lists = RevocationLists()  # the signed revocation list, kept per process
    state.provide(RevocationLists, lambda: revocation_lists)
    state.provide(FileStore, lambda: FileStore(settings.instance_path / "uploads"))
    state.provide(ExchangeKeyStore, lambda: ExchangeKeyStore.of_instance(settings.instance_path))
    state.provide(JobQueue, JobQueue.lazy(state))  # Huey: made at first use (web submits, `lbt worker` runs)
    return state


def create_app(settings: Settings | None = None) -> Flask:
    app = Flask(
        "lbt",
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=os.environ.get("LBT_INSTANCE_PATH") or None,
    )
    if settings is None:
        settings = Settings.from_env(app.instance_path)
    app.instance_path = str(settings.instance_path)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        SESSION_COOKIE_NAME="lbt_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.https,
        MAX_CONTENT_LENGTH=60 * 1024 * 1024,  # a photo (5 MB) and five documents (10 MB each)
        WTF_CSRF_TIME_LIMIT=8 * 3600,  # a resident may take long over a form on a slow phone
        PREFERRED_URL_SCHEME="https" if settings.https else "http",
    )
    state = build_state(settings)
    app.extensions["lbt"] = state
    install_audit_listener()
    install_exchange_listener()  # changes the partner must hear of are queued in their transaction
    state.find(KeyStore).ensure_key(state.clock())  # the first start makes the permit signing key
    app.config["RATELIMIT_STORAGE_URI"] = settings.ratelimit_storage_url
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    # a moving window: a limit of 60 a minute allows no burst of 120 across a minute's boundary, and a
    # caller told to wait meets the limit until its oldest request of the minute has aged out
    app.config["RATELIMIT_STRATEGY"] = "moving-window"
    limiter.init_app(app)

    # CSRF is checked in one hook (lbt.web.security) so that bearer-token API calls, which carry no
    # cookies and cannot be forged cross-site, are the only requests without it
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.extensions["lbt_csrf"] = CSRFProtect(app)
    init_login(app)  # who a request is: the login cookie's open session, or an API bearer token
    init_i18n(app)
    init_date_filters(app)  # every page's dates through Babel, in the reader's locale
    init_navigation(app)
    init_labels(app)
    init_security(app)
    init_request_input(app)  # after the access check: a body is read only for who may call
    app.before_request(bind_actor)
    register_error_handlers(app)
    init_metrics(app, settings, state.database.engine)  # requests, pool; collectors read at scrape
    init_request_log(app)  # JSON log lines, one per request, with its id
    init_verify_lane(app)  # after the hooks of the log and the metrics, which it keeps
    app.teardown_appcontext(close_session)
    _register_blueprints(app)
    if settings.proxy_count:  # around the whole, the verify lane's middleware included
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.proxy_count,
            x_proto=settings.proxy_count,
            x_host=settings.proxy_count,
        )
    return app


def _register_blueprints(app: Flask) -> None:
    from lbt.accounts.two_factor.views import bp as two_factor
    from lbt.accounts.views import bp as accounts
    from lbt.alerts.views import bp as alerts
    from lbt.api.views import bp as api
    from lbt.applications.resident_views import bp as apply
    from lbt.applications.staff_views import bp as applications
    from lbt.audit.views import bp as audit
    from lbt.crossings.pattern_views import bp as stay_patterns
    from lbt.crossings.review_views import bp as crossing_reviews
    from lbt.crossings.verify_views import bp as verify
    from lbt.crossings.views import bp as crossings
    from lbt.exchange.received_views import bp as exchange_received
    from lbt.exchange.views import bp as exchange
    from lbt.home.views import bp as home
    from lbt.jobs.views import bp as jobs
    from lbt.monitoring.views import bp as monitoring
    from lbt.permits.views import bp as permits
    from lbt.reference.views import bp as reference
    from lbt.reports.views import bp as reports
    from lbt.representatives.views import bp as representatives

    for blueprint in (
        home,
        accounts,
        two_factor,
        reference,
        audit,
        apply,
        applications,
        permits,
        alerts,
        verify,
        api,
        crossings,
        crossing_reviews,
        stay_patterns,
        representatives,
        reports,
        exchange,
        exchange_received,
        monitoring,
        jobs,
    ):
        app.register_blueprint(blueprint)
