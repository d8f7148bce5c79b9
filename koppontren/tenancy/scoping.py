"""Scoping helpers: every domain query filters on the current cooperative first.

Views and services use these instead of writing ``cooperative_id == …`` by hand, so that a query
which forgets the tenant cannot be written by accident, and an id from a request that belongs to
another cooperative answers 404 — indistinguishable from an id that does not exist.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort, g
from sqlalchemy import Select, select

from koppontren.extensions import db
from koppontren.tenancy.models import Cooperative

M = TypeVar("M")


def current_coop() -> Cooperative:
    """The cooperative resolved from the URL for this request (set by the coop blueprint hook)."""
    coop = g.get("coop")
    if coop is None:
        raise RuntimeError("no current cooperative: this code must run under a /<coop>/ URL")
    return coop


def scoped(model: type[M], coop: Cooperative | None = None) -> Select[tuple[M]]:
    """``select(model)`` limited to one cooperative (the current one by default)."""
    coop = coop or current_coop()
    return select(model).where(model.cooperative_id == coop.id)  # type: ignore[attr-defined]


def get_scoped_or_404(model: type[M], ident: Any, coop: Cooperative | None = None) -> M:
    """Load one row by primary key, 404 unless it belongs to the cooperative."""
    coop = coop or current_coop()
    obj = db.session.scalar(scoped(model, coop).where(model.id == ident))  # type: ignore[attr-defined]
    if obj is None:
        abort(404)
    return obj
