"""Start page, health check and language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, send_from_directory, session, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from koppontren.auth import services as auth_services
from koppontren.auth.permissions import public
from koppontren.extensions import db, limiter
from koppontren.site.safety import safe_next

bp = Blueprint("site", __name__)


@bp.get("/")
@public
def index():
    """Anonymous → login; one cooperative → its dashboard; several → a choice; operator → platform."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    coops = auth_services.cooperatives_of(current_user)
    if len(coops) == 1 and not current_user.is_operator:
        return redirect(url_for("tenancy.dashboard", coop_slug=coops[0][0].slug))
    if not coops and current_user.is_operator:
        return redirect(url_for("platform.coops"))
    return render_template("site/index.html", coops=coops)


@bp.get("/healthz")
@public
@limiter.exempt
def healthz():
    """200 ``{"status": "ok", "database": "ok"}``; 503 when the database does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/favicon.ico")
@public
@limiter.exempt
def favicon():
    """Browsers ask every site for /favicon.ico: a file, cached for a day, not a 404 on every page."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)


@bp.post("/language")
@public
def set_language():
    """Switch the interface language; saved on the account when logged in, else in the session."""
    lang = request.form.get("lang", "")
    if lang in ("id", "en"):
        session["lang"] = lang
        if current_user.is_authenticated:
            auth_services.set_locale(current_user, lang)
    return redirect(safe_next(request.form.get("next")) or url_for("site.index"))

