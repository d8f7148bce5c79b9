"""Santri wallets (issue 9) — through wallet.services, as the pages use them. A wallet is named by
the santri's NIS. Paying with a wallet is ``POST /coops/{coop}/sales`` with ``payment: "wallet"`` and
``card`` (shop_api)."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from koppontren.api.core import PATH_PARAMS, ApiError, Param, amount, amount_out, as_date, current_key, operation, paged, schema
from koppontren.api.schemas import AMOUNT, AMOUNT_OUT, AMOUNT_OUT_OR_NULL, DATE, METHOD, STRING_OR_NULL, obj, optional, text
from koppontren.api.schemas import page_of as page_schema
from koppontren.members import services as members
from koppontren.tenancy.models import Cooperative
from koppontren.wallet import services as wallet
from koppontren.wallet.models import TX_KINDS

PATH_PARAMS["nis"] = ("string", {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9.-]{0,29}$"}, "The santri's NIS (nomor induk santri).")

LIMITS = obj({"daily": AMOUNT_OUT_OR_NULL, "weekly": AMOUNT_OUT_OR_NULL, "monthly": AMOUNT_OUT_OR_NULL},
             ("daily", "weekly", "monthly"), description="null: no limit")
WALLET_IN = schema("WalletInput", obj({
    "nis": text(30, 1), "name": text(200, 1), "kelas": optional(text(40)), "asrama": optional(text(60)), "member": optional(text(30)),
}, ("nis", "name"), description="member: the member number when the santri is a member (their purchases are then member sales)."))
WALLET = schema("Wallet", obj({
    "nis": {"type": "string"}, "name": {"type": "string"}, "kelas": STRING_OR_NULL, "asrama": STRING_OR_NULL, "member": STRING_OR_NULL,
    "active": {"type": "boolean"}, "balance": AMOUNT_OUT,
}, ("nis", "name", "active", "balance"), closed=False))
WALLET_DETAIL = schema("WalletDetail", obj({
    "nis": {"type": "string"}, "name": {"type": "string"}, "kelas": STRING_OR_NULL, "asrama": STRING_OR_NULL, "member": STRING_OR_NULL,
    "active": {"type": "boolean"}, "balance": AMOUNT_OUT, "date": DATE,
    "spent": obj({"today": AMOUNT_OUT, "week": AMOUNT_OUT, "month": AMOUNT_OUT}, ("today", "week", "month"),
                 description="Spending on products not exempt from limits: today, this ISO week (from Monday), this month."),
    "limits": {**LIMITS, "description": "Effective limits: the lowest of the treasurer's (or the cooperative's) and the wali's."},
    "treasurer_limits": LIMITS, "wali_limits": LIMITS,
    "remaining_today": {**AMOUNT_OUT_OR_NULL, "description": "Left today by the limits (null: no limit)."},
    "available_today": {**AMOUNT_OUT, "description": "What may still be spent today on limited products (limits and balance)."},
    "has_card": {"type": "boolean"},
}, ("nis", "name", "active", "balance", "spent", "limits", "remaining_today", "available_today"), closed=False))
TRANSACTION = schema("WalletTransaction", obj({
    "id": {"type": "integer"}, "nis": {"type": "string"}, "kind": {"type": "string", "enum": list(TX_KINDS)},
    "method": {"type": "string", "enum": ["cash", "bank", "wallet"]}, "date": DATE, "amount": AMOUNT_OUT,
    "balance_after": AMOUNT_OUT, "number": {"type": "string"}, "reference": STRING_OR_NULL, "place": STRING_OR_NULL,
    "sale": STRING_OR_NULL, "limited_amount": AMOUNT_OUT,
}, ("id", "nis", "kind", "method", "date", "amount", "balance_after", "number"), closed=False))
MOVE_IN = schema("WalletMoveInput", obj({"date": DATE, "amount": AMOUNT,
                                         "method": METHOD, "reference": optional(text(100))},
                                        ("date", "amount", "method"),
                                        description="cash: Kas (in transit to bank 1112 until deposited); bank: bank 1112."))


def _limits_json(coop: Cooperative, limits) -> dict:
    return {w: amount_out(coop, limits.of(w)) for w in ("daily", "weekly", "monthly")}


def _member_numbers(coop: Cooperative, rows) -> dict[int, str]:
    ids = {s.member_id for s in rows if s.member_id is not None}
    return {mid: m.number for mid, m in members.members_by_ids(coop, ids).items()} if ids else {}


def wallet_json(coop: Cooperative, s, numbers: dict[int, str] | None = None) -> dict:
    numbers = numbers if numbers is not None else _member_numbers(coop, [s])
    return {"nis": s.nis, "name": s.name, "kelas": s.kelas, "asrama": s.asrama, "member": numbers.get(s.member_id),
            "active": s.active, "balance": amount_out(coop, s.balance)}


def wallet_or_404(coop: Cooperative, nis: str):
    found = wallet.get_by_nis(coop, nis)
    if found is None:
        raise ApiError(404, "not_found", _l("Dompet santri %(n)s tidak ada.", n=nis))
    return found


def transaction_json(coop: Cooperative, tx, nis: str) -> dict:
    return {"id": tx.id, "nis": nis, "kind": tx.kind, "method": tx.method, "date": tx.day.isoformat(), "amount": amount_out(coop, tx.amount),
            "balance_after": amount_out(coop, tx.balance_after), "number": tx.voucher, "reference": tx.reference, "place": tx.place,
            "sale": tx.voucher if tx.sale_id else None, "limited_amount": amount_out(coop, tx.limited_amount)}


FILTERS = [
    Param("q", "query", {"type": "string", "maxLength": 100}, "Name or NIS contains."),
    Param("kelas", "query", {"type": "string", "maxLength": 40}, "Class."),
    Param("asrama", "query", {"type": "string", "maxLength": 60}, "Dormitory."),
    Param("active", "query", {"type": "string", "enum": ["true", "false"]}),
]


@operation("GET", "/coops/{coop}/wallets", summary="Santri wallets with their balances", tag="wallet", permission="wallet.view",
           query=FILTERS, paginated=True, response=page_schema(WALLET))
def list_wallets(coop: Cooperative, query: dict):
    rows, total = wallet.list_santri(coop, text=query.get("q"), kelas=query.get("kelas"), asrama=query.get("asrama"),
                                     active={"true": True, "false": False}.get(query.get("active")), page=query["page"],
                                     per_page=query["per_page"])
    numbers = _member_numbers(coop, rows)
    return paged([wallet_json(coop, s, numbers) for s in rows], total, query)


@operation("POST", "/coops/{coop}/wallets", summary="Open a santri's wallet (balance 0, no card yet)", tag="wallet",
           permission="wallet.manage", body=WALLET_IN, response=WALLET, status=201, idempotent=True)
def create_wallet(coop: Cooperative, body: dict):
    santri = wallet.create_santri(coop, wallet.SantriData(nis=body["nis"], name=body["name"], kelas=body.get("kelas"),
                                                          asrama=body.get("asrama"), member_number=body.get("member")), actor=g.api_user)
    return wallet_json(coop, santri), 201


@operation("GET", "/coops/{coop}/wallets/{nis}", summary="One wallet: balance, limits, spent today / this week / this month",
           tag="wallet", permission="wallet.view", response=WALLET_DETAIL)
def get_wallet(coop: Cooperative, nis: str):
    santri = wallet_or_404(coop, nis)
    s = wallet.spending(coop, santri)
    return {**wallet_json(coop, santri), "date": s.day.isoformat(),
            "spent": {"today": amount_out(coop, s.spent_today), "week": amount_out(coop, s.spent_week), "month": amount_out(coop, s.spent_month)},
            "limits": _limits_json(coop, s.limits), "treasurer_limits": _limits_json(coop, s.base), "wali_limits": _limits_json(coop, s.wali),
            "remaining_today": amount_out(coop, s.remaining_today), "available_today": amount_out(coop, s.available_today),
            "has_card": wallet.active_card(coop, santri) is not None}


@operation("GET", "/coops/{coop}/wallets/{nis}/transactions", summary="A wallet's transactions, newest first", tag="wallet",
           permission="wallet.view", paginated=True, response=page_schema(TRANSACTION), query=[
               Param("from", "query", {"type": "string", "format": "date"}, "From this date."),
               Param("to", "query", {"type": "string", "format": "date"}, "Up to this date."),
               Param("kind", "query", {"type": "string", "enum": list(TX_KINDS)}, "Only this kind."),
           ])
def wallet_transactions(coop: Cooperative, nis: str, query: dict):
    santri = wallet_or_404(coop, nis)
    date_from, date_to = as_date(query.get("from"), "from"), as_date(query.get("to"), "to")
    if date_from and date_to and date_to < date_from:
        raise ApiError(422, "invalid_date", _l("Tanggal akhir sebelum tanggal awal."), {"to": _l("Sebelum tanggal awal.")})
    rows, total = wallet.transactions(coop, santri, page=query["page"], per_page=query["per_page"],
                                      kinds=[query["kind"]] if query.get("kind") else None, date_from=date_from, date_to=date_to)
    return paged([transaction_json(coop, t, santri.nis) for t in rows], total, query)


@operation("POST", "/coops/{coop}/wallets/{nis}/topups", summary="Top up a wallet (cash or bank transfer from the wali)", tag="wallet",
           permission="wallet.manage", body=MOVE_IN, response=TRANSACTION, status=201, idempotent=True)
def wallet_topup(coop: Cooperative, nis: str, body: dict):
    santri = wallet_or_404(coop, nis)
    tx = wallet.topup(coop, santri, amount=amount(coop, body["amount"], "amount"), method=body["method"], day=as_date(body["date"]),
                      reference=body.get("reference"), actor=g.api_user, idempotency_key=current_key())
    return transaction_json(coop, tx, santri.nis), 201


@operation("POST", "/coops/{coop}/wallets/{nis}/refunds", summary="Pay money back out of a wallet (never below zero)", tag="wallet",
           permission="wallet.manage", body=MOVE_IN, response=TRANSACTION, status=201, idempotent=True)
def wallet_refund(coop: Cooperative, nis: str, body: dict):
    santri = wallet_or_404(coop, nis)
    tx = wallet.refund(coop, santri, amount=amount(coop, body["amount"], "amount"), method=body["method"], day=as_date(body["date"]),
                       reference=body.get("reference"), actor=g.api_user, idempotency_key=current_key())
    return transaction_json(coop, tx, santri.nis), 201
