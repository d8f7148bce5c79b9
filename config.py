"""Configuration classes, read from environment variables (DESIGN.md §3).

``KOPPONTREN_CONFIG`` picks the class (development, testing, production; default development).
Every other setting comes from a ``KOPPONTREN_*`` variable so that one deployment differs from
another only by its environment.
"""

from __future__ import annotations

import os
from typing import ClassVar


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_bytes(name: str, default: str) -> int:
    """A size in bytes: ``52428800``, or with a unit ``50MB`` / ``50M`` / ``512KB`` / ``1GB`` (powers of 1024)."""
    text = (_env(name, default) or default).strip().upper().removesuffix("B")
    factor = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    if not number.strip().isdigit() or int(number) <= 0:
        raise ValueError(f"{name}={_env(name)!r} is not a size (e.g. 52428800 or 50MB)")
    return int(number) * factor


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    #: None means "SQLite file in the instance folder", resolved in create_app().
    SQLALCHEMY_DATABASE_URI = _env("KOPPONTREN_DATABASE_URL")
    #: PostgreSQL: the app connects as ``koppontren_app`` (owner of nothing, bound by row-level
    #: security); ``koppontren db upgrade`` connects as the tables' owner with this URL (unset: the
    #: app's URL, which must then be the owner's). README: "PostgreSQL".
    MIGRATE_DATABASE_URI = _env("KOPPONTREN_MIGRATE_DATABASE_URL")
    SECRET_KEY = _env("KOPPONTREN_SECRET_KEY")
    #: No ping before every checkout (on PostgreSQL a round trip per request, 2-3 % of a POS sale):
    #: connections are replaced after 30 min, and one that sat idle in the pool longer than
    #: DATABASE_PING_AFTER_IDLE seconds is pinged before use (create_app). See bench/RESULTS.md.
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_recycle": 1800}
    DATABASE_PING_AFTER_IDLE = float(_env("KOPPONTREN_DATABASE_PING_AFTER_IDLE", "10"))
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = _env("KOPPONTREN_TIMEZONE", "Asia/Jakarta")
    LANGUAGES = ("id", "en")

    #: Flask-Limiter storage, shared by every worker: KOPPONTREN_RATELIMIT_STORAGE_URL, else the jobs'
    #: Redis (KOPPONTREN_REDIS_URL); memory:// counts per process (production warns at start).
    RATELIMIT_STORAGE_URI = _env("KOPPONTREN_RATELIMIT_STORAGE_URL") or _env("KOPPONTREN_REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    #: should that storage be unreachable, count in memory meanwhile rather than answer 500
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    #: Failed logins allowed per minute from one client address (past it: 429). Each (login,
    #: address) also waits after each failure, 1 s doubling to 15 minutes (auth.services).
    LOGIN_FAILURE_LIMIT = _env("KOPPONTREN_LOGIN_LIMIT", "30 per minute")
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (nginx: 1). Login
    #: delays and throttles go by the client's address; behind an untrusted proxy every client would
    #: share the proxy's, and a guesser could hold everybody up.
    TRUSTED_PROXIES = int(_env("KOPPONTREN_TRUSTED_PROXIES", "0"))
    #: A session ends after this many minutes without a request, and in any case this many hours
    #: after the login; sensitive actions (reopening a period, approving SHU) ask for the password
    #: again when the last password entry is older than KOPPONTREN_REAUTH_MINUTES.
    SESSION_IDLE_MINUTES = int(_env("KOPPONTREN_SESSION_IDLE_MINUTES", "480"))
    SESSION_MAX_HOURS = int(_env("KOPPONTREN_SESSION_MAX_HOURS", "12"))
    REAUTH_MINUTES = int(_env("KOPPONTREN_REAUTH_MINUTES", "10"))
    #: Redis for background jobs (RQ): long PDFs run on `rq worker koppontren`; unset: a thread in the app.
    REDIS_URL = _env("KOPPONTREN_REDIS_URL")
    JOBS_EAGER = False
    #: JSON API: requests per token, and per address (which also bounds guessing tokens)
    API_RATE_LIMIT = _env("KOPPONTREN_API_LIMIT", "600 per minute")
    API_IP_RATE_LIMIT = _env("KOPPONTREN_API_IP_LIMIT", "1200 per minute")
    #: An Idempotency-Key whose first request never answered (its worker was killed, the power went)
    #: is free again after this many seconds; a retry before then gets 409 in_progress with
    #: Retry-After. Keep it above the WSGI server's request timeout (gunicorn: 30 s).
    API_IDEMPOTENCY_STALE_SECONDS = int(_env("KOPPONTREN_API_IDEMPOTENCY_STALE_SECONDS", "60"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a cashier keeps a form open for a whole shift

    BOOTSTRAP_SERVE_LOCAL = True  # the app must work offline: no CDN
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    #: An import's XLSX (a zip) may hold at most this much once unpacked: checked in its directory
    #: before anything is inflated, and counted while it is read (koppontren/imports.py).
    IMPORT_MAX_UNCOMPRESSED = _env_bytes("KOPPONTREN_IMPORT_MAX_UNCOMPRESSED", "50MB")
    PASSWORD_MIN_LENGTH = 8
    #: argon2id parameters; empty means the library's recommended ones (RFC 9106 low-memory profile).
    PASSWORD_HASH_PARAMS: ClassVar[dict] = {}


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = _env_bool("KOPPONTREN_DEBUG", False)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production-use-0123456789"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = _env("KOPPONTREN_TEST_DATABASE_URL")
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None
    JOBS_EAGER = True  # background documents are made in the request (tests of the thread backend turn it off)
    #: cheap hashing keeps the suite fast; production keeps the recommended cost
    PASSWORD_HASH_PARAMS: ClassVar[dict] = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_class(name: str | None = None) -> type[Config]:
    """The class named by ``name`` or ``KOPPONTREN_CONFIG``; unknown names are an error, not a fallback."""
    name = name or _env("KOPPONTREN_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"KOPPONTREN_CONFIG={name!r} is not one of {', '.join(CONFIGS)}"
        ) from None
