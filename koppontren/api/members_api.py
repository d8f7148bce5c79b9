"""Members and their savings — through members.services and savings.services, as the pages use them."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from koppontren.api.core import ApiError, Param, amount, amount_out, as_date, current_key, operation, page_of, paged, schema
from koppontren.api.schemas import (
    AMOUNT,
    AMOUNT_OUT,
    DATE,
    DATE_OR_NULL,
    METHOD,
    MONTH,
    STRING_OR_NULL,
    obj,
    optional,
    text,
)
from koppontren.api.schemas import page_of as page_schema
from koppontren.auth.permissions import can
from koppontren.clock import today
from koppontren.ledger import chart
from koppontren.members import services as members
from koppontren.members.models import CATEGORIES, GENDERS, STATUSES
from koppontren.savings import services as savings
from koppontren.tenancy.models import Cooperative

MEMBER_PATH = {"number": "member"}
MEMBER_FIELDS = {
    "name": text(200, 1), "category": {"type": "string", "enum": list(CATEGORIES)}, "join_date": DATE,
    "nik": optional(text(40)), "gender": optional({"type": "string", "enum": list(GENDERS)}), "birth_date": optional(DATE),
    "phone": optional(text(30)), "address": optional(text(1000)),
}
MEMBER_IN = schema("MemberInput", obj({**MEMBER_FIELDS, "number": optional(text(30))}, ("name", "category", "join_date")))
MEMBER_PATCH = schema("MemberPatch", obj(MEMBER_FIELDS, description="Only the fields given change; the number and status do not."))
MEMBER = schema("Member", obj({
    "number": {"type": "string"}, "name": {"type": "string"}, "category": {"type": "string"}, "join_date": DATE,
    "status": {"type": "string", "enum": list(STATUSES)}, "exit_date": DATE_OR_NULL, "exit_reason": STRING_OR_NULL,
    "nik": {**STRING_OR_NULL, "description": "Masked (…1234) unless the token's role may see NIKs (admin)."},
    "gender": STRING_OR_NULL, "birth_date": DATE_OR_NULL, "phone": STRING_OR_NULL, "address": STRING_OR_NULL,
}, ("number", "name", "category", "join_date", "status"), closed=False))


def member_json(m) -> dict:
    return {"number": m.number, "name": m.name, "category": m.category, "join_date": m.join_date.isoformat(), "status": m.status,
            "exit_date": m.exit_date.isoformat() if m.exit_date else None, "exit_reason": m.exit_reason,
            "nik": m.nik if can("members.nik") or not m.nik else members.mask_nik(m.nik), "gender": m.gender,
            "birth_date": m.birth_date.isoformat() if m.birth_date else None, "phone": m.phone, "address": m.address}


def member_or_404(coop: Cooperative, number: str):
    member = members.get_by_number(coop, number)
    if member is None:
        raise ApiError(404, "not_found", _l("Anggota %(n)s tidak ada.", n=number))
    return member


def _data(body: dict, base=None) -> members.MemberData:
    def pick(name):
        if name in body:
            return body[name]
        return getattr(base, name) if base is not None else None

    def day(name):
        value = pick(name)
        return as_date(value, name) if isinstance(value, str) else value

    return members.MemberData(name=pick("name"), category=pick("category"), join_date=day("join_date"), nik=pick("nik"),
                              gender=pick("gender"), birth_date=day("birth_date"), phone=pick("phone"), address=pick("address"),
                              number=body.get("number") if base is None else base.number)


MEMBER_FILTERS = [
    Param("q", "query", {"type": "string", "maxLength": 100}, "Name, number or phone contains."),
    Param("category", "query", {"type": "string", "enum": list(CATEGORIES)}),
    Param("status", "query", {"type": "string", "enum": list(STATUSES)}),
]


@operation("GET", "/coops/{coop}/members", summary="The register of members", tag="members", permission="members.view",
           query=MEMBER_FILTERS, paginated=True, response=page_schema(MEMBER))
def list_members(coop: Cooperative, query: dict):
    rows, total = members.search(coop, text=query.get("q"), category=query.get("category"), status=query.get("status"),
                                 page=query["page"], per_page=query["per_page"], nik_substring=can("members.nik"))
    return paged([member_json(m) for m in rows], total, query)


@operation("POST", "/coops/{coop}/members", summary="Register a member (the number is assigned when absent)", tag="members",
           permission="members.manage", body=MEMBER_IN, response=MEMBER, status=201, idempotent=True)
def create_member(coop: Cooperative, body: dict):
    member = members.register_member(coop, _data(body), actor=g.api_user)
    return member_json(member), 201


@operation("GET", "/coops/{coop}/members/{number}", aliases=MEMBER_PATH, summary="One member", tag="members", permission="members.view", response=MEMBER)
def get_member(coop: Cooperative, number: str):
    return member_json(member_or_404(coop, number))


@operation("PATCH", "/coops/{coop}/members/{number}", aliases=MEMBER_PATH, summary="Change a member's details", tag="members", permission="members.manage",
           body=MEMBER_PATCH, response=MEMBER)
def patch_member(coop: Cooperative, number: str, body: dict):
    found = member_or_404(coop, number)
    return member_json(members.update_member(coop, found, _data(body, found), actor=g.api_user))


EXIT_IN = schema("MemberExitInput", obj({
    "date": DATE, "reason": text(500, 1), "status": {"type": "string", "enum": ["keluar", "meninggal"]},
    "settlement_date": optional(DATE), "net_receivables": {"type": "boolean"}, "method": METHOD,
}, ("date", "reason")))
EXIT = schema("MemberExit", obj({
    "member": MEMBER, "payout": AMOUNT_OUT, "netted": AMOUNT_OUT,
    "entries": {"type": "array", "items": {"type": "string"}, "description": "Voucher numbers posted by the exit."},
}, ("member", "payout", "netted", "entries"), closed=False))


def method_account(coop: Cooperative, method: str | None) -> int | None:
    """cash: the module's default cash account; bank: the cooperative's bank account."""
    return chart.account_for(coop, "bank").id if method == "bank" else None


@operation("POST", "/coops/{coop}/members/{number}/exit", aliases=MEMBER_PATH, summary="A member leaves: savings reclassified and settled", tag="members",
           permission="savings.exit", body=EXIT_IN, response=EXIT, idempotent=True)
def exit_member(coop: Cooperative, number: str, body: dict):
    found = member_or_404(coop, number)
    result = savings.exit_member(coop, found, effective_date=as_date(body["date"]), status=body.get("status") or "keluar",
                                 reason=body["reason"], net_receivables=bool(body.get("net_receivables")),
                                 settlement_date=as_date(body.get("settlement_date"), "settlement_date"),
                                 account_id=method_account(coop, body.get("method")), actor=g.api_user)
    entries = [e.number for e in (result.reclassification, result.settlement) if e is not None]
    if result.sukarela is not None:
        entries.append(result.sukarela.voucher)
    found = member_or_404(coop, number)
    return {"member": member_json(found), "payout": amount_out(coop, result.payout + (result.sukarela.amount if result.sukarela else 0)),
            "netted": amount_out(coop, result.netted), "entries": entries}


# --- savings ----------------------------------------------------------------------------------------

SAVINGS = schema("MemberSavings", obj({
    "member": {"type": "string"}, "as_of": DATE, "pokok": AMOUNT_OUT, "wajib": AMOUNT_OUT, "sukarela": AMOUNT_OUT, "total": AMOUNT_OUT,
    "arrears": obj({"months": {"type": "array", "items": MONTH}, "count": {"type": "integer"}, "monthly": AMOUNT_OUT,
                    "amount": AMOUNT_OUT}, ("months", "count", "monthly", "amount"), closed=False),
}, ("member", "pokok", "wajib", "sukarela", "arrears"), closed=False))


@operation("GET", "/coops/{coop}/members/{number}/savings", aliases=MEMBER_PATH, summary="Balances of pokok, wajib, sukarela and the wajib arrears",
           tag="savings", permission="members.view", response=SAVINGS,
           query=[Param("as_of", "query", {"type": "string", "format": "date"}, "As of this date (default today).")])
def member_savings(coop: Cooperative, number: str, query: dict):
    found = member_or_404(coop, number)
    as_of = as_date(query.get("as_of"), "as_of") or today()
    b = savings.balances(coop, found.id, as_of=as_of)
    arrears = savings.arrears(coop, found, as_of=as_of)
    return {"member": found.number, "as_of": as_of.isoformat(), "pokok": amount_out(coop, b.pokok), "wajib": amount_out(coop, b.wajib),
            "sukarela": amount_out(coop, b.sukarela), "total": amount_out(coop, b.savings_total),
            "arrears": {"months": [savings.month_key(m) for m in arrears.months], "count": arrears.count,
                        "monthly": amount_out(coop, arrears.monthly), "amount": amount_out(coop, arrears.amount)}}


MOVE_IN = schema("SavingsMoveInput", obj({
    "date": DATE, "amount": optional(AMOUNT), "method": METHOD,
    "months": optional({"type": "array", "items": MONTH, "minItems": 1, "maxItems": 120,
                        "description": "wajib only: the months paid (with an amount, it must equal months × the monthly rate)."}),
    "note": optional(text(150)),
}, ("date", "method"), description="pokok: amount optional (must equal the cooperative's pokok); wajib: months or amount "
                                    "(n × the monthly rate); sukarela: amount."))
TRANSACTION = schema("SavingsTransaction", obj({
    "id": {"type": "integer"}, "number": {"type": "string"}, "member": {"type": "string"}, "kind": {"type": "string"},
    "direction": {"type": "string", "enum": ["deposit", "withdrawal"]}, "date": DATE, "amount": AMOUNT_OUT,
    "months": {"type": "array", "items": MONTH}, "description": {"type": "string"},
}, ("id", "number", "kind", "direction", "date", "amount"), closed=False))


def transaction_json(coop: Cooperative, tx, number: str) -> dict:
    return {"id": tx.id, "number": tx.voucher, "member": number, "kind": tx.kind, "direction": tx.direction, "date": tx.tx_date.isoformat(),
            "amount": amount_out(coop, tx.amount), "months": [savings.month_key(m) for m in savings.tx_months(tx)],
            "description": tx.description}


def _months(body: dict) -> list | None:
    if body.get("months") is None:
        return None
    return [savings.parse_month(m) for m in body["months"]]


@operation("POST", "/coops/{coop}/members/{number}/savings/{kind}/deposits", aliases=MEMBER_PATH, summary="Record a deposit (setoran)", tag="savings",
           permission="savings.record", body=MOVE_IN, response=TRANSACTION, status=201, idempotent=True)
def deposit(coop: Cooperative, number: str, kind: str, body: dict):
    found = member_or_404(coop, number)
    if kind != "wajib" and body.get("months") is not None:
        raise ApiError(422, "validation_error", _l("Bulan hanya untuk simpanan wajib."), {"months": _l("Hanya untuk wajib.")})
    value = amount(coop, body["amount"], "amount") if body.get("amount") is not None else None
    if kind == "sukarela" and value is None:
        raise ApiError(422, "validation_error", _l("Isi jumlahnya."), {"amount": _l("Wajib diisi.")})
    if kind == "wajib" and value is None and body.get("months") is None:
        raise ApiError(422, "validation_error", _l("Isi bulan atau jumlahnya."), {"months": _l("Wajib diisi.")})
    tx = savings.deposit(coop, found, kind, amount=value, months=_months(body), day=as_date(body["date"]),
                         account_id=method_account(coop, body["method"]), actor=g.api_user, idempotency_key=current_key(),
                         note=body.get("note"))
    return transaction_json(coop, tx, found.number), 201


WITHDRAW_IN = schema("SavingsWithdrawalInput", obj({"date": DATE, "amount": AMOUNT, "method": METHOD, "note": optional(text(150))},
                                                   ("date", "amount", "method"),
                                                   description="sukarela only; pokok and wajib leave through the exit."))


@operation("POST", "/coops/{coop}/members/{number}/savings/{kind}/withdrawals", aliases=MEMBER_PATH, summary="Record a withdrawal (penarikan)",
           tag="savings", permission="savings.record", body=WITHDRAW_IN, response=TRANSACTION, status=201, idempotent=True)
def withdraw(coop: Cooperative, number: str, kind: str, body: dict):
    found = member_or_404(coop, number)
    tx = savings.withdraw(coop, found, kind, amount=amount(coop, body["amount"], "amount"), day=as_date(body["date"]),
                          account_id=method_account(coop, body["method"]), actor=g.api_user, idempotency_key=current_key(),
                          note=body.get("note"))
    return transaction_json(coop, tx, found.number), 201


PASSBOOK_ROW = obj({"date": DATE, "number": {"type": "string"}, "description": {"type": "string"}, "debit": AMOUNT_OUT,
                    "credit": AMOUNT_OUT, "balance": AMOUNT_OUT}, ("date", "number", "debit", "credit", "balance"), closed=False)
PASSBOOK = schema("SavingsTransactions", obj({
    "member": {"type": "string"}, "kind": {"type": "string"}, "from": DATE, "to": DATE, "opening": AMOUNT_OUT, "closing": AMOUNT_OUT,
    "items": {"type": "array", "items": PASSBOOK_ROW}, "total": {"type": "integer"}, "page": {"type": "integer"},
    "per_page": {"type": "integer"},
}, ("member", "kind", "opening", "closing", "items", "total"), closed=False))


@operation("GET", "/coops/{coop}/members/{number}/savings/{kind}/transactions", aliases=MEMBER_PATH, summary="Mutations of one simpanan (passbook)",
           tag="savings", permission="members.view", response=PASSBOOK, paginated=True, query=[
               Param("from", "query", {"type": "string", "format": "date"}, "From (default: the join date)."),
               Param("to", "query", {"type": "string", "format": "date"}, "To (default today)."),
           ])
def transactions(coop: Cooperative, number: str, kind: str, query: dict):
    found = member_or_404(coop, number)
    date_from = as_date(query.get("from"), "from") or min(found.join_date, today())
    date_to = as_date(query.get("to"), "to") or max(today(), date_from)
    if date_to < date_from:
        raise ApiError(422, "invalid_date", _l("Tanggal akhir sebelum tanggal awal."), {"to": _l("Sebelum tanggal awal.")})
    book = savings.passbook(coop, found, kind, date_from, date_to)
    rows, meta = page_of(book.rows, query)
    return {"member": found.number, "kind": kind, "from": date_from.isoformat(), "to": date_to.isoformat(),
            "opening": amount_out(coop, book.opening_sen), "closing": amount_out(coop, book.closing_sen),
            "items": [{"date": r.date.isoformat(), "number": r.number, "description": r.description, "debit": amount_out(coop, r.debit_sen),
                       "credit": amount_out(coop, r.credit_sen), "balance": amount_out(coop, r.balance_sen)} for r in rows], **meta}



BULK_WAJIB_IN = schema("WajibCollectionInput", obj({
    "month": MONTH, "date": DATE, "method": METHOD, "note": optional(text(150)),
    "members": {"type": "array", "minItems": 1, "maxItems": 5000, "items": text(30, 1), "description": "Member numbers."},
}, ("month", "date", "method", "members"), description=(
    "One month's wajib for many members as one entry (e.g. deducted from honoraria), each at their category's rate. All or "
    "nothing: bulk_refused names, under fields, every member number that blocks it (inactive, no rate, month already paid, …).")))
BULK_WAJIB = schema("WajibCollection", obj({
    "number": {"type": "string", "description": "The entry's voucher."}, "month": MONTH, "date": DATE, "total": AMOUNT_OUT,
    "items": {"type": "array", "items": TRANSACTION},
}, ("number", "month", "date", "total", "items"), closed=False))


@operation("POST", "/coops/{coop}/savings/wajib-collections", summary="Collect one month's wajib from many members at once",
           tag="savings", permission="savings.record", body=BULK_WAJIB_IN, response=BULK_WAJIB, status=201, idempotent=True)
def collect_wajib(coop: Cooperative, body: dict):
    found = [(n, members.get_by_number(coop, number)) for n, number in enumerate(body["members"], start=1)]
    unknown = {f"members.{n}": _l("Tidak ada.") for n, m in found if m is None}
    if unknown:
        raise ApiError(422, "unknown_member", _l("Anggota tidak ada."), unknown)
    by_id = {m.id: m.number for _n, m in found}
    entry, txs = savings.collect_wajib_bulk(coop, month=savings.parse_month(body["month"]), member_ids=list(by_id),
                                            day=as_date(body["date"]), account_id=method_account(coop, body["method"]),
                                            actor=g.api_user, note=body.get("note"), idempotency_key=current_key())
    return {"number": entry.number, "month": body["month"], "date": entry.entry_date.isoformat(),
            "total": amount_out(coop, sum(tx.amount for tx in txs)),
            "items": [transaction_json(coop, tx, by_id.get(tx.member_id, "")) for tx in txs]}, 201
