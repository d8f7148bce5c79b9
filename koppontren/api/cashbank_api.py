"""Cash and bank: transfers between cash accounts (mutasi kas, RULES-2 §8.2), through
``cashbank.services``. Posting needs ``ledger.post`` (admin, treasurer); reading ``ledger.view``."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from koppontren.api.core import ApiError, Param, amount, amount_out, as_date, current_key, operation, paged, schema
from koppontren.api.schemas import AMOUNT, AMOUNT_OUT, DATE, DATE_OR_NULL, STRING_OR_NULL, obj, optional, text
from koppontren.api.schemas import page_of as page_schema
from koppontren.cashbank import services as cashbank
from koppontren.cashbank.models import CashTransfer
from koppontren.tenancy.models import Cooperative

TRANSFER_IN = schema("CashTransferInput", obj({
    "date": DATE,
    "from_account": {**text(20, 1), "description": "Code of the cash account the money leaves (e.g. 1103 Kas Toko)."},
    "to_account": {**text(20, 1), "description": "Code of the cash account the money goes to (e.g. 1111 Bank)."},
    "amount": AMOUNT,
    "description": optional(text(500)),
    "fee": {**optional(AMOUNT), "description": "Bank fee charged to the source: Dr 6109 Beban Administrasi Bank."},
    "arrival_date": {**optional(DATE), "description": (
        "When the money arrives, if later than date: it goes through 1105 Kas dalam Perjalanan. An arrival after "
        "today is posted later with POST …/cash-transfers/{number}/arrive.")},
}, ("date", "from_account", "to_account", "amount"), description=(
    "Both accounts are active cash accounts (roles cash, petty_cash, till, bank, bank_santri) and differ. Refusals: "
    "invalid_account, not_cash_account, same_account, invalid_amount (fields from_account, to_account, amount, fee), and "
    "the ledger's (period_closed, insufficient_funds, …) with their fields.")))
TRANSFER = schema("CashTransfer", obj({
    "number": {"type": "string", "description": "Voucher of the (first) entry, MK/YYYY/NNNNNN."},
    "date": DATE, "from_account": {"type": "string"}, "to_account": {"type": "string"}, "amount": AMOUNT_OUT, "fee": AMOUNT_OUT,
    "description": {"type": "string"},
    "in_transit": {"type": "boolean", "description": "The money left and has not arrived (it is in 1105)."},
    "expected_arrival": DATE_OR_NULL, "arrival_date": DATE_OR_NULL, "arrival_number": STRING_OR_NULL,
    "entries": {"type": "array", "items": {"type": "string"}, "description": "Voucher numbers of the transfer's entries."},
    "reversed": {"type": "boolean", "description": "One of its entries was reversed in the ledger."},
}, ("number", "date", "from_account", "to_account", "amount", "description", "in_transit"), closed=False))
ARRIVE_IN = schema("CashTransferArrivalInput", obj({"date": DATE}, ("date",)))
IN_TRANSIT = Param("in_transit", "query", {"type": "string", "enum": ["true", "false"]}, "Only the transfers still in transit.")


def transfer_json(coop: Cooperative, transfer: CashTransfer, accounts: dict, reversed_ids: set[int]) -> dict:
    return {
        "number": transfer.number, "date": transfer.transfer_date.isoformat(),
        "from_account": accounts[transfer.from_account_id].code, "to_account": accounts[transfer.to_account_id].code,
        "amount": amount_out(coop, transfer.amount), "fee": amount_out(coop, transfer.fee), "description": transfer.description,
        "in_transit": transfer.in_transit, "expected_arrival": transfer.expected_on.isoformat() if transfer.expected_on else None,
        "arrival_date": transfer.arrived_on.isoformat() if transfer.arrived_on else None, "arrival_number": transfer.arrival_number,
        "entries": [n for n in (transfer.number, transfer.arrival_number) if n], "reversed": transfer.id in reversed_ids,
    }


def _json_list(coop: Cooperative, transfers: list[CashTransfer]) -> list[dict]:
    accounts = cashbank.accounts_by_id(coop, [i for t in transfers for i in (t.from_account_id, t.to_account_id)])
    reversed_ids = cashbank.reversed_transfers(coop, transfers)
    return [transfer_json(coop, t, accounts, reversed_ids) for t in transfers]


@operation("POST", "/coops/{coop}/cash-transfers", summary="Transfer money between two cash accounts (mutasi kas, MK)",
           tag="cash", permission="ledger.post", body=TRANSFER_IN, response=TRANSFER, status=201, idempotent=True)
def create_cash_transfer(coop: Cooperative, body: dict):
    fee = amount(coop, body["fee"], "fee", allow_zero=True) if body.get("fee") is not None else None
    transfer = cashbank.transfer_cash(
        coop, date=as_date(body["date"]), from_account=body["from_account"], to_account=body["to_account"],
        amount=amount(coop, body["amount"], "amount", allow_zero=True), description=body.get("description"), fee=fee,
        arrival_date=as_date(body.get("arrival_date"), "arrival_date"), actor=g.api_user, idempotency_key=current_key())
    return _json_list(coop, [transfer])[0], 201


@operation("GET", "/coops/{coop}/cash-transfers", summary="Cash transfers, newest first", tag="cash", permission="ledger.view",
           query=[IN_TRANSIT], paginated=True, response=page_schema(TRANSFER))
def list_cash_transfers(coop: Cooperative, query: dict):
    transfers, total = cashbank.list_transfers(coop, query["page"], query["per_page"], in_transit_only=query.get("in_transit") == "true")
    return paged(_json_list(coop, transfers), total, query)


def _transfer_or_404(coop: Cooperative, number: str) -> CashTransfer:
    transfer = cashbank.get_transfer(coop, number)
    if transfer is None:
        raise ApiError(404, "not_found", _l("Mutasi kas %(n)s tidak ada.", n=number))
    return transfer


@operation("GET", "/coops/{coop}/cash-transfers/{number}", summary="One cash transfer", tag="cash", permission="ledger.view",
           response=TRANSFER)
def get_cash_transfer(coop: Cooperative, number: str):
    return _json_list(coop, [_transfer_or_404(coop, number)])[0]


@operation("POST", "/coops/{coop}/cash-transfers/{number}/arrive", summary="Post the arrival of a transfer in transit",
           tag="cash", permission="ledger.post", body=ARRIVE_IN, response=TRANSFER, idempotent=True,
           description="Dr destination / Cr 1105 Kas dalam Perjalanan on date. Refusals: not_in_transit, already_arrived (409), "
                       "transfer_reversed (409), invalid_date, and the ledger's.")
def arrive_cash_transfer(coop: Cooperative, number: str, body: dict):
    _transfer_or_404(coop, number)
    transfer = cashbank.arrive(coop, number, date=as_date(body["date"]), actor=g.api_user, idempotency_key=current_key())
    return _json_list(coop, [transfer])[0]
