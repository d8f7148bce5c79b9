"""Template helpers: money and date formats in the user's language, permission checks, navigation."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, g
from flask_babel import format_date, format_datetime

from koppontren.audit.services import action_label
from koppontren.auth.forms import ROLE_LABELS
from koppontren.auth.models import Role
from koppontren.auth.permissions import can
from koppontren.site.formats import idr, idr_sen, reader_language, sen
from koppontren.tenancy.forms import MONTHS


def has_endpoint(name: str) -> bool:
    """Whether a page exists (links to optional modules' pages)."""
    return name in current_app.view_functions


def long_date(value: date | datetime | None) -> str:
    """``22 November 2026`` in Indonesian, ``22 November 2026`` in English."""
    if value is None:
        return ""
    return format_date(value, "d MMMM y")


def short_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, "dd/MM/y HH:mm")


def role_label(role) -> str:
    return str(ROLE_LABELS[Role(role)])


def month_name(month: int) -> str:
    return str(MONTHS[month])


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["idr"] = idr
    app.jinja_env.filters["sen"] = sen
    app.jinja_env.filters["idr_sen"] = idr_sen
    app.jinja_env.globals["has_endpoint"] = has_endpoint
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["short_datetime"] = short_datetime
    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.filters["audit_action"] = action_label

    @app.context_processor
    def inject():
        return {"can": can, "role_label": role_label, "month_name": month_name, "current_coop": g.get("coop"), "current_roles": g.get("roles") or frozenset(),
                "current_locale": reader_language()}
