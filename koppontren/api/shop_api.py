"""The shop: catalogue, parties, purchases, supplier payments, sales and returns, receivable
payments and stock counts — through shop.services, purchasing, receivables and catalogue."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren.api.core import ApiError, Param, amount, amount_out, as_date, current_key, operation, paged, schema
from koppontren.api.members_api import member_or_404, method_account
from koppontren.api.schemas import (
    AMOUNT,
    AMOUNT_OUT,
    AMOUNT_OUT_OR_NULL,
    DATE,
    METHOD,
    PAYMENT,
    QUANTITY,
    STRING_OR_NULL,
    obj,
    optional,
    text,
)
from koppontren.api.schemas import page_of as page_schema
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.shop import catalogue, purchasing, receivables, sale_contract
from koppontren.shop import services as shop
from koppontren.shop.models import BUSINESS_UNITS, Party, Product, Sale
from koppontren.tenancy.models import Cooperative

# --- lookups by the codes the API speaks (SKU, party code, voucher) ---------------------------------


def product_by_sku(coop: Cooperative, sku: str) -> Product | None:
    return db.session.scalar(select(Product).where(Product.cooperative_id == coop.id, Product.sku == sku))


def party_by_code(coop: Cooperative, code: str) -> Party | None:
    return db.session.scalar(select(Party).where(Party.cooperative_id == coop.id, Party.code == code))


def sale_by_number(coop: Cooperative, number: str) -> Sale | None:
    return db.session.scalar(select(Sale).where(Sale.cooperative_id == coop.id, Sale.voucher == number, Sale.returns_sale_id.is_(None)))


def _product_or_404(coop: Cooperative, sku: str) -> Product:
    product = product_by_sku(coop, sku)
    if product is None:
        raise ApiError(404, "not_found", _l("Produk %(s)s tidak ada.", s=sku))
    return product


def _product_id(coop: Cooperative, sku: str, field_name: str) -> int:
    product = product_by_sku(coop, sku)
    if product is None:
        raise ApiError(422, "unknown_product", _l("Produk %(s)s tidak ada.", s=sku), {field_name: _l("Tidak ada.")})
    return product.id


def _party(coop: Cooperative, code: str, kind: str, field_name: str) -> Party:
    party = party_by_code(coop, code)
    if party is None or party.kind != kind:
        message = _l("Pemasok %(c)s tidak ada.", c=code) if kind == "supplier" else _l("Pelanggan %(c)s tidak ada.", c=code)
        raise ApiError(422, "unknown_" + kind, message, {field_name: message})
    return party


def _member_id(coop: Cooperative, number: str, field_name: str) -> int:
    from koppontren.members import services as members

    found = members.get_by_number(coop, number)
    if found is None:
        raise ApiError(422, "unknown_member", _l("Anggota %(n)s tidak ada.", n=number), {field_name: _l("Tidak ada.")})
    return found.id


# --- products ----------------------------------------------------------------------------------------

PRODUCT_FIELDS = {
    "name": text(200, 1), "unit": text(20, 1), "price": AMOUNT, "member_price": optional(AMOUNT), "barcode": optional(text(64)),
    "category": optional(text(60)), "business_unit": {"type": "string", "enum": list(BUSINESS_UNITS)},
}
PRODUCT_IN = schema("ProductInput", obj({"sku": text(40, 1), **PRODUCT_FIELDS}, ("sku", "name", "unit", "price", "business_unit")))
PRODUCT_PATCH = schema("ProductPatch", obj({**PRODUCT_FIELDS, "active": {"type": "boolean"}},
                                           description="Only the fields given change; the SKU does not."))
PRODUCT = schema("Product", obj({
    "sku": {"type": "string"}, "name": {"type": "string"}, "unit": {"type": "string"}, "price": AMOUNT_OUT,
    "member_price": AMOUNT_OUT_OR_NULL, "barcode": STRING_OR_NULL, "category": STRING_OR_NULL, "business_unit": {"type": "string"},
    "active": {"type": "boolean"}, "quantity": {"type": "integer"}, "stock_value": AMOUNT_OUT, "consignor": STRING_OR_NULL,
}, ("sku", "name", "unit", "price", "business_unit", "active", "quantity"), closed=False))


def product_json(coop: Cooperative, p: Product, consignors: dict[int, str] | None = None) -> dict:
    if consignors is None and p.consignor_id is not None:
        consignors = {pid: party.code for pid, party in purchasing.parties_by_id(coop, [p.consignor_id]).items()}
    return {"sku": p.sku, "name": p.name, "unit": p.unit, "price": amount_out(coop, p.price), "member_price": amount_out(coop, p.member_price),
            "barcode": p.barcode, "category": p.category, "business_unit": p.business_unit, "active": p.active, "quantity": p.qty,
            "stock_value": amount_out(coop, p.stock_value), "consignor": (consignors or {}).get(p.consignor_id)}


def _product_data(coop: Cooperative, body: dict, base: Product | None = None) -> shop.ProductData:
    def pick(name, default=None):
        return body[name] if name in body else default

    price = amount(coop, body["price"], "price", allow_zero=True) if "price" in body else None
    member_price = amount(coop, body["member_price"], "member_price", allow_zero=True) if body.get("member_price") is not None else None
    if base is not None:
        from decimal import Decimal

        from koppontren import money

        if price is None:
            price = money.from_sen(base.price)
        if "member_price" not in body and base.member_price is not None:
            member_price = money.from_sen(base.member_price)
        return shop.ProductData(sku=base.sku, name=pick("name", base.name), price=Decimal(price), member_price=member_price,
                                unit=pick("unit", base.unit), category=pick("category", base.category),
                                business_unit=pick("business_unit", base.business_unit), barcode=pick("barcode", base.barcode))
    return shop.ProductData(sku=body["sku"], name=body["name"], price=price, member_price=member_price, unit=body["unit"],
                            category=body.get("category"), business_unit=body["business_unit"], barcode=body.get("barcode"))


PRODUCT_FILTERS = [
    Param("q", "query", {"type": "string", "maxLength": 100}, "Name, SKU or barcode contains."),
    Param("business_unit", "query", {"type": "string", "enum": list(BUSINESS_UNITS)}),
    Param("active", "query", {"type": "string", "enum": ["true", "false"]}),
]


@operation("GET", "/coops/{coop}/products", summary="The catalogue", tag="shop", permission="shop.view", query=PRODUCT_FILTERS,
           paginated=True, response=page_schema(PRODUCT))
def list_products(coop: Cooperative, query: dict):
    active = {"true": True, "false": False}.get(query.get("active"))
    rows, total = catalogue.list_products(coop, text=query.get("q"), business_unit=query.get("business_unit"), active=active,
                                          page=query["page"], per_page=query["per_page"])
    consignors = {pid: p.code for pid, p in purchasing.parties_by_id(coop, [r.consignor_id for r in rows if r.consignor_id]).items()}
    return paged([product_json(coop, p, consignors) for p in rows], total, query)


@operation("POST", "/coops/{coop}/products", summary="Add a product", tag="shop", permission="shop.manage", body=PRODUCT_IN,
           response=PRODUCT, status=201, idempotent=True)
def create_product(coop: Cooperative, body: dict):
    return product_json(coop, shop.create_product(coop, _product_data(coop, body), actor=g.api_user)), 201


@operation("GET", "/coops/{coop}/products/{sku}", summary="One product", tag="shop", permission="shop.view", response=PRODUCT)
def get_product(coop: Cooperative, sku: str):
    return product_json(coop, _product_or_404(coop, sku))


@operation("PATCH", "/coops/{coop}/products/{sku}", summary="Change a product", tag="shop", permission="shop.manage",
           body=PRODUCT_PATCH, response=PRODUCT)
def patch_product(coop: Cooperative, sku: str, body: dict):
    product = _product_or_404(coop, sku)
    updated = shop.update_product(coop, product, _product_data(coop, body, product), active=body.get("active", product.active),
                                  actor=g.api_user)
    return product_json(coop, updated)


MOVE = obj({"date": DATE, "kind": {"type": "string"}, "quantity": {"type": "integer"}, "value": AMOUNT_OUT,
            "quantity_after": {"type": "integer"}, "value_after": AMOUNT_OUT, "reference": {"type": "string"}},
           ("date", "kind", "quantity", "value", "quantity_after", "value_after"), closed=False)
STOCK_CARD = schema("StockCard", obj({
    "sku": {"type": "string"}, "from": DATE, "to": DATE, "opening_quantity": {"type": "integer"}, "opening_value": AMOUNT_OUT,
    "closing_quantity": {"type": "integer"}, "closing_value": AMOUNT_OUT, "moves": {"type": "array", "items": MOVE},
}, ("sku", "opening_quantity", "closing_quantity", "moves"), closed=False))


@operation("GET", "/coops/{coop}/products/{sku}/stock-card", summary="Kartu stok between two dates", tag="shop",
           permission="shop.view", response=STOCK_CARD, query=[
               Param("from", "query", {"type": "string", "format": "date"}, "Default: the first of this month."),
               Param("to", "query", {"type": "string", "format": "date"}, "Default today."),
           ])
def stock_card(coop: Cooperative, sku: str, query: dict):
    product = _product_or_404(coop, sku)
    date_to = as_date(query.get("to"), "to") or today()
    date_from = as_date(query.get("from"), "from") or date_to.replace(day=1)
    if date_to < date_from:
        raise ApiError(422, "invalid_date", _l("Tanggal akhir sebelum tanggal awal."), {"to": _l("Sebelum tanggal awal.")})
    card = catalogue.stock_card_page(coop, product, date_from, date_to)
    return {"sku": product.sku, "from": date_from.isoformat(), "to": date_to.isoformat(), "opening_quantity": card.opening_qty,
            "opening_value": amount_out(coop, card.opening_value), "closing_quantity": card.closing_qty,
            "closing_value": amount_out(coop, card.closing_value),
            "moves": [{"date": m.move_date.isoformat(), "kind": m.kind, "quantity": m.qty, "value": amount_out(coop, m.value),
                       "quantity_after": m.qty_after, "value_after": amount_out(coop, m.value_after), "reference": m.reference}
                      for m in card.moves]}


# --- parties -----------------------------------------------------------------------------------------

PARTY_IN = schema("PartyInput", obj({"code": text(30, 1), "name": text(200, 1), "kind": {"type": "string", "enum": ["supplier", "customer"]},
                                     "phone": optional(text(30)), "address": optional(text(1000))}, ("code", "name", "kind")))
PARTY = schema("Party", obj({"code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
                             "phone": STRING_OR_NULL, "address": STRING_OR_NULL, "active": {"type": "boolean"}},
                            ("code", "name", "kind"), closed=False))


def party_json(p: Party) -> dict:
    return {"code": p.code, "name": p.name, "kind": p.kind, "phone": p.phone, "address": p.address, "active": p.active}


@operation("GET", "/coops/{coop}/parties", summary="Suppliers, customers and consignors", tag="shop", permission="shop.view",
           paginated=True, response=page_schema(PARTY), query=[
               Param("kind", "query", {"type": "string", "enum": ["supplier", "customer", "consignor"]}),
               Param("q", "query", {"type": "string", "maxLength": 100}, "Name or code contains."),
           ])
def list_parties(coop: Cooperative, query: dict):
    rows, total = catalogue.list_parties(coop, kind=query.get("kind"), text=query.get("q"), page=query["page"], per_page=query["per_page"])
    return paged([party_json(p) for p in rows], total, query)


@operation("POST", "/coops/{coop}/parties", summary="Add a supplier or customer", tag="shop", permission="shop.manage",
           body=PARTY_IN, response=PARTY, status=201, idempotent=True)
def create_party(coop: Cooperative, body: dict):
    party = shop.create_party(coop, kind=body["kind"], code=body["code"], name=body["name"], phone=body.get("phone"),
                              address=body.get("address"), actor=g.api_user)
    return party_json(party), 201


# --- purchases and supplier payments -----------------------------------------------------------------

PURCHASE_IN = schema("PurchaseInput", obj({
    "date": DATE, "supplier": text(30, 1), "payment": PAYMENT, "invoice": optional(text(60)),
    "lines": {"type": "array", "minItems": 1, "maxItems": shop.MAX_LINES,
              "items": obj({"sku": text(40, 1), "quantity": QUANTITY, "unit_cost": AMOUNT}, ("sku", "quantity", "unit_cost"))},
}, ("date", "supplier", "payment", "lines")))
PURCHASE = schema("Purchase", obj({
    "id": {"type": "integer"}, "number": {"type": "string"}, "date": DATE, "supplier": {"type": "string"}, "payment": {"type": "string"},
    "invoice": STRING_OR_NULL, "total": AMOUNT_OUT,
    "lines": {"type": "array", "items": obj({"sku": {"type": "string"}, "quantity": {"type": "integer"}, "unit_cost": AMOUNT_OUT,
                                             "total": AMOUNT_OUT}, ("sku", "quantity", "unit_cost", "total"), closed=False)},
}, ("id", "number", "date", "supplier", "payment", "total", "lines"), closed=False))


@operation("POST", "/coops/{coop}/purchases", summary="Record a purchase (goods in)", tag="shop", permission="shop.manage",
           body=PURCHASE_IN, response=PURCHASE, status=201, idempotent=True)
def create_purchase(coop: Cooperative, body: dict):
    supplier = _party(coop, body["supplier"], "supplier", "supplier")
    items = [shop.PurchaseItem(_product_id(coop, line["sku"], f"lines.{n}.sku"), line["quantity"],
                               amount(coop, line["unit_cost"], f"lines.{n}.unit_cost", allow_zero=True))
             for n, line in enumerate(body["lines"], start=1)]
    purchase = shop.record_purchase(coop, party_id=supplier.id, items=items, payment=body["payment"], day=as_date(body["date"]),
                                    invoice=body.get("invoice"), actor=g.api_user, idempotency_key=current_key())
    lines = purchasing.purchase_lines(coop, purchase)
    products = purchasing.products_by_id(coop, [ln.product_id for ln in lines])
    return {"id": purchase.id, "number": purchase.voucher, "date": purchase.purchase_date.isoformat(), "supplier": supplier.code,
            "payment": purchase.payment, "invoice": purchase.invoice, "total": amount_out(coop, purchase.total),
            "lines": [{"sku": products[ln.product_id].sku, "quantity": ln.qty, "unit_cost": amount_out(coop, ln.unit_cost),
                       "total": amount_out(coop, ln.total)} for ln in lines]}, 201


PAYMENT_OUT = schema("Payment", obj({
    "id": {"type": "integer"}, "number": {"type": "string"}, "date": DATE, "amount": AMOUNT_OUT, "method": {"type": "string"},
    "supplier": STRING_OR_NULL, "member": STRING_OR_NULL, "customer": STRING_OR_NULL, "account": {"type": "string"},
}, ("id", "number", "date", "amount"), closed=False))
SUPPLIER_PAYMENT_IN = schema("SupplierPaymentInput", obj({"date": DATE, "supplier": text(30, 1), "amount": AMOUNT, "method": METHOD},
                                                         ("date", "supplier", "amount", "method")))


def payment_json(coop: Cooperative, p, method: str, supplier: str | None = None, member: str | None = None,
                 customer: str | None = None) -> dict:
    return {"id": p.id, "number": p.voucher, "date": p.payment_date.isoformat(), "amount": amount_out(coop, p.amount), "method": method,
            "supplier": supplier, "member": member, "customer": customer, "account": p.account_name}


@operation("POST", "/coops/{coop}/supplier-payments", summary="Pay a supplier (utang usaha)", tag="shop", permission="shop.manage",
           body=SUPPLIER_PAYMENT_IN, response=PAYMENT_OUT, status=201, idempotent=True)
def pay_supplier(coop: Cooperative, body: dict):
    supplier = _party(coop, body["supplier"], "supplier", "supplier")
    paid = purchasing.pay_supplier(coop, supplier.id, amount=amount(coop, body["amount"], "amount"), day=as_date(body["date"]),
                                   account_id=method_account(coop, body["method"]), actor=g.api_user, idempotency_key=current_key())
    return payment_json(coop, paid, body["method"], supplier=supplier.code), 201


# --- sales -------------------------------------------------------------------------------------------

SALE_QUANTITY = {"type": ["integer", "string"], "minimum": 1, "maximum": shop.MAX_QTY, "pattern": "^[0-9]{1,10}(\\.0{1,3})?$",
                 "examples": [2, "2", "2.000"],
                 "description": "Whole units of the product: a JSON integer or a decimal string (never a fraction, never a float)."}
SALE_IN = schema("SaleInput", obj({
    "date": {**DATE, "description": "Default today."}, "member": text(30, 1), "customer": text(30, 1), "payment": PAYMENT,
    "cash_received": AMOUNT,
    "card": {**text(200, 1), "description": "payment wallet: the santri's card token as scanned."},
    "cash_account": {**text(20, 1), "description": (
        "payment cash or bank: the code of the cash account the money goes to (roles cash, petty_cash, till, bank); "
        "default the till (1103 Kas Toko) for cash, the bank (1111) for bank. Refused: invalid_account, not_cash_account.")},
    "lines": {"type": "array", "minItems": 1, "maxItems": shop.MAX_LINES,
              "items": obj({"sku": text(40, 1), "product_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                            "quantity": SALE_QUANTITY, "unit_price": AMOUNT}, ("quantity",),
                           description="The product by sku or by product_id (exactly one). unit_price, when given, must be the "
                                       "price that applies (member price for a member): else price_mismatch.")},
}, ("payment", "lines"), description=(
    "The one sale contract, also taken by the POS (POST /<slug>/shop/pos/sales). "
    "At most one of member (a member number) and customer (the code of a party of kind customer). Credit needs one of them: "
    "a member buys within their category's credit limit (Dr 1121 naming the member), a customer without a limit "
    "(Dr 1122 Piutang Usaha – Non-Anggota naming the customer); an anonymous sale on credit is refused (member_required). "
    "payment wallet: paid from the santri wallet of the card (Dr 2113 Dana Titipan Santri); a member sale when the santri is "
    "linked to an active member (member may be omitted); refused with card_refused (unknown, blocked or another cooperative's "
    "card: one answer), insufficient_balance or limit_exceeded (the message says what is left today).")))
SALE_LINE = obj({"sku": {"type": "string"}, "quantity": {"type": "integer"}, "unit_price": AMOUNT_OUT, "total": AMOUNT_OUT,
                 "cost": AMOUNT_OUT}, ("sku", "quantity", "unit_price", "total", "cost"), closed=False)
SALE = schema("Sale", obj({
    "id": {"type": "integer"}, "number": {"type": "string"}, "date": DATE, "member": STRING_OR_NULL, "customer": STRING_OR_NULL,
    "payment": {"type": "string"}, "total": AMOUNT_OUT, "cost_of_goods": AMOUNT_OUT, "cash_received": AMOUNT_OUT_OR_NULL,
    "change": AMOUNT_OUT_OR_NULL, "returns": STRING_OR_NULL, "lines": {"type": "array", "items": SALE_LINE},
    "santri": {**STRING_OR_NULL, "description": "payment wallet: the santri's NIS."},
    "wallet_balance": {**AMOUNT_OUT_OR_NULL, "description": "payment wallet: the wallet's balance after this sale."},
}, ("id", "number", "date", "payment", "total", "cost_of_goods", "lines"), closed=False))


def sale_json(coop: Cooperative, sale: Sale, original: Sale | None = None) -> dict:
    from koppontren.members import services as members

    lines = shop.sale_lines(coop, sale)
    products = purchasing.products_by_id(coop, [ln.product_id for ln in lines])
    member = members.get_member(coop, sale.member_id) if sale.member_id is not None else None
    party = shop.get_party(coop, sale.party_id) if sale.party_id is not None else None
    change = sale.cash_received - sale.total if sale.payment == "cash" and sale.cash_received is not None and not original else None
    return {"id": sale.id, "number": sale.voucher, "date": sale.sale_date.isoformat(), "member": member.number if member else None,
            "customer": party.code if party else None, "payment": sale.payment, "total": amount_out(coop, sale.total),
            "cost_of_goods": amount_out(coop, sale.cost), "cash_received": amount_out(coop, sale.cash_received),
            "change": amount_out(coop, change), "returns": original.voucher if original else None,
            "lines": [{"sku": products[ln.product_id].sku, "quantity": ln.qty, "unit_price": amount_out(coop, ln.unit_price),
                       "total": amount_out(coop, ln.total), "cost": amount_out(coop, ln.cost)} for ln in lines],
            **_wallet_part(coop, sale)}


def _wallet_part(coop: Cooperative, sale: Sale) -> dict:
    if sale.payment != "wallet":
        return {}
    from koppontren.wallet import services as wallet

    tx = wallet.transaction_of_sale(coop, sale.id)
    santri = wallet.get_santri(coop, tx.santri_id) if tx else None
    return {"santri": santri.nis if santri else None, "wallet_balance": amount_out(coop, tx.balance_after) if tx else None}


@operation("POST", "/coops/{coop}/sales", summary="Record a sale; 201 with its number, totals and cost of goods", tag="shop",
           permission="shop.sell", body=SALE_IN, response=SALE, status=201, idempotent=True)
def create_sale(coop: Cooperative, body: dict):
    order = sale_contract.resolve(coop, sale_contract.parse(body, code="validation_error"))
    sale, _replayed = sale_contract.sell(coop, order, actor=g.api_user, idempotency_key=current_key())
    return sale_json(coop, sale), 201


RETURN_IN = schema("SaleReturnInput", obj({
    "date": DATE,
    "lines": {"type": "array", "minItems": 1, "maxItems": shop.MAX_LINES,
              "items": obj({"sku": text(40, 1), "quantity": QUANTITY}, ("sku", "quantity"))},
}, ("lines",), description="date: default today."))


@operation("POST", "/coops/{coop}/sales/{number}/returns", summary="Record a return of goods of a sale", tag="shop",
           permission="shop.sell", body=RETURN_IN, response=SALE, status=201, idempotent=True)
def create_sale_return(coop: Cooperative, number: str, body: dict):
    original = sale_by_number(coop, number)
    if original is None:
        raise ApiError(404, "not_found", _l("Penjualan %(n)s tidak ada.", n=number))
    items = [shop.SaleItem(_product_id(coop, line["sku"], f"lines.{n}.sku"), line["quantity"]) for n, line in enumerate(body["lines"], start=1)]
    returned = shop.record_sale_return(coop, original.id, items=items, day=as_date(body.get("date")), actor=g.api_user,
                                       idempotency_key=current_key())
    return sale_json(coop, returned, original), 201


RECEIVABLE_IN = schema("ReceivablePaymentInput", obj({"date": DATE, "member": text(30, 1), "customer": text(30, 1), "amount": AMOUNT,
                                                      "method": METHOD}, ("date", "amount", "method"),
                                                     description=(
    "Exactly one of member (a member number: their receivable on 1121) and customer (the code of a party of kind "
    "customer: their receivable on 1122); refused above what that member or customer owes (exceeds_receivable).")))


@operation("POST", "/coops/{coop}/receivable-payments", summary="A member or a customer pays off their shop receivable (pelunasan)", tag="shop",
           permission="shop.sell", body=RECEIVABLE_IN, response=PAYMENT_OUT, status=201, idempotent=True)
def pay_receivable(coop: Cooperative, body: dict):
    if ("member" in body) == ("customer" in body):
        raise ApiError(422, "validation_error", _l("Isi anggota atau pelanggan (salah satu)."), {"member": _l("Wajib diisi.")})
    if "customer" in body:
        customer = _party(coop, body["customer"], "customer", "customer")
        paid = receivables.pay_customer_receivable(coop, customer.id, amount=amount(coop, body["amount"], "amount"),
                                                   day=as_date(body["date"]), account_id=method_account(coop, body["method"]),
                                                   actor=g.api_user, idempotency_key=current_key())
        return payment_json(coop, paid, body["method"], customer=customer.code), 201
    member = member_or_404_422(coop, body["member"])
    paid = receivables.pay_receivable(coop, member.id, amount=amount(coop, body["amount"], "amount"), day=as_date(body["date"]),
                                      account_id=method_account(coop, body["method"]), actor=g.api_user, idempotency_key=current_key())
    return payment_json(coop, paid, body["method"], member=member.number), 201


def member_or_404_422(coop: Cooperative, number: str):
    """A member named in a body: unknown is a validation problem (422), not a missing resource."""
    try:
        return member_or_404(coop, number)
    except ApiError:
        raise ApiError(422, "unknown_member", _l("Anggota %(n)s tidak ada.", n=number), {"member": _l("Tidak ada.")}) from None


COUNT_IN = schema("StockCountInput", obj({
    "date": DATE,
    "lines": {"type": "array", "minItems": 1, "maxItems": 5000,
              "items": obj({"sku": text(40, 1), "counted": {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}}, ("sku", "counted"))},
}, ("date", "lines")))
COUNT = schema("StockCount", obj({"date": DATE, "number": STRING_OR_NULL, "differences": {"type": "array", "items": obj({
    "sku": {"type": "string"}, "difference": {"type": "integer"}, "value": AMOUNT_OUT}, ("sku", "difference"), closed=False)}},
    ("date", "number", "differences"), closed=False))


@operation("POST", "/coops/{coop}/stock-counts", summary="Stock opname: differences posted to 5301", tag="shop",
           permission="shop.manage", body=COUNT_IN, response=COUNT, status=201, idempotent=True)
def stock_count(coop: Cooperative, body: dict):
    counted: dict[int, int] = {}
    for n, line in enumerate(body["lines"], start=1):
        pid = _product_id(coop, line["sku"], f"lines.{n}.sku")
        if pid in counted:
            raise ApiError(422, "validation_error", _l("Produk %(s)s disebut dua kali.", s=line["sku"]), {f"lines.{n}.sku": _l("Dua kali.")})
        counted[pid] = line["counted"]
    day = as_date(body["date"])
    entry = shop.record_count(coop, counted, day=day, actor=g.api_user)
    differences = []
    if entry is not None:
        moves = catalogue.moves_of_entry(coop, entry.id)
        products = purchasing.products_by_id(coop, [m.product_id for m in moves])
        differences = [{"sku": products[m.product_id].sku, "difference": m.qty, "value": amount_out(coop, m.value)} for m in moves]
    return {"date": day.isoformat(), "number": entry.number if entry is not None else None, "differences": differences}, 201
