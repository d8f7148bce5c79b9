"""Making the PDF and XLSX files of the reports, and the keys they are cached under.

A document's key names what it shows: the cooperative (and its letterhead), the report, the query
parameters, the language and the head of the cooperative's hash chain — any posting changes the
head, so a cached file is never stale, and an unchanged ledger downloads at once. Long documents
(the RAT pack, a long Buku Besar or Jurnal) are made by ``koppontren.jobs`` in the background.
"""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from koppontren import jobs
from koppontren.extensions import db
from koppontren.ledger.chart import account_by_code
from koppontren.statements import aggregates, registry, render
from koppontren.statements.periods import parse_period
from koppontren.tenancy.models import Cooperative

#: Params that change a document (the rest of a query string is ignored).
PARAMS = ("period", "year", "month", "quarter", "from", "to", "as_of", "comparative", "account", "place", "sign_date", "savings")
RAT_PACK = "rat-pack"
#: Above these a PDF is made in the background (WeasyPrint writes about 2 pages a second here).
BACKGROUND_LINES = 1500
BACKGROUND_ENTRIES = 400


def clean_params(args) -> dict[str, str]:
    return {k: str(args.get(k))[:200] for k in PARAMS if args.get(k) not in (None, "")}


def key(coop: Cooperative, report: str, params: dict, fmt: str, locale: str) -> str:
    return jobs.make_key("statements", 1, coop.id, coop.name, coop.address, coop.legal_number, coop.currency_decimals,
                         report, params, fmt, locale, aggregates.chain_head(coop))


def build(coop: Cooperative, report: str, params: dict, *, page: int | None = None, per_page: int | None = None):
    """The Statement a page or a document shows (raises PeriodError, KeyError). ``page`` and
    ``per_page`` page a paged report (Buku Besar, Jurnal); ``page=None`` gives all of it."""
    period = parse_period(coop, params)
    spec = registry.REPORTS[report]
    extra = {}
    if spec.needs_account:
        account = account_by_code(coop, params.get("account", ""))
        if account is None:
            raise KeyError("account")
        extra["account"] = account
    if spec.paged:
        extra["page"] = page
        if per_page is not None:
            extra["per_page"] = per_page
    if report == "cash-flow" and params.get("savings") == "operating":
        extra["savings_as_operating"] = True
    return registry.build(report, coop, period, comparative=params.get("comparative") == "1", **extra)


def pack_statements(coop: Cooperative, params: dict, progress=None) -> list:
    out = []
    with aggregates.shared_reads():
        for i, name in enumerate(registry.RAT_PACK):
            out.append(build(coop, name, params | {"comparative": "1"} if registry.REPORTS[name].comparative else params))
            if progress:
                progress(0.5 * (i + 1) / len(registry.RAT_PACK))
    return out


def _sign_date(params: dict) -> date | None:
    try:
        return date.fromisoformat(params["sign_date"]) if params.get("sign_date") else None
    except ValueError:
        return None


def make_pdf(progress, *, coop_id: int, report: str, params: dict, locale: str) -> bytes:
    """A job: the PDF of ``report`` (or the RAT pack) for the query ``params``."""
    coop = db.session.get(Cooperative, coop_id)
    with force_locale(locale):
        kw = {"place": params.get("place"), "sign_date": _sign_date(params)}
        if report == RAT_PACK:
            statements = pack_statements(coop, params, progress)
            data = render.pack_pdf(coop, statements, **kw)
        else:
            statement = build(coop, report, params)
            progress(0.3)
            data = render.statement_pdf(coop, statement, **kw)
    progress(1.0)
    return data


def make_xlsx(progress, *, coop_id: int, report: str, params: dict, locale: str) -> bytes:
    coop = db.session.get(Cooperative, coop_id)
    with force_locale(locale):
        statements = pack_statements(coop, params) if report == RAT_PACK else [build(coop, report, params)]
        return render.workbook(coop, statements)


def is_long(coop: Cooperative, report: str, params: dict) -> bool:
    """Whether the PDF goes to the background: the RAT pack always, a Buku Besar or Jurnal when long."""
    if report == RAT_PACK:
        return True
    if report not in ("general-ledger", "journal"):
        return False
    statement = build(coop, report, params, page=1)
    return statement.meta.get("lines", 0) > BACKGROUND_LINES or statement.meta.get("entries", 0) > BACKGROUND_ENTRIES
