"""Koppontren: accounting and digital finance for Koperasi Pondok Pesantren.

``create_app()`` builds the application: configuration, database, extensions, blueprints, CLI and
error pages.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from werkzeug.middleware.proxy_fix import ProxyFix

from koppontren.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "koppontren"}


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app. ``config_name`` (or ``KOPPONTREN_CONFIG``) picks the config class; ``overrides``
    win over everything (tests use them)."""
    import config as config_module

    instance_path = os.environ.get("KOPPONTREN_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_object(config_module.config_class(config_name))
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:  # the client's address (login delays, throttles, audit) from the proxies' headers
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    _configure_secret(app)
    _configure_database(app)

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            _ping_after_idle(engine, app.config.get("DATABASE_PING_AFTER_IDLE"))
            _scope_transactions(engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    _warn_about_per_process_limits(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"

    from koppontren import models  # noqa: F401  - register every table on the metadata
    from koppontren.audit.views import coop_bp as audit_coop_bp
    from koppontren.auth.views import bp as auth_bp
    from koppontren.auth.views import coop_bp as auth_coop_bp
    from koppontren.cashbank.views import coop_bp as cashbank_coop_bp
    from koppontren.ledger.views import coop_bp as ledger_coop_bp
    from koppontren.members import import_views, portal_views  # noqa: F401  - their routes join the members pages
    from koppontren.members.services import register_subledger
    from koppontren.members.views import coop_bp as members_coop_bp
    from koppontren.savings.views import coop_bp as savings_coop_bp
    from koppontren.shop import backoffice_views, cashier_views, consignment_views, pos_views  # noqa: F401  - their routes join the shop pages
    from koppontren.shop import reversals as shop_reversals  # noqa: F401  - the ledger refuses reversing a shop entry alone
    from koppontren.shop.views import coop_bp as shop_coop_bp
    from koppontren.shu import reversals as shu_reversals  # noqa: F401  - nor an approved SHU's
    from koppontren.shu.views import coop_bp as shu_coop_bp
    from koppontren.site.errors import register_error_handlers
    from koppontren.site.security import register_security
    from koppontren.site.templating import register_template_helpers
    from koppontren.site.views import bp as site_bp
    from koppontren.statements.views import coop_bp as statements_coop_bp
    from koppontren.tenancy.views import coop_bp as tenancy_coop_bp
    from koppontren.tenancy.views import platform_bp
    from koppontren.wallet import payments as wallet_payments  # noqa: F401  - the shop's "wallet" payment; wallet entries reverse only through it
    from koppontren.wallet import reconcile as wallet_reconcile  # noqa: F401  - the koppontren check item: Σ wallet balances = 2113

    app.register_blueprint(site_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(platform_bp)
    app.register_blueprint(tenancy_coop_bp)
    app.register_blueprint(auth_coop_bp)
    app.register_blueprint(audit_coop_bp)
    app.register_blueprint(ledger_coop_bp)
    app.register_blueprint(cashbank_coop_bp)
    app.register_blueprint(members_coop_bp)
    app.register_blueprint(savings_coop_bp)
    app.register_blueprint(shop_coop_bp)
    app.register_blueprint(statements_coop_bp)
    app.register_blueprint(shu_coop_bp)
    app.register_blueprint(portal_views.portal_bp)
    from koppontren.wallet import portal as wallet_portal_pages
    from koppontren.wallet import views as wallet_pages

    app.register_blueprint(wallet_pages.coop_bp)
    app.register_blueprint(wallet_portal_pages.portal_bp)
    register_subledger()
    from koppontren.shop.services import register_party_subledger

    register_party_subledger()
    from koppontren.api import register_api

    register_api(app)
    register_error_handlers(app)
    register_security(app)
    register_template_helpers(app)

    from koppontren.cli import register_commands

    register_commands(app)
    return app


def select_locale() -> str:
    """The user's chosen language, else the one chosen on the login page, else Indonesian."""
    if not has_request_context():
        return "id"
    if current_user.is_authenticated:
        return current_user.locale
    lang = session.get("lang")
    return lang if lang in ("id", "en") else "id"


def _configure_secret(app: Flask) -> None:
    """Production refuses to start without a strong KOPPONTREN_SECRET_KEY; development keeps a
    generated one in the instance folder so sessions survive restarts."""
    key = app.config.get("SECRET_KEY")
    if app.config.get("ENV_NAME") == "production":
        if not key or key.lower() in WEAK_SECRETS or len(key) < 32:
            raise RuntimeError(
                "KOPPONTREN_SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        return
    if not key:
        path = Path(app.instance_path) / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        app.config["SECRET_KEY"] = path.read_text().strip()


def _warn_about_per_process_limits(app: Flask) -> None:
    """The login throttle must count across every worker of a production server; in-memory limits
    count per process (each of N workers would allow the limit again)."""
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if app.config.get("ENV_NAME") == "production" and storage.startswith("memory://"):
        app.logger.warning(
            "Rate limits (the login throttle among them) are counted per worker process: set "
            "KOPPONTREN_RATELIMIT_STORAGE_URL (or KOPPONTREN_REDIS_URL), e.g. redis://127.0.0.1:6379, "
            "so that every worker counts the same failures."
        )


def _psycopg3(uri: str) -> str:
    if uri.startswith("postgresql://") or uri.startswith("postgres://"):
        return "postgresql+psycopg://" + uri.split("://", 1)[1]  # psycopg 3, never psycopg2
    return uri


def _configure_database(app: Flask) -> None:
    """The app's database URL (on PostgreSQL: the ``koppontren_app`` role's, bound by row-level
    security) and the migrations' (``MIGRATE_DATABASE_URI``: the tables' owner; unset, the app's)."""
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = f"sqlite:///{Path(app.instance_path) / 'koppontren.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = uri = _psycopg3(uri)
    if app.config.get("MIGRATE_DATABASE_URI"):
        app.config["MIGRATE_DATABASE_URI"] = _psycopg3(app.config["MIGRATE_DATABASE_URI"])
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _scope_transactions(engine: Engine) -> None:
    """PostgreSQL: every transaction starts with the row-level security settings of the current
    request or command (tenancy.rls)."""
    if engine.dialect.name != "postgresql":
        return
    from koppontren.tenancy.rls import apply_on_begin

    event.listen(engine, "begin", apply_on_begin)


def _ping_after_idle(engine: Engine, seconds: float | None) -> None:
    """A pooled connection that sat idle longer than ``seconds`` is pinged before it is handed out
    (a dead one is replaced: the pool retries the checkout with a new connection). One handed back
    moments ago — the normal case for a busy server — goes out without the ping's round trip, which
    ``pool_pre_ping`` would pay on every request. Should the server vanish under such a connection,
    the request's first statement fails before it wrote anything; SQLAlchemy then replaces every
    connection of the pool, so each worker answers at most one request with an error (the POS
    retries a sale safely with its idempotency key). SQLite files need no ping."""
    if seconds is None or engine.dialect.name == "sqlite":
        return
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info["koppontren_idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        since = record.info.get("koppontren_idle_since")
        if since is None or time.monotonic() - since <= seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as err:  # any failure: let the pool open a new connection
            raise DisconnectionError(f"idle connection failed its ping: {err}") from err


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    """SQLite: WAL journal, foreign keys enforced, and transactions begun by us (see _sqlite_begin)."""

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # let _sqlite_begin emit BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """SQLite ignores SELECT … FOR UPDATE, so writers must serialise from their first statement:
    transactions of requests that may write (POST, PUT, …) and of CLI commands start with
    ``BEGIN IMMEDIATE``; read-only requests (GET, HEAD) use a plain deferred ``BEGIN``."""
    if conn.dialect.name != "sqlite":
        return
    immediate = True
    if has_request_context():
        immediate = request.method not in ("GET", "HEAD", "OPTIONS")
    if conn.get_execution_options().get("koppontren_write"):
        immediate = True
    # straight to the driver: this runs at the start of every transaction, and exec_driver_sql's
    # execution context and result cost more than SQLite takes to begin (errors wrapped as it would)
    try:
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    except sqlite3.Error as err:
        raise DBAPIError.instance("BEGIN IMMEDIATE" if immediate else "BEGIN", None, err, sqlite3.Error) from err


__all__ = ["create_app"]
