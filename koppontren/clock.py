"""Today's date where the cooperative is (Asia/Jakarta by default), not on the server's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def today() -> date:
    tz = current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta") if has_app_context() else "Asia/Jakarta"
    return datetime.now(ZoneInfo(tz)).date()


def utcnow() -> datetime:
    """The current moment in UTC, for column defaults (``created_at``): not moved by the tests' clock."""
    return datetime.now(UTC)


def now() -> datetime:
    """The current moment, timezone-aware (UTC). Code that measures waiting times reads it here, so
    that tests can move the clock (``monkeypatch.setattr(clock, "now", ...)``)."""
    return datetime.now(UTC)
