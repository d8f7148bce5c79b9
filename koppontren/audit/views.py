"""The cooperative's audit log page (admins and auditors)."""

from __future__ import annotations

from flask import render_template, request

from koppontren.audit import services
from koppontren.auth.permissions import permission_required
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.scoping import current_coop

coop_bp = coop_blueprint("audit", __name__)
PER_PAGE = 50


@coop_bp.get("/audit")
@permission_required("audit.view")
def log():
    coop = current_coop()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)  # a huge number would overflow SQLite
    total = services.count(coop)
    events = services.recent(coop, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render_template("audit/log.html", events=events, page=page, pages=pages, total=total)
