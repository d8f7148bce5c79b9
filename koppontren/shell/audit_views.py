"""The cooperative's audit log page and its exports (admins and auditors): who did what, when, from
where — filtered by user, action and dates, paged, and downloadable as CSV and XLSX."""

from __future__ import annotations

from flask import Response, render_template, request, send_file, stream_with_context

from koppontren.auth.permissions import permission_required
from koppontren.shell import audit_log
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.scoping import current_coop

coop_bp = coop_blueprint("audit", __name__)
PER_PAGE = 50


def _filters(coop) -> tuple[audit_log.Filters, dict]:
    """The page's filters from the query string; a wrong one is named and left out (the rest apply)."""
    try:
        return audit_log.parse_filters(coop, request.args), {}
    except audit_log.AuditLogError as err:
        args = {k: v for k, v in request.args.items() if k not in err.fields}
        try:
            return audit_log.parse_filters(coop, args), err.fields
        except audit_log.AuditLogError:
            return audit_log.Filters(), err.fields


@coop_bp.get("/audit")
@permission_required("audit.view")
def log():
    coop = current_coop()
    filters, errors = _filters(coop)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)  # a huge number would overflow SQLite
    total = audit_log.count(coop, filters)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    rows = audit_log.present(coop, audit_log.events(coop, filters, limit=PER_PAGE, offset=(min(page, pages) - 1) * PER_PAGE))
    return render_template("audit/log.html", rows=rows, page=page, pages=pages, total=total, filters=filters, errors=errors,
                           args=filters.args(), raw=request.args, users=audit_log.user_choices(coop), actions=audit_log.action_choices()), \
        (400 if errors else 200)


@coop_bp.get("/audit/export.csv")
@permission_required("audit.view")
def export_csv():
    coop = current_coop()
    filters, errors = _filters(coop)
    if errors:
        return log()
    return Response(stream_with_context(audit_log.csv_lines(coop, filters)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{audit_log.filename(coop, filters, "csv")}"'})


@coop_bp.get("/audit/export.xlsx")
@permission_required("audit.view")
def export_xlsx():
    coop = current_coop()
    filters, errors = _filters(coop)
    if errors:
        return log()
    return send_file(audit_log.xlsx_file(coop, filters), mimetype=audit_log.XLSX_MIME, as_attachment=True,
                     download_name=audit_log.filename(coop, filters, "xlsx"))
