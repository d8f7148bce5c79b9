"""Resolving the current cooperative from the URL and checking the user's role in it.

Every page of a cooperative lives under ``/<coop_slug>/…``. Blueprints made with
:func:`coop_blueprint` resolve the slug, require a login, and answer 404 unless the user holds a
role in that cooperative — a user of cooperative A cannot even learn that a page of B exists.

Who holds which role is the auth package's to say (it sits above tenancy): it plugs its check in
with :func:`set_role_loader` through its wiring. Until then every cooperative page refuses to
answer (a RuntimeError, never an unchecked page).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from koppontren.extensions import db
from koppontren.tenancy.models import Cooperative

#: (name, fn): fn(coop, roles already read in this request or None) keeps the user's roles there on
#: ``g`` and aborts 404 when there are none
_role_loader: tuple[str, Callable] | None = None


def set_role_loader(name: str, fn: Callable) -> None:
    """The one check of the user's roles in the cooperative a page belongs to (registering again replaces it)."""
    global _role_loader
    _role_loader = (name, fn)


def role_loader_name() -> str | None:
    return _role_loader[0] if _role_loader else None


def coop_by_slug(slug: str) -> Cooperative | None:
    return db.session.scalar(select(Cooperative).where(Cooperative.slug == slug))


def _pull_slug(endpoint: str | None, values: dict | None) -> None:
    g.coop_slug = (values or {}).pop("coop_slug", None)


def _add_slug(endpoint: str, values: dict) -> None:
    coop = g.get("coop")
    if coop is not None and "coop_slug" not in values:
        values["coop_slug"] = coop.slug


def _resolve_coop():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    slug = g.coop_slug or ""
    prefetched = g.pop("coop_prefetch", None)  # (request, user id, slug, coop, roles): the user loader's one query
    if (prefetched is not None and prefetched[0] is request._get_current_object() and prefetched[1] == current_user.id
            and prefetched[2] == slug):
        coop, roles = prefetched[3], prefetched[4]
    else:
        coop, roles = coop_by_slug(slug), None
    if coop is None:
        abort(404)
    if _role_loader is None:
        raise RuntimeError("no role check is wired for cooperative pages (koppontren.wiring.wire())")
    _role_loader[1](coop, roles)
    g.coop = coop
    return None


def coop_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint whose routes live under ``/<coop_slug>`` and are guarded by tenancy and roles.

    Every view on it must also carry ``@permission_required(...)`` (a test checks this).
    """
    bp = Blueprint(name, import_name, url_prefix="/<coop_slug>")
    bp.url_value_preprocessor(_pull_slug)
    bp.url_defaults(_add_slug)
    bp.before_request(_resolve_coop)
    return bp
