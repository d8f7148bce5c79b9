"""The reports (issue 8, ``GET /coops/{coop}/reports/{name}``): every statement and list of
``koppontren.statements`` as JSON (``statements.model.to_json``: amounts as decimal strings, dates
YYYY-MM-DD), PDF or XLSX — the same builders, files and file cache as the pages under
``/<slug>/reports``.

The Buku Besar and the Jurnal Umum are paged in JSON (``?page=&per_page=``, at most 500 lines or
entries a page, ``pagination`` says the total); their PDF and XLSX hold the whole period. Files are
made synchronously here (the pages run long PDFs as background jobs) and cached by cooperative,
report, dates, language and head of the hash chain, so a repeat downloads at once.
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from koppontren import jobs
from koppontren.api.core import PATH_PARAMS, ApiError, Param, file_response, operation, schema
from koppontren.api.schemas import AMOUNT_OUT, DATE, STRING_OR_NULL, obj
from koppontren.ledger.chart import account_by_code
from koppontren.statements import documents, registry
from koppontren.statements.model import ROW_KINDS, to_json
from koppontren.statements.periods import KINDS, parse_period
from koppontren.tenancy.models import Cooperative

#: the names of the contract (issue 8), then the statements module's other reports
CONTRACT = ("trial-balance", "balance-sheet", "income-statement", "equity-changes", "cash-flow", "general-ledger", "journal",
            "member-savings", "arrears")
NAMES = [*CONTRACT, *(n for n in registry.REPORTS if n not in CONTRACT)]
MIME = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

PATH_PARAMS["name"] = ("string", {"type": "string", "enum": NAMES},
                       "Report: " + ", ".join(NAMES) + " (general-ledger needs `account`).")

CELL = {"type": ["string", "integer", "boolean", "null"],
        "description": "As the column's kind: amount a decimal string, date YYYY-MM-DD, number an integer, else text."}
RANGE = obj({"from": DATE, "to": DATE, "kind": {"type": "string", "enum": list(KINDS)}}, ("from", "to"))
STATEMENT = schema("Statement", obj({
    "report": {"type": "string", "enum": NAMES},
    "title": {"type": "string"}, "subtitle": {"type": "string"},
    "period": {**RANGE, "description": "The dates covered; a position (balance-sheet, the lists) is as of `to`."},
    "comparative": {"oneOf": [{"type": "null"}, RANGE], "description": "The prior-year column's dates (`comparative=1`)."},
    "currency_decimals": {"type": "integer"},
    "totals": {"type": "object", "additionalProperties": AMOUNT_OUT,
               "description": "Key figures, e.g. total_assets and total_liabilities_equity of the balance sheet."},
    "sections": {"type": "array", "items": obj({
        "key": {"type": "string"}, "title": {"type": "string"},
        "columns": {"type": "array", "items": obj({
            "key": {"type": "string"}, "label": {"type": "string"},
            "kind": {"type": "string", "enum": ["text", "amount", "date", "number", "code"]}}, ("key", "label", "kind"))},
        "rows": {"type": "array", "items": obj({
            "key": STRING_OR_NULL, "kind": {"type": "string", "enum": list(ROW_KINDS)},
            "code": {**STRING_OR_NULL, "description": "The account the row is (its Buku Besar)."},
            "level": {"type": "integer"}, "values": {"type": "array", "items": CELL, "description": "One per column."},
        }, ("key", "kind", "code", "level", "values"))},
        "note": STRING_OR_NULL,
    }, ("key", "title", "columns", "rows", "note"))},
    "meta": {"type": "object", "additionalProperties": {"type": ["string", "integer", "boolean", "null"]}},
    "pagination": {**obj({"page": {"type": "integer"}, "per_page": {"type": "integer"}, "pages": {"type": "integer"},
                          "total": {"type": "integer"}}, ("page", "per_page", "pages", "total")),
                   "description": "general-ledger (lines) and journal (entries) only."},
}, ("report", "title", "subtitle", "period", "comparative", "currency_decimals", "totals", "sections")))

QUERY = [
    Param("from", "query", {"type": "string", "format": "date"}, "First day (default: start of the fiscal year of `to`)."),
    Param("to", "query", {"type": "string", "format": "date"}, "Last day (default `as_of`, else today)."),
    Param("as_of", "query", {"type": "string", "format": "date"}, "Date of a position (balance-sheet, member-savings, arrears…)."),
    Param("account", "query", {"type": "string", "maxLength": 20}, "Account code: required by general-ledger, ignored elsewhere."),
    Param("comparative", "query", {"type": "string", "enum": ["0", "1", "false", "true"]},
          "A prior-year column (balance-sheet, income-statement, equity-changes, cash-flow)."),
    Param("format", "query", {"type": "string", "enum": ["json", "pdf", "xlsx"], "default": "json"}, "json, pdf or xlsx."),
]


def _params(coop: Cooperative, spec: registry.Report, query: dict) -> dict[str, str]:
    """The statements module's params from the checked query (its PeriodError is a 422 by itself)."""
    params = {k: query[k] for k in ("from", "to", "as_of") if query.get(k)}
    if query.get("comparative") in ("1", "true"):
        params["comparative"] = "1"
    if spec.needs_account:
        code = (query.get("account") or "").strip()
        if not code:
            raise ApiError(422, "validation_error", _l("Buku besar memerlukan akun."), {"account": _l("Wajib diisi.")})
        if account_by_code(coop, code) is None:
            raise ApiError(404, "not_found", _l("Akun %(code)s tidak ada.", code=code), {"account": _l("Tidak ada.")})
        params["account"] = code
    return params


def _locale() -> str:
    loc = get_locale()
    return str(loc.language) if loc else "id"


@operation("GET", "/coops/{coop}/reports/{name}", summary="A financial statement or list (JSON, PDF or XLSX)", tag="reports",
           permission="reports.view", response=STATEMENT, query=QUERY, paginated=True, files=tuple(MIME.values()),
           description="The statements of Permenkop 2/2024 and the RAT lists. `page`/`per_page` page the JSON of general-ledger "
                       "(lines) and journal (entries); PDF and XLSX hold the whole period.")
def get_report(coop: Cooperative, name: str, query: dict):
    spec = registry.REPORTS[name]
    params = _params(coop, spec, query)
    fmt = query.get("format", "json")
    if fmt == "json":
        try:
            statement = documents.build(coop, name, params, page=query["page"] if spec.paged else None,
                                        per_page=query["per_page"] if spec.paged else None)
        except KeyError:  # the account vanished between the check and the build
            raise ApiError(404, "not_found", _l("Tidak ditemukan.")) from None
        out = to_json(statement, coop.currency_decimals)
        if spec.paged:
            meta = statement.meta
            out["pagination"] = {"page": meta["page"], "per_page": meta["per_page"], "pages": meta["pages"],
                                 "total": meta.get("lines", meta.get("entries", 0))}
        return out
    # A file names its dates exactly, so its cache key never outlives "up to today".
    period = parse_period(coop, params)
    params = {k: v for k, v in params.items() if k not in ("as_of",)} | {
        "from": period.date_from.isoformat(), "to": period.date_to.isoformat()}
    locale = _locale()
    key = documents.key(coop, name, params, fmt, locale)
    data = jobs.result(key)
    if data is None:
        maker = documents.make_pdf if fmt == "pdf" else documents.make_xlsx
        data = maker(lambda _f: None, coop_id=coop.id, report=name, params=params, locale=locale)
        jobs.store(key, data)
    filename = f"{coop.slug}-{name}-{period.date_from.isoformat()}-{period.date_to.isoformat()}.{fmt}"
    return file_response(data, filename, MIME[fmt])
