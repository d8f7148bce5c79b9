"""The reports pages: the menu, each report on screen with its period picker, prior-year column and
drill-down to the Buku Besar, its PDF and XLSX downloads, the RAT pack and the integrity check.

Every page only reads (GET): nothing here can change data, so the auditor sees all of it.
"""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale

from koppontren import jobs
from koppontren.auth.permissions import permission_required
from koppontren.clock import today
from koppontren.ledger import chart
from koppontren.ledger.fiscal import fiscal_year_of
from koppontren.ledger.integrity import check_cooperative
from koppontren.statements import documents, registry, render
from koppontren.statements.periods import PeriodError, parse_period
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.scoping import current_coop

coop_bp = coop_blueprint("statements", __name__)
MIME = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _locale() -> str:
    loc = get_locale()
    return str(loc.language) if loc else "id"


def _spec_or_404(report: str):
    spec = registry.get(report)
    if spec is None:
        abort(404)
    return spec


def _params() -> dict:
    return documents.clean_params(request.args)


def _period_or_default(coop, params):
    try:
        return parse_period(coop, params), None
    except PeriodError as err:
        return parse_period(coop, {}), str(err.message)


@coop_bp.get("/reports")
@permission_required("reports.view")
def index():
    coop = current_coop()
    period, _error = _period_or_default(coop, {})
    return render_template("statements/index.html", reports=registry.REPORTS.values(), period=period,
                           fiscal_year=fiscal_year_of(today(), coop.fiscal_year_start_month))


@coop_bp.get("/reports/<report>")
@permission_required("reports.view")
def report_page(report: str):
    coop = current_coop()
    spec = _spec_or_404(report)
    params = _params()
    period, error = _period_or_default(coop, params)
    if error:
        flash(error, "danger")
        params = {k: v for k, v in params.items() if k not in ("period", "year", "month", "quarter", "from", "to", "as_of")}
    accounts = chart.accounts(coop, postable_only=True) if spec.needs_account else []
    statement = None
    if spec.needs_account and not params.get("account"):
        pass  # the page asks for an account first
    else:
        try:
            page = max(1, min(int(request.args.get("page", "1") or 1), 100_000)) if spec.paged else None
        except ValueError:
            page = 1
        try:
            statement = documents.build(coop, report, params | {"from": period.date_from.isoformat(), "to": period.date_to.isoformat()},
                                        page=page)
        except KeyError:
            abort(404)
    return render_template("statements/report.html", spec=spec, statement=statement, period=period, params=params,
                           accounts=accounts, fiscal_year=fiscal_year_of(period.date_to, coop.fiscal_year_start_month))


def _send(coop, report: str, statement_name: str, params: dict, fmt: str, data: bytes) -> Response:
    period, _error = _period_or_default(coop, params)
    name = f"{coop.slug}-{statement_name}-{period.date_from.isoformat()}-{period.date_to.isoformat()}.{fmt}"
    disposition = "inline" if fmt == "pdf" else "attachment"
    return Response(data, mimetype=MIME[fmt], headers={"Content-Disposition": f'{disposition}; filename="{name}"',
                                                      "Cache-Control": "private, no-store"})


def _download(report: str, fmt: str):
    coop = current_coop()
    params = _params()
    try:
        parse_period(coop, params)
        if report != documents.RAT_PACK:
            spec = _spec_or_404(report)
            if spec.needs_account and chart.account_by_code(coop, params.get("account", "")) is None:
                abort(404)
    except PeriodError as err:
        flash(str(err.message), "danger")
        return redirect(url_for("statements.index"))
    locale = _locale()
    key = documents.key(coop, report, params, fmt, locale)
    if request.args.get("status"):  # the progress page polling
        return jsonify(jobs.status(key).as_dict())
    if (data := jobs.result(key)) is not None:
        return _send(coop, report, report, params, fmt, data)
    kwargs = {"coop_id": coop.id, "report": report, "params": params, "locale": locale}
    func = "koppontren.statements.documents:make_pdf" if fmt == "pdf" else "koppontren.statements.documents:make_xlsx"
    if fmt == "pdf" and documents.is_long(coop, report, params):
        status = jobs.submit(key, func, kwargs)
        if status.done:
            return _send(coop, report, report, params, fmt, jobs.result(key))
        return render_template("statements/preparing.html", status=status, report=report, params=params)
    maker = documents.make_pdf if fmt == "pdf" else documents.make_xlsx
    data = maker(lambda _f: None, **kwargs)
    jobs.store(key, data)
    return _send(coop, report, report, params, fmt, data)


@coop_bp.get("/reports/rat-pack")
@permission_required("reports.view")
def rat_pack():
    coop = current_coop()
    params = _params()
    period, error = _period_or_default(coop, params or {"period": "year", "year": str(fiscal_year_of(today(), coop.fiscal_year_start_month) - 1)})
    if error:
        flash(error, "danger")
    return render_template("statements/rat_pack.html", period=period, params=params, place=params.get("place", render.default_place(coop)),
                           sections=[registry.REPORTS[n] for n in registry.RAT_PACK],
                           fiscal_year=fiscal_year_of(period.date_to, coop.fiscal_year_start_month))


@coop_bp.get("/reports/rat-pack/pdf")
@permission_required("reports.view")
def rat_pack_pdf():
    return _download(documents.RAT_PACK, "pdf")


@coop_bp.get("/reports/rat-pack/xlsx")
@permission_required("reports.view")
def rat_pack_xlsx():
    return _download(documents.RAT_PACK, "xlsx")


@coop_bp.get("/reports/integrity")
@permission_required("reports.view")
def integrity():
    """The output of ``koppontren check`` for this cooperative, with the date it was run."""
    coop = current_coop()
    report = check_cooperative(coop)
    return render_template("statements/integrity.html", report=report, checked_on=today())


@coop_bp.get("/reports/<report>/pdf")
@permission_required("reports.view")
def report_pdf(report: str):
    _spec_or_404(report)
    return _download(report, "pdf")


@coop_bp.get("/reports/<report>/xlsx")
@permission_required("reports.view")
def report_xlsx(report: str):
    _spec_or_404(report)
    return _download(report, "xlsx")


def period_args(period) -> dict:
    """Query parameters naming exactly ``period`` (drill-down links keep the dates)."""
    return {"from": period.date_from.isoformat(), "to": period.date_to.isoformat()}


@coop_bp.app_template_global("statement_period_args")
def _statement_period_args(period) -> dict:
    return period_args(period)


