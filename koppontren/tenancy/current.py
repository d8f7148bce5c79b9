"""Resolving the current cooperative from the URL and checking the user's role in it.

Every page of a cooperative lives under ``/<coop_slug>/…``. Blueprints made with
:func:`coop_blueprint` resolve the slug, require a login, and answer 404 unless the user holds a
role in that cooperative — a user of cooperative A cannot even learn that a page of B exists.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from koppontren.auth.permissions import load_roles
from koppontren.extensions import db
from koppontren.tenancy import rls
from koppontren.tenancy.models import Cooperative


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
    rls.use_cooperative(coop.id)  # from here on the database shows this cooperative's rows only
    load_roles(coop, roles)
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
