"""The one JSON contract of a sale, shared by the POS (``POST /<slug>/shop/pos/sales``) and the API
(``POST /api/v1/coops/{coop}/sales``)::

    {"lines": [{"sku": "BRS-5" | "product_id": 12, "quantity": 2 | "2", "unit_price"?: "72000"}],
     "member"?: "A-0001", "customer"?: "C-01", "payment": "cash" | "bank" | "credit" | "wallet",
     "cash_received"?: "200000", "cash_account"?: "1101", "card"?: "<card token>", "date"?: "2026-12-15"}

The idempotency key travels in the ``Idempotency-Key`` header. Three steps, each used by both doors:

1. :func:`parse` checks the shape (no database): every wrong field is named by its dotted path,
   lines counted from 1 (``lines.2.quantity``). Amounts are decimal strings; quantities whole
   numbers, as JSON integers or decimal strings (``2``, ``"2"``, ``"2.000"``); never a float.
2. :func:`resolve` turns codes into rows of the cooperative: SKU or product id, member number,
   customer code, cash account code (``unknown_product``, ``unknown_member``, ``unknown_customer``,
   ``invalid_account``, ``not_cash_account``).
3. :func:`sell` records the :class:`~koppontren.shop.services.SaleOrder` through the ``shop.sale``
   command: one replay path, the operation key (a double click at the till, a retry of the API).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren import money
from koppontren.cashbank import services as cashbank
from koppontren.extensions import db
from koppontren.ledger import queries
from koppontren.members import services as members
from koppontren.shop import services
from koppontren.shop.models import PAYMENTS, Party, Product, Sale
from koppontren.shop.services import MAX_LINES, MAX_QTY, SaleItem, SaleOrder, ShopError
from koppontren.tenancy.models import Cooperative

FIELDS = frozenset({"date", "lines", "member", "customer", "payment", "cash_received", "cash_account", "card"})
LINE_FIELDS = frozenset({"sku", "product_id", "quantity", "unit_price"})
MAX_KEY = 200
MAX_CARD = 200
MAX_SKU = 40
MAX_CODE = 30
MAX_ACCOUNT = 20
AMOUNT_RE = re.compile(r"[0-9]{1,15}(\.[0-9]{1,2})?")
#: a quantity as a decimal string: a whole number of the product's unit, zero decimals allowed ("2.000")
QUANTITY_RE = re.compile(r"[0-9]{1,10}(\.0{1,3})?")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class LineRequest:
    """One line as asked: the product by ``sku`` or by ``product_id`` (one of them), the units, and
    the unit price the caller expects (a decimal string), if it says."""

    quantity: int
    sku: str | None = None
    product_id: int | None = None
    unit_price: str | None = None


@dataclass(frozen=True)
class SaleRequest:
    """A sale as asked, shape checked: codes not yet looked up, amounts still decimal strings."""

    lines: tuple[LineRequest, ...]
    payment: str
    member: str | None = None
    customer: str | None = None
    cash_received: str | None = None
    cash_account: str | None = None
    card: str | None = None
    day: date | None = None


# --- 1. the shape --------------------------------------------------------------------------------

def parse(data, *, code: str = "invalid_request") -> SaleRequest:
    """Check the shape of a sale's JSON. Raises ShopError(``code``) naming every wrong field: the
    POS answers it as ``invalid_request`` (400), the API as ``validation_error`` (422)."""
    if not isinstance(data, dict):
        raise ShopError(code, _l("Permintaan harus berupa objek JSON."), {"body": _l("Bukan objek JSON.")})
    problems: dict[str, object] = {name[:200]: _l("Kolom tidak dikenal.") for name in data if name not in FIELDS}
    lines = _lines(data.get("lines"), problems)
    payment = data.get("payment")
    if payment not in PAYMENTS:
        problems["payment"] = _l("Cara bayar: tunai, transfer bank, kredit anggota atau dompet santri.")
    member = _text(data, "member", MAX_CODE, problems)
    customer = _text(data, "customer", MAX_CODE, problems)
    card = _text(data, "card", MAX_CARD, problems)
    cash_account = _text(data, "cash_account", MAX_ACCOUNT, problems)
    received = _amount(data, "cash_received", problems)
    day = _date(data.get("date"), problems)
    _cross_field_rules(data, payment, problems)
    if problems:
        raise ShopError(code, next(iter(problems.values())), problems)
    return SaleRequest(lines, payment, member, customer, received, cash_account, card.strip() if card else None, day)


def _lines(value, problems: dict) -> tuple[LineRequest, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LINES:
        problems["lines"] = _l("Isi 1 sampai %(n)s baris barang.", n=MAX_LINES)
        return ()
    return tuple(line for n, item in enumerate(value, start=1) if (line := _line(item, f"lines.{n}", problems)) is not None)


def _line(item, where: str, problems: dict) -> LineRequest | None:
    if not isinstance(item, dict):
        problems[where] = _l("Baris harus berupa objek.")
        return None
    before = len(problems)
    problems.update({f"{where}.{name}"[:200]: _l("Kolom tidak dikenal.") for name in item if name not in LINE_FIELDS})
    sku, product_id = item.get("sku"), item.get("product_id")
    if ("sku" in item) == ("product_id" in item):
        problems[f"{where}.sku"] = _l("Isi sku atau product_id (salah satu).")
    elif "sku" in item and not (isinstance(sku, str) and 1 <= len(sku) <= MAX_SKU and _storable(sku)):
        problems[f"{where}.sku"] = _l("SKU tidak sah.")
    elif "product_id" in item and not (_is_int(product_id) and product_id > 0):
        problems[f"{where}.product_id"] = _l("Produk tidak sah.")
    quantity = quantity_of(item.get("quantity"))
    if quantity is None:
        problems[f"{where}.quantity"] = _l("Jumlah barang harus bilangan bulat lebih dari nol.")
    unit_price = _amount(item, "unit_price", problems, where=f"{where}.unit_price")
    if len(problems) > before:
        return None
    return LineRequest(quantity, sku=sku, product_id=product_id, unit_price=unit_price)


def quantity_of(value) -> int | None:
    """A quantity from JSON: an integer, or a decimal string of a whole number (``"2"``,
    ``"2.000"``), from 1 to MAX_QTY; None for anything else (a float, ``"2.5"``, ``"1e3"``, 0)."""
    if isinstance(value, str) and QUANTITY_RE.fullmatch(value):
        value = int(Decimal(value))
    if not _is_int(value, limit=MAX_QTY + 1) or not 0 < value <= MAX_QTY:
        return None
    return value


def _cross_field_rules(data: dict, payment, problems: dict) -> None:
    if "member" in data and "customer" in data:
        problems["customer"] = _l("Isi anggota atau pelanggan, tidak keduanya.")
    if payment == "wallet" and "card" not in data:
        problems["card"] = _l("Pembayaran dompet perlu kartu santri.")
    elif payment != "wallet" and "card" in data:
        problems["card"] = _l("Kartu hanya untuk pembayaran dompet.")
    if "cash_account" in data and payment not in ("cash", "bank"):
        problems["cash_account"] = _l("Akun kas hanya untuk pembayaran tunai atau transfer bank.")


def _text(data: dict, name: str, max_length: int, problems: dict) -> str | None:
    if name not in data:
        return None
    value = data[name]
    if not isinstance(value, str) or not value.strip() or len(value) > max_length or not _storable(value):
        problems[name] = _l("Isi teks 1 sampai %(n)s karakter.", n=max_length)
        return None
    return value


def _amount(data: dict, name: str, problems: dict, *, where: str | None = None) -> str | None:
    if name not in data:
        return None
    value = data[name]
    if not isinstance(value, str) or not AMOUNT_RE.fullmatch(value):
        problems[where or name] = _l("Jumlah harus berupa teks desimal seperti \"1500000\" atau \"1500000.00\".")
        return None
    return value


def _date(value, problems: dict) -> date | None:
    if value is None:
        return None
    try:
        if isinstance(value, str) and DATE_RE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    problems["date"] = _l("Tanggal harus YYYY-MM-DD.")
    return None


def _is_int(value, limit: int = 2**31) -> bool:
    """A real JSON integer (not a boolean) that fits the database's INTEGER."""
    return isinstance(value, int) and not isinstance(value, bool) and -limit < value < limit


def _storable(text: str) -> bool:
    """No NUL (PostgreSQL refuses it in text) and no lone surrogate (not encodable as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def idempotency_key(value: str | None) -> str | None:
    """The ``Idempotency-Key`` header of the POS: printable text of at most MAX_KEY characters.
    Raises ShopError(``invalid_request``)."""
    if value is None or not value.strip():
        return None
    if len(value.strip()) > MAX_KEY or not _storable(value):
        raise ShopError("invalid_request", _l("Kunci idempotensi harus teks paling banyak %(n)s karakter.", n=MAX_KEY),
                        {"idempotency_key": _l("Kunci idempotensi harus teks paling banyak %(n)s karakter.", n=MAX_KEY)})
    return value.strip()


# --- 2. the rows it names ------------------------------------------------------------------------

def resolve(coop: Cooperative, req: SaleRequest) -> SaleOrder:
    """The :class:`SaleOrder` of a shape-checked request: products, member, customer and cash account
    of this cooperative. Raises ShopError(``unknown_product`` | ``unknown_member`` |
    ``unknown_customer``), an amount's code (``invalid_amount``, ``too_many_decimals``, …) or the
    cash account's (``invalid_account``, ``not_cash_account``). Products named by id are not read
    here: the sale's product lock refuses an unknown one (``unknown_product`` too), so the POS's sale
    costs no extra round trip."""
    by_sku = _ids_by_sku(coop, [line.sku for line in req.lines if line.sku is not None])
    items = tuple(_item(coop, line, n, by_sku) for n, line in enumerate(req.lines, start=1))
    member_id = _member_id(coop, req.member) if req.member is not None else None
    party_id = _customer_id(coop, req.customer) if req.customer is not None else None
    received = _rupiah(coop, req.cash_received, "cash_received") if req.cash_received is not None else None
    account_id = None
    if req.cash_account is not None:
        account_id = cashbank.cash_account(coop, req.cash_account, "cash_account", roles=cashbank.SALE_ROLES).id
    return SaleOrder(items, member_id=member_id, party_id=party_id, payment=req.payment,
                     cash_received=received if req.payment == "cash" else None, day=req.day, account_id=account_id, card=req.card)


def _ids_by_sku(coop: Cooperative, skus: list[str]) -> dict[str, int]:
    """sku -> product id, for every SKU the lines name, in one query."""
    if not skus:
        return {}
    return dict(db.session.execute(select(Product.sku, Product.id).where(Product.cooperative_id == coop.id, Product.sku.in_(set(skus)))).all())


def _item(coop: Cooperative, line: LineRequest, n: int, by_sku: dict[str, int]) -> SaleItem:
    product_id = line.product_id
    if line.sku is not None:
        product_id = by_sku.get(line.sku)
        if product_id is None:
            raise ShopError("unknown_product", _l("Produk %(s)s tidak ada.", s=line.sku), {f"lines.{n}.sku": _l("Tidak ada.")})
    price = None
    if line.unit_price is not None:
        price = money.to_sen(_rupiah(coop, line.unit_price, f"lines.{n}.unit_price", allow_zero=True))
    return SaleItem(product_id, line.quantity, price)


def _member_id(coop: Cooperative, number: str) -> int:
    found = members.get_by_number(coop, number)
    if found is None:
        raise ShopError("unknown_member", _l("Anggota %(n)s tidak ada.", n=number), {"member": _l("Tidak ada.")})
    return found.id


def _customer_id(coop: Cooperative, code: str) -> int:
    party = db.session.scalar(select(Party).where(Party.cooperative_id == coop.id, Party.code == code))
    if party is None or party.kind != "customer":
        message = _l("Pelanggan %(c)s tidak ada.", c=code)
        raise ShopError("unknown_customer", message, {"customer": message})
    return party.id


def _rupiah(coop: Cooperative, text: str, field: str, *, allow_zero: bool = False) -> Decimal:
    try:
        return money.parse_amount_api(text, coop.currency_decimals, allow_zero=allow_zero)
    except money.MoneyError as err:
        locale = get_locale()
        message = err.message if locale is not None and locale.language == "en" else err.message_id
        raise ShopError(err.code, message, {field: message}) from None


# --- 3. recording it once ------------------------------------------------------------------------

def sell(coop: Cooperative, order: SaleOrder, *, actor=None, idempotency_key: str | None = None) -> tuple[Sale, bool]:
    """Record the sale once per idempotency key; returns (sale, replayed). The key is the command's
    (``shop.sale`` in the one table of operation keys): a second request with the same key and the
    same order (a double click, a retry after a lost answer, by SKU or by product id) gets the first
    sale back — even when the stock it would need has meanwhile been sold, the card's balance spent
    or the day closed; the same key with another order, another buyer or another card is refused
    with ShopError(``idempotency_conflict``) naming the sale that holds it.

    Refusals are record_sale's ShopError (``insufficient_stock``, ``credit_limit``, ``cash_short``,
    …) or, paid with a santri's card, the wallet's WalletError (``card_refused``, …)."""
    try:
        sale = services.record_sale_order(coop, order, actor=actor, idempotency_key=idempotency_key)
    except ShopError as err:
        if err.code != "idempotency_conflict":
            raise
        held = _sale_holding(coop, idempotency_key)
        raise ShopError("idempotency_conflict", _l("Kunci idempotensi ini sudah dipakai untuk penjualan lain (%(n)s).",
                                                   n=held.voucher if held else idempotency_key),
                        {"idempotency_key": _l("Sudah dipakai.")}) from None
    return sale, bool(getattr(sale, "was_replayed", False))


def _sale_holding(coop: Cooperative, key: str | None) -> Sale | None:
    """The sale whose entry carries this key (the conflict names it for the cashier)."""
    entry = queries.get_entry_by_key(coop, key) if key else None
    if entry is None:
        return None
    return db.session.scalar(select(Sale).where(Sale.cooperative_id == coop.id, Sale.entry_id == entry.id))
