"""Today's date where the cooperative is (Asia/Jakarta by default), not on the server's clock."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def today() -> date:
    tz = current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta") if has_app_context() else "Asia/Jakarta"
    return datetime.now(ZoneInfo(tz)).date()
