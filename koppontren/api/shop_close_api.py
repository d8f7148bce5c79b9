"""The shop's remaining back-office operations: purchase returns, the cashier's daily close and
consignment (products, goods in and out, settlements) — through shop.purchasing, shop.cashier and
shop.consignment, as the shop pages do, with their permissions."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren.api.core import ApiError, amount, amount_out, as_date, current_key, operation, schema
from koppontren.api.schemas import AMOUNT, AMOUNT_OUT, DATE, QUANTITY, STRING_OR_NULL, obj, optional, text
from koppontren.api.shop_api import PAYMENT_OUT, PURCHASE, party_by_code, payment_json, product_by_sku
from koppontren.auth import services as auth
from koppontren.auth.permissions import can
from koppontren.extensions import db
from koppontren.ledger import chart
from koppontren.shop import cashier, consignment, purchasing
from koppontren.shop import services as shop
from koppontren.shop.models import Purchase
from koppontren.tenancy.models import Cooperative

CASH_ACCOUNT = {**text(20, 1), "description": "Code of a cash or bank account; default: see the operation."}


def _account_id(coop: Cooperative, code: str | None, field_name: str = "account") -> int | None:
    if code is None:
        return None
    account = chart.account_by_code(coop, code)
    if account is None:
        raise ApiError(422, "invalid_account", _l("Akun %(c)s tidak ada.", c=code), {field_name: _l("Tidak ada.")})
    return account.id


def _product_id(coop: Cooperative, sku: str, field_name: str) -> int:
    product = product_by_sku(coop, sku)
    if product is None:
        raise ApiError(422, "unknown_product", _l("Produk %(s)s tidak ada.", s=sku), {field_name: _l("Tidak ada.")})
    return product.id


def _consignor(coop: Cooperative, code: str):
    party = party_by_code(coop, code)
    if party is None or party.kind != "consignor":
        message = _l("Penitip %(c)s tidak ada.", c=code)
        raise ApiError(422, "unknown_consignor", message, {"consignor": message})
    return party


def _lines(coop: Cooperative, body: dict) -> list[tuple[int, int]]:
    return [(_product_id(coop, line["sku"], f"lines.{n}.sku"), line["quantity"]) for n, line in enumerate(body["lines"], start=1)]


LINES = {"type": "array", "minItems": 1, "maxItems": shop.MAX_LINES,
         "items": obj({"sku": text(40, 1), "quantity": QUANTITY}, ("sku", "quantity"))}

# --- purchase returns ------------------------------------------------------------------------------------

PURCHASE_RETURN_IN = schema("PurchaseReturnInput", obj({
    "date": DATE, "lines": LINES,
    "account": {**optional(CASH_ACCOUNT), "description": (
        "A cash or bank purchase: the account the supplier's money comes back into (default: the one the purchase was paid "
        "from). A credit purchase: not used (the return comes off the payable).")},
}, ("lines",), description="date: default today. Refused above what is left of each line (exceeds_purchase)."))


@operation("POST", "/coops/{coop}/purchases/{number}/returns", summary="Return goods of a purchase to the supplier (retur pembelian)",
           tag="shop", permission="shop.manage", body=PURCHASE_RETURN_IN, response=PURCHASE, status=201, idempotent=True)
def create_purchase_return(coop: Cooperative, number: str, body: dict):
    original = db.session.scalar(select(Purchase).where(Purchase.cooperative_id == coop.id, Purchase.voucher == number,
                                                        Purchase.returns_purchase_id.is_(None)))
    if original is None:
        raise ApiError(404, "not_found", _l("Pembelian %(n)s tidak ada.", n=number))
    items = [purchasing.ReturnItem(product_id, qty) for product_id, qty in _lines(coop, body)]
    account_id = _account_id(coop, body.get("account")) if original.payment != "credit" else None
    returned = purchasing.record_purchase_return(coop, original.id, items=items, day=as_date(body.get("date")), account_id=account_id,
                                                 actor=g.api_user, idempotency_key=current_key())
    lines = purchasing.purchase_lines(coop, returned)
    products = purchasing.products_by_id(coop, [ln.product_id for ln in lines])
    supplier = purchasing.parties_by_id(coop, [returned.party_id])[returned.party_id]
    return {"id": returned.id, "number": returned.voucher, "date": returned.purchase_date.isoformat(), "supplier": supplier.code,
            "payment": returned.payment, "invoice": returned.invoice, "total": amount_out(coop, returned.total), "returns": original.voucher,
            "lines": [{"sku": products[ln.product_id].sku, "quantity": ln.qty, "unit_cost": amount_out(coop, ln.unit_cost),
                       "total": amount_out(coop, ln.total)} for ln in lines]}, 201


# --- the cashier's daily close -----------------------------------------------------------------------------

CLOSE_IN = schema("CashierCloseInput", obj({
    "date": DATE, "counted_cash": AMOUNT,
    "cashier": {**optional(text(80, 3)), "description": "The cashier's login (default: the token's user). Another cashier's day "
                                                        "needs the shop.manage permission (admin, treasurer)."},
}, ("date", "counted_cash"), description="Once per cashier and day (already_closed); a difference is posted as other income or expense."))
CLOSE = schema("CashierClose", obj({
    "id": {"type": "integer"}, "cashier": {"type": "string"}, "date": DATE, "cash_sales": AMOUNT_OUT, "bank_sales": AMOUNT_OUT,
    "credit_sales": AMOUNT_OUT, "expected_cash": AMOUNT_OUT, "counted_cash": AMOUNT_OUT,
    "difference": {**AMOUNT_OUT, "description": "counted − expected (negative: short)."}, "number": STRING_OR_NULL,
}, ("id", "cashier", "date", "expected_cash", "counted_cash", "difference", "number"), closed=False))


@operation("POST", "/coops/{coop}/cashier-closes", summary="Close a cashier's day (tutup kasir)", tag="shop", permission="shop.sell",
           body=CLOSE_IN, response=CLOSE, status=201, idempotent=True)
def close_cashier_day(coop: Cooperative, body: dict):
    person = g.api_user
    if body.get("cashier") is not None and auth.normalise_login(body["cashier"]) != person.login:
        if not can("shop.manage"):
            raise ApiError(403, "forbidden", _l("Hanya pengelola toko yang boleh menutup hari kasir lain."))
        person = auth.get_user_by_login(body["cashier"])
        if person is None or auth.user_in_coop_or_none(coop, person.id) is None:
            raise ApiError(422, "unknown_user", _l("Kasir %(l)s tidak ada.", l=body["cashier"][:80]), {"cashier": _l("Tidak ada.")})
    close = cashier.close_day(coop, cashier_id=person.id, day=as_date(body["date"]), counted_cash=amount(coop, body["counted_cash"],
                              "counted_cash", allow_zero=True), actor=g.api_user)
    return {"id": close.id, "cashier": person.login, "date": close.close_date.isoformat(), "cash_sales": amount_out(coop, close.cash_sales),
            "bank_sales": amount_out(coop, close.bank_sales), "credit_sales": amount_out(coop, close.credit_sales),
            "expected_cash": amount_out(coop, close.expected_cash), "counted_cash": amount_out(coop, close.counted_cash),
            "difference": amount_out(coop, close.difference), "number": close.voucher}, 201


# --- consignment ------------------------------------------------------------------------------------------

SETTLEMENT_IN = schema("ConsignmentSettlementInput", obj({
    "date": DATE, "consignor": text(30, 1), "amount": AMOUNT,
    "account": {**optional(CASH_ACCOUNT), "description": "The cash or bank account paid from (default 1101 Kas Besar)."},
}, ("date", "consignor", "amount"), description="Refused above what the cooperative owes the consignor (more_than_owed)."))


@operation("POST", "/coops/{coop}/consignment-settlements", summary="Pay a consignor what their goods earned", tag="shop",
           permission="shop.manage", body=SETTLEMENT_IN, response=PAYMENT_OUT, status=201, idempotent=True)
def settle_consignor(coop: Cooperative, body: dict):
    party = _consignor(coop, body["consignor"])
    paid = consignment.settle_consignor(coop, party.id, amount=amount(coop, body["amount"], "amount"), day=as_date(body["date"]),
                                        account_id=_account_id(coop, body.get("account")), actor=g.api_user,
                                        idempotency_key=current_key())
    return {**payment_json(coop, paid, "cash"), "consignor": party.code}, 201


MOVES_IN = schema("ConsignmentMovesInput", obj({
    "date": DATE, "consignor": text(30, 1), "direction": {"type": "string", "enum": ["in", "out"], "description": (
        "in: goods arrive from the consignor; out: unsold goods go back (never below zero stock).")},
    "lines": {**LINES, "description": "Products of that consignor."},
}, ("date", "consignor", "direction", "lines"), description="Stock only: no value and no journal entry (the goods are the consignor's)."))
MOVES = schema("ConsignmentMoves", obj({
    "consignor": {"type": "string"}, "direction": {"type": "string"}, "date": DATE,
    "lines": {"type": "array", "items": obj({"sku": {"type": "string"}, "quantity": {"type": "integer"}}, ("sku", "quantity"), closed=False)},
}, ("consignor", "direction", "lines"), closed=False))


@operation("POST", "/coops/{coop}/consignment-moves", summary="Consigned goods in from, or back to, their consignor", tag="shop",
           permission="shop.manage", body=MOVES_IN, response=MOVES, status=201, idempotent=True)
def consignment_moves(coop: Cooperative, body: dict):
    party = _consignor(coop, body["consignor"])
    service = consignment.receive_consignment if body["direction"] == "in" else consignment.return_consignment
    day = as_date(body["date"])
    service(coop, consignor_id=party.id, items=_lines(coop, body), day=day, actor=g.api_user)
    return {"consignor": party.code, "direction": body["direction"], "date": day.isoformat(),
            "lines": [{"sku": line["sku"], "quantity": line["quantity"]} for line in body["lines"]]}, 201


CONSIGNMENT_IN = schema("ProductConsignmentInput", obj({
    "consignor": {**optional(text(30, 1)), "description": "The consignor's party code; null: the cooperative's own product again."},
    "commission_bp": {"type": "integer", "minimum": 0, "maximum": 10000, "description": "The cooperative's commission, basis points "
                                                                                        "(1000 = 10 %)."},
}, ("consignor", "commission_bp"), description="Only while the product has no stock (has_stock)."))
CONSIGNMENT = schema("ProductConsignment", obj({"sku": {"type": "string"}, "consignor": STRING_OR_NULL, "commission_bp": {"type": "integer"}},
                                               ("sku", "consignor", "commission_bp"), closed=False))


@operation("PUT", "/coops/{coop}/products/{sku}/consignment", summary="Make a product a consignor's, or the cooperative's own again",
           tag="shop", permission="shop.manage", body=CONSIGNMENT_IN, response=CONSIGNMENT)
def put_product_consignment(coop: Cooperative, sku: str, body: dict):
    product = product_by_sku(coop, sku)
    if product is None:
        raise ApiError(404, "not_found", _l("Produk %(s)s tidak ada.", s=sku))
    party = _consignor(coop, body["consignor"]) if body["consignor"] is not None else None
    product = consignment.set_consignment(coop, product, consignor_id=party.id if party else None, commission_bp=body["commission_bp"],
                                          actor=g.api_user)
    return {"sku": product.sku, "consignor": party.code if party else None, "commission_bp": product.commission_bp}
