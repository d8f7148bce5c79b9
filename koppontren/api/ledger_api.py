"""The cooperative, its chart of accounts, journal entries, opening balances, periods and the
integrity check — through the ledger's own services (posting, queries, periods, opening, integrity)."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from koppontren.api.core import ApiError, Param, amount, amount_out, as_date, current_key, operation, page_of, paged, schema
from koppontren.api.schemas import (
    AMOUNT,
    AMOUNT_OUT,
    DATE,
    STRING_OR_NULL,
    obj,
    optional,
    text,
)
from koppontren.api.schemas import page_of as page_schema
from koppontren.clock import today
from koppontren.ledger import chart, integrity, opening, periods, posting, queries, subledgers
from koppontren.ledger.errors import LedgerError
from koppontren.tenancy.models import Cooperative

# --- the cooperative -------------------------------------------------------------------------------

COOP = schema("Cooperative", obj({
    "slug": {"type": "string"}, "name": {"type": "string"}, "legal_number": STRING_OR_NULL, "nik_koperasi": STRING_OR_NULL,
    "address": STRING_OR_NULL, "pesantren_name": STRING_OR_NULL, "fiscal_year_start_month": {"type": "integer"},
    "currency_decimals": {"type": "integer"}, "locale": {"type": "string"},
    "books_start": {"type": "string", "format": "date", "description": "Awal pembukuan: no entry may be dated before it."},
    "roles": {"type": "array", "items": {"type": "string"}, "description": "The token's roles in this cooperative."},
}, ("slug", "name", "currency_decimals", "fiscal_year_start_month"), closed=False))


@operation("GET", "/coops/{coop}", summary="The cooperative", tag="cooperative", permission="coop.view", response=COOP)
def get_coop(coop: Cooperative):
    return {"slug": coop.slug, "name": coop.name, "legal_number": coop.legal_number, "nik_koperasi": coop.nik_koperasi,
            "address": coop.address, "pesantren_name": coop.pesantren_name, "fiscal_year_start_month": coop.fiscal_year_start_month,
            "currency_decimals": coop.currency_decimals, "locale": coop.locale, "books_start": coop.books_start.isoformat(),
            "roles": sorted(str(r) for r in g.roles)}


CHECK = schema("IntegrityCheck", obj({
    "ok": {"type": "boolean"},
    "checks": {"type": "array", "items": obj({
        "name": {"type": "string", "description": "Stable English name (what `koppontren check` prints)."},
        "label": {"type": "string", "description": "The check in the token user's language."},
        "ok": {"type": "boolean"}, "detail": {"type": "string", "description": "The problems in English, joined by \"; \"."},
        "problems": {"type": "array", "items": {"type": "string"}, "description": "Each problem in the token user's language."},
    }, ("name", "ok", "detail"), closed=False)},
}, ("ok", "checks"), closed=False))


@operation("GET", "/coops/{coop}/check", summary="The integrity check (koppontren check) as JSON", tag="ledger",
           permission="ledger.view", response=CHECK)
def check(coop: Cooperative):
    report = integrity.check_cooperative(coop)
    return {"ok": report.ok, "checks": [{"name": r.name, "label": str(r.label), "ok": r.ok, "detail": "; ".join(r.problems),
                                         "problems": [str(getattr(p, "message", p)) for p in r.problems]} for r in report.results]}


# --- accounts --------------------------------------------------------------------------------------

ACCOUNT = schema("Account", obj({
    "code": {"type": "string"}, "name": {"type": "string"}, "name_en": {"type": "string"}, "parent": STRING_OR_NULL,
    "type": {"type": "string", "enum": ["asset", "liability", "equity", "revenue", "expense"]},
    "normal_balance": {"type": "string", "enum": ["debit", "credit"]}, "postable": {"type": "boolean"}, "active": {"type": "boolean"},
    "role": STRING_OR_NULL, "subledger": STRING_OR_NULL,
    "balance": {**AMOUNT_OUT, "description": "On the account's normal side as of `as_of` (default today); a header sums its subtree."},
    "as_of": DATE,
}, ("code", "name", "type", "normal_balance", "postable", "balance"), closed=False))
AS_OF = Param("as_of", "query", {"type": "string", "format": "date"}, "Balance as of this date (default today).")


def _account_rows(coop: Cooperative, as_of):
    return {row.account.code: row for row in queries.chart_tree(coop, as_of)}


def _account_json(coop: Cooperative, account, balance_sen: int, codes_by_id: dict[int, str], as_of) -> dict:
    return {"code": account.code, "name": account.name_id, "name_en": account.name_en, "parent": codes_by_id.get(account.parent_id),
            "type": account.type, "normal_balance": account.normal_balance, "postable": account.postable, "active": account.active,
            "role": account.role, "subledger": account.subledger, "balance": amount_out(coop, balance_sen), "as_of": as_of.isoformat()}


@operation("GET", "/coops/{coop}/accounts", summary="The chart of accounts with balances", tag="ledger", permission="ledger.view",
           response=page_schema(ACCOUNT), query=[AS_OF], paginated=True)
def list_accounts(coop: Cooperative, query: dict):
    as_of = as_date(query.get("as_of"), "as_of") or today()
    rows = queries.chart_tree(coop, as_of)
    codes = {row.account.id: row.account.code for row in rows}
    page, meta = page_of(rows, query)
    return {"items": [_account_json(coop, r.account, r.balance, codes, as_of) for r in page], **meta}


@operation("GET", "/coops/{coop}/accounts/{code}", summary="One account and its balance", tag="ledger", permission="ledger.view",
           response=ACCOUNT, query=[AS_OF])
def get_account(coop: Cooperative, code: str, query: dict):
    as_of = as_date(query.get("as_of"), "as_of") or today()
    rows = queries.chart_tree(coop, as_of)
    row = next((r for r in rows if r.account.code == code), None)
    if row is None:
        raise ApiError(404, "not_found", _l("Akun %(code)s tidak ada.", code=code))
    return _account_json(coop, row.account, row.balance, {r.account.id: r.account.code for r in rows}, as_of)


# --- journal entries -------------------------------------------------------------------------------

LINE_IN = obj({
    "account": text(20, 1), "debit": optional(AMOUNT), "credit": optional(AMOUNT), "member": optional(text(30, 1)), "party": optional(text(30, 1)),
    "memo": optional(text(200)),
}, ("account",), description="Exactly one of debit and credit above zero.")
ENTRY_IN = schema("JournalEntryInput", obj({
    "date": DATE, "description": text(500, 1), "journal_type": {"type": "string", "enum": list(posting.MANUAL_JOURNAL_TYPES)},
    "reference": optional(text(100)), "lines": {"type": "array", "items": LINE_IN, "minItems": 2, "maxItems": 500},
}, ("date", "description", "lines")))
LINE_OUT = obj({
    "line_no": {"type": "integer"}, "account": {"type": "string"}, "debit": AMOUNT_OUT, "credit": AMOUNT_OUT,
    "member": STRING_OR_NULL, "party": STRING_OR_NULL, "memo": STRING_OR_NULL,
}, ("line_no", "account", "debit", "credit"), closed=False)
ENTRY = schema("JournalEntry", obj({
    "number": {"type": "string"}, "date": DATE, "journal_type": {"type": "string"}, "fiscal_year": {"type": "integer"},
    "description": {"type": "string"}, "reference": STRING_OR_NULL, "source": {"type": "string"}, "total": AMOUNT_OUT,
    "reverses": STRING_OR_NULL, "reversed_by": STRING_OR_NULL, "lines": {"type": "array", "items": LINE_OUT},
}, ("number", "date", "journal_type", "description", "total", "lines"), closed=False))
ENTRY_SUMMARY = obj({
    "number": {"type": "string"}, "date": DATE, "journal_type": {"type": "string"}, "description": {"type": "string"},
    "reference": STRING_OR_NULL, "source": {"type": "string"}, "total": AMOUNT_OUT, "reverses": STRING_OR_NULL,
    "reversed_by": STRING_OR_NULL,
}, ("number", "date", "journal_type", "total"), closed=False)


def _labels(coop: Cooperative, kind: str, ids) -> dict[int, str]:
    """id -> member number / party code, through the subledger plug-ins."""
    plugin = subledgers.get(kind)
    ids = {i for i in ids if i is not None}
    if plugin is None or not ids:
        return {}
    return {i: (plugin.label(coop.id, i) if plugin.label else str(i)).split(" ", 1)[0] for i in ids}


def _numbers_of(coop: Cooperative, ids) -> dict[int, str]:
    out = {}
    for i in {i for i in ids if i is not None}:
        e = queries.get_entry(coop, i)
        if e is not None:
            out[i] = e.number
    return out


def entry_summary(coop: Cooperative, entry, numbers: dict[int, str]) -> dict:
    return {"number": entry.number, "date": entry.entry_date.isoformat(), "journal_type": entry.journal_type,
            "fiscal_year": entry.fiscal_year, "description": entry.description, "reference": entry.reference, "source": entry.source,
            "total": amount_out(coop, entry.total), "reverses": numbers.get(entry.reverses_id),
            "reversed_by": numbers.get(entry.reversed_by_id)}


def entry_json(coop: Cooperative, entry) -> dict:
    lines = sorted(entry.lines, key=lambda ln: ln.line_no)
    codes = {a.id: a.code for a in chart.accounts(coop)}
    members = _labels(coop, "member", (ln.member_id for ln in lines))
    parties = _labels(coop, "party", (ln.party_id for ln in lines))
    out = entry_summary(coop, entry, _numbers_of(coop, (entry.reverses_id, entry.reversed_by_id)))
    out["lines"] = [{"line_no": ln.line_no, "account": codes.get(ln.account_id, ""), "debit": amount_out(coop, ln.debit),
                     "credit": amount_out(coop, ln.credit), "member": members.get(ln.member_id), "party": parties.get(ln.party_id),
                     "memo": ln.memo} for ln in lines]
    return out


def _subledger_id(coop: Cooperative, kind: str, value: str | None, field_name: str) -> int | None:
    if value is None:
        return None
    plugin = subledgers.get(kind)
    found = plugin.by_number(coop.id, value) if plugin is not None else None
    if found is None:
        message = _l("Anggota %(n)s tidak ada.", n=value) if kind == "member" else _l("Pemasok/pelanggan %(n)s tidak ada.", n=value)
        raise ApiError(422, "unknown_" + kind, message, {field_name: message})
    return found


def _line_specs(coop: Cooperative, lines: list[dict]) -> list[posting.LineSpec]:
    specs = []
    for n, line in enumerate(lines, start=1):
        debit = amount(coop, line["debit"], f"lines.{n}.debit", allow_zero=True) if line.get("debit") is not None else 0
        credit = amount(coop, line["credit"], f"lines.{n}.credit", allow_zero=True) if line.get("credit") is not None else 0
        specs.append(posting.LineSpec(line["account"], debit=debit, credit=credit,
                                      member_id=_subledger_id(coop, "member", line.get("member"), f"lines.{n}.member"),
                                      party_id=_subledger_id(coop, "party", line.get("party"), f"lines.{n}.party"),
                                      memo=(line.get("memo") or "").strip() or None))
    return specs


@operation("POST", "/coops/{coop}/journal-entries", summary="Post a manual journal entry (JU, KM or KK)", tag="ledger",
           permission="ledger.post", body=ENTRY_IN, response=ENTRY, status=201, idempotent=True)
def post_journal_entry(coop: Cooperative, body: dict):
    entry = posting.post_entry(coop, entry_date=as_date(body["date"]), description=body["description"], lines=_line_specs(coop, body["lines"]),
                               journal_type=body.get("journal_type") or "JU", reference=body.get("reference"),
                               idempotency_key=current_key(), actor=g.api_user)
    return entry_json(coop, entry), 201


JOURNAL_FILTERS = [
    Param("from", "query", {"type": "string", "format": "date"}, "Entries dated on or after."),
    Param("to", "query", {"type": "string", "format": "date"}, "Entries dated on or before."),
    Param("account", "query", {"type": "string", "maxLength": 20}, "Only entries with a line on this account code."),
    Param("member", "query", {"type": "string", "maxLength": 30}, "Only entries with a line naming this member number."),
    Param("type", "query", {"type": "string", "enum": list(posting.JOURNAL_TYPES)}, "Journal type."),
]


@operation("GET", "/coops/{coop}/journal-entries", summary="Journal entries, newest first", tag="ledger", permission="ledger.view",
           query=JOURNAL_FILTERS, paginated=True, response=page_schema(ENTRY_SUMMARY))
def list_journal_entries(coop: Cooperative, query: dict):
    account_id = member_id = None
    if query.get("account"):
        account = chart.account_by_code(coop, query["account"])
        if account is None:
            raise ApiError(422, "unknown_account", _l("Akun %(code)s tidak ada.", code=query["account"]), {"account": _l("Tidak ada.")})
        account_id = account.id
    if query.get("member"):
        member_id = _subledger_id(coop, "member", query["member"], "member")
    entries, total = queries.search_entries(coop, queries.JournalFilter(
        date_from=as_date(query.get("from"), "from"), date_to=as_date(query.get("to"), "to"), journal_type=query.get("type"),
        account_id=account_id, member_id=member_id), query["page"], query["per_page"])
    numbers = _numbers_of(coop, [i for e in entries for i in (e.reverses_id, e.reversed_by_id)])
    return paged([entry_summary(coop, e, numbers) for e in entries], total, query)


def _entry_or_404(coop: Cooperative, number: str):
    entry = queries.get_entry_by_number(coop, number)
    if entry is None:
        raise ApiError(404, "not_found", _l("Jurnal %(n)s tidak ada.", n=number))
    return entry


@operation("GET", "/coops/{coop}/journal-entries/{number}", summary="One journal entry with its lines", tag="ledger",
           permission="ledger.view", response=ENTRY)
def get_journal_entry(coop: Cooperative, number: str):
    return entry_json(coop, _entry_or_404(coop, number))


REVERSE_IN = schema("ReverseInput", obj({"date": DATE, "description": optional(text(500))}, ("date",)))


@operation("POST", "/coops/{coop}/journal-entries/{number}/reverse", summary="Reverse an entry (posts its mirror)", tag="ledger",
           permission="ledger.post", body=REVERSE_IN, response=ENTRY, status=201, idempotent=True)
def reverse_journal_entry(coop: Cooperative, number: str, body: dict):
    entry = _entry_or_404(coop, number)
    reversal = posting.reverse(coop, entry, entry_date=as_date(body["date"]), description=(body.get("description") or "").strip() or None,
                               actor=g.api_user, idempotency_key=current_key())
    return entry_json(coop, reversal), 201


# --- opening balances ------------------------------------------------------------------------------

OPENING_IN = schema("OpeningBalancesInput", obj({
    "date": DATE,
    "lines": {"type": "array", "minItems": 2, "maxItems": opening.MAX_ROWS, "items": obj({
        "account": text(20, 1), "debit": optional(AMOUNT), "credit": optional(AMOUNT), "member": optional(text(30, 1))}, ("account",))},
}, ("date", "lines"), description="As the opening-balance import: one line per account (and member), exactly one of debit/credit."))


@operation("POST", "/coops/{coop}/opening-balances", summary="Post the opening balances (saldo awal), once", tag="ledger",
           permission="ledger.post", body=OPENING_IN, response=ENTRY, status=201, idempotent=True)
def post_opening_balances(coop: Cooperative, body: dict):
    day = as_date(body["date"])
    rows: list[list[object]] = [["account", "debit", "credit", "member"]]
    for n, line in enumerate(body["lines"], start=1):
        rows.append([line["account"],
                     amount(coop, line["debit"], f"lines.{n}.debit", allow_zero=True) if line.get("debit") is not None else None,
                     amount(coop, line["credit"], f"lines.{n}.credit", allow_zero=True) if line.get("credit") is not None else None,
                     line.get("member")])
    if opening.existing_opening(coop) is not None:
        raise LedgerError("opening_exists", _l("Saldo awal sudah pernah dimasukkan; balik dulu jurnal saldo awal untuk menggantinya."))
    try:
        plan = opening.plan_from_rows(coop, rows)
    except opening.OpeningImportError as err:
        fields = {}
        for p in err.problems:
            where = f"lines.{p.row - 1}.{p.column}" if p.row >= 2 and p.column != "-" else "lines"
            fields.setdefault(where, p.problem)
        raise ApiError(422, "invalid_lines", err.message, fields) from None
    entry = opening.post_opening(coop, plan, entry_date=day, actor=g.api_user)
    return entry_json(coop, entry), 201


# --- periods ---------------------------------------------------------------------------------------

PERIOD = schema("Period", obj({"year": {"type": "integer"}, "month": {"type": "integer"}, "closed": {"type": "boolean"}},
                              ("year", "month", "closed"), closed=False))
REOPEN_IN = schema("ReopenInput", obj({"reason": text(300, 1)}, description="Why the month is reopened (audited)."))
YEAR_CLOSE = schema("YearClose", obj({"fiscal_year": {"type": "integer"}, "closed": {"type": "boolean"},
                                      "closing_entry": STRING_OR_NULL}, ("fiscal_year", "closed", "closing_entry"), closed=False))
EMPTY_IN = obj({})


@operation("POST", "/coops/{coop}/periods/{year}/{month}/close", summary="Close a month (entries dated in it are refused)",
           tag="periods", permission="periods.manage", response=PERIOD, idempotent=True)
def close_period(coop: Cooperative, year: int, month: int):
    periods.close_month(coop, year, month, actor=g.api_user)
    return {"year": year, "month": month, "closed": True}


@operation("POST", "/coops/{coop}/periods/{year}/{month}/reopen", summary="Reopen a closed month (audited)", tag="periods",
           permission="periods.manage", body=REOPEN_IN, response=PERIOD, idempotent=True)
def reopen_period(coop: Cooperative, year: int, month: int, body: dict):
    periods.reopen_month(coop, year, month, actor=g.api_user, reason=(body.get("reason") or "").strip() or "Dibuka lewat API")
    return {"year": year, "month": month, "closed": False}


@operation("POST", "/coops/{coop}/years/{year}/close", summary="Close a fiscal year (posts the closing entry PN)", tag="periods",
           permission="periods.manage", response=YEAR_CLOSE, idempotent=True)
def close_year(coop: Cooperative, year: int):
    entry = periods.close_year(coop, year, actor=g.api_user)
    return {"fiscal_year": year, "closed": True, "closing_entry": entry.number if entry is not None else None}

