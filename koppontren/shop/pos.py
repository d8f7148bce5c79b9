"""The cashier's side of the shop: what the POS screen asks (products by code or name, members by
number, name or card, with the credit they have left) and the sale it submits as JSON.

``sell`` makes the counter idempotent: the POS sends a fresh key per sale, and a second request
with the same key (a double click, a retry after a lost answer) gets the first sale back instead
of selling again — even when the stock it would need has meanwhile been sold. A fresh key (nearly
every request) costs no lookup: the ledger's claim refuses a used key under its lock, and only then
is the earlier sale looked up. The ledger's own idempotency (DESIGN.md §3) compares the posted
lines, which a moving-average cost can make differ on a retry; the sale's request (lines, member,
payment) is compared here instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren import money
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.members import services as members
from koppontren.shop import payments, services
from koppontren.shop.models import PAYMENTS, Product, Sale
from koppontren.shop.services import MAX_LINES, SaleItem, ShopError
from koppontren.tenancy.models import Cooperative

MAX_KEY = 200
MAX_CARD = 200
SEARCH_LIMIT = 20


def amount_text(coop: Cooperative, amount_sen: int) -> str:
    """An amount for JSON: a decimal string in the cooperative's decimals ("72000", "72000.50")."""
    return str(money.quantize(money.from_sen(amount_sen), coop.currency_decimals))


# --- lookups -------------------------------------------------------------------------------------

def product_json(coop: Cooperative, product: Product) -> dict:
    return {"id": product.id, "sku": product.sku, "barcode": product.barcode, "name": product.name, "unit": product.unit,
            "price": amount_text(coop, product.price),
            "member_price": None if product.member_price is None else amount_text(coop, product.member_price),
            "qty": product.qty}


def find_products(coop: Cooperative, text: str | None) -> tuple[Product | None, list[Product]]:
    """(the active product whose barcode or SKU is exactly ``text``, active products matching it by
    name, SKU or barcode). A scanner's code lands in ``exact``; a typed name in the list."""
    text = (text or "").strip()[:100]
    exact = services.find_product(coop, text) if text else None
    if exact is not None and not exact.active:
        exact = None
    return exact, services.search_products(coop, text or None, limit=SEARCH_LIMIT)


@dataclass(frozen=True)
class MemberCredit:
    """What the POS shows of a member: who, and how much more they may buy on credit (sen)."""

    id: int
    number: str
    name: str
    category: str
    limit: int
    owed: int

    @property
    def available(self) -> int:
        return max(self.limit - self.owed, 0)


def member_credits(coop: Cooperative, found) -> list[MemberCredit]:
    """Each member's credit limit (their category's) and receivable owed, in one grouped query."""
    found = list(found)
    if not found:
        return []
    receivable = chart.account_for(coop, "receivable_member").id
    owed = queries.member_balances(coop, [receivable], [m.id for m in found])
    limits: dict[str, int] = {}
    out = []
    for m in found:
        if m.category not in limits:
            limits[m.category] = services.credit_limit(coop, m.category)
        out.append(MemberCredit(m.id, m.number, m.name, m.category, limits[m.category], owed.get(m.id, {}).get(receivable, 0)))
    return out


def find_members(coop: Cooperative, text: str | None) -> tuple[MemberCredit | None, list[MemberCredit]]:
    """(the active member whose number is exactly ``text`` — typed, or scanned from the member
    card, which carries the number as a barcode —, active members matching by name or number)."""
    text = (text or "").strip()[:100]
    if not text:
        return None, []
    exact = members.get_by_number(coop, text)
    if exact is not None and exact.status != "aktif":
        exact = None
    hits, _total = members.search(coop, text=text, status="aktif", per_page=SEARCH_LIMIT)
    credits = {c.id: c for c in member_credits(coop, [*([exact] if exact else []), *hits])}
    return (credits[exact.id] if exact else None), [credits[m.id] for m in hits]


def member_json(coop: Cooperative, credit: MemberCredit) -> dict:
    return {"id": credit.id, "number": credit.number, "name": credit.name, "category": credit.category,
            "category_label": str(members.CATEGORY_LABELS.get(credit.category, credit.category)),
            "credit_limit": amount_text(coop, credit.limit), "credit_owed": amount_text(coop, credit.owed),
            "credit_available": amount_text(coop, credit.available)}


# --- the sale request ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SaleRequest:
    """A checked POS submission: lines, the member (or None), payment, cash handed over (rupiah), the
    santri's card (payment ``wallet``)."""

    items: tuple[SaleItem, ...]
    member_id: int | None
    payment: str
    cash_received: Decimal | None
    idempotency_key: str | None
    card: str | None = None  # payment "wallet": the santri's card token as scanned


def _is_int(value) -> bool:
    """An id or quantity from JSON: a real int that fits the database's INTEGER."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) < value < 2**31


def parse_sale_request(coop: Cooperative, data, header_key: str | None = None) -> SaleRequest:
    """Check the shape of the POS's JSON (DESIGN.md §3 API: amounts as decimal strings, never
    floats); the rules of selling are record_sale's. Raises ShopError(``invalid_request``) naming
    every wrong field."""
    if not isinstance(data, dict):
        raise ShopError("invalid_request", _l("Permintaan harus berupa objek JSON."), {"body": _l("Bukan objek JSON.")})
    problems: dict[str, object] = {}
    items = data.get("items")
    parsed: list[SaleItem] = []
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_LINES:
        problems["items"] = _l("Isi 1 sampai %(n)s baris barang.", n=MAX_LINES)
    else:
        for n, item in enumerate(items, start=1):
            if not isinstance(item, dict) or not _is_int(item.get("product_id")):
                problems[f"items.{n}.product_id"] = _l("Produk tidak sah.")
            elif not _is_int(item.get("qty")) or not 0 < item["qty"] <= services.MAX_QTY:
                problems[f"items.{n}.qty"] = _l("Jumlah barang harus bilangan bulat lebih dari nol.")
            else:
                parsed.append(SaleItem(item["product_id"], item["qty"]))
    member_id = data.get("member_id")
    if member_id is not None and not _is_int(member_id):
        problems["member_id"] = _l("Anggota tidak sah.")
    payment = data.get("payment")
    if payment not in PAYMENTS:
        problems["payment"] = _l("Cara bayar: tunai, transfer bank, kredit anggota atau dompet santri.")
    card = data.get("card")
    if payment == "wallet":
        if not isinstance(card, str) or not card.strip() or len(card.strip()) > MAX_CARD:
            problems["card"] = _l("Pindai kartu santri.")
        else:
            card = card.strip()
    else:
        card = None
    received = data.get("cash_received")
    if received is not None and received != "":
        try:
            received = money.parse_amount_api(received, coop.currency_decimals)
        except money.MoneyError:
            problems["cash_received"] = _l("Uang diterima harus berupa angka desimal seperti \"100000\".")
    else:
        received = None
    key = data.get("idempotency_key")
    if key is None:
        key = header_key
    if key is not None and (not isinstance(key, str) or len(key.strip()) > MAX_KEY):
        problems["idempotency_key"] = _l("Kunci idempotensi harus teks paling banyak %(n)s karakter.", n=MAX_KEY)
    if problems:
        raise ShopError("invalid_request", next(iter(problems.values())), problems)
    return SaleRequest(tuple(parsed), member_id, payment, received if payment == "cash" else None,
                       (key or "").strip() or None, card)


# --- selling -------------------------------------------------------------------------------------

def sale_by_key(coop: Cooperative, key: str) -> Sale | None:
    """The sale posted with this idempotency key, if any."""
    entry = queries.get_entry_by_key(coop, key)
    if entry is None:
        return None
    return db.session.scalar(select(Sale).where(Sale.cooperative_id == coop.id, Sale.entry_id == entry.id, Sale.returns_sale_id.is_(None)))


def _quantities(items) -> dict[int, int]:
    out: dict[int, int] = {}
    for item in items:
        out[item.product_id] = out.get(item.product_id, 0) + item.qty
    return out


def _replay(coop: Cooperative, sale: Sale, req: SaleRequest) -> Sale:
    # a wallet sale's member is the card's santri's, not one the POS sent
    same = ((sale.member_id == req.member_id or (req.payment == "wallet" and req.member_id is None)) and sale.payment == req.payment
            and _quantities(services.sale_lines(coop, sale)) == _quantities(req.items))
    method = payments.get(sale.payment)
    if same and method is not None:  # a card payment: the same key must come with the same payer's card
        same = method.paid_by(coop, sale, card=req.card)
    if not same:
        raise ShopError("idempotency_conflict", _l("Kunci idempotensi ini sudah dipakai untuk penjualan lain (%(n)s).", n=sale.voucher),
                        {"idempotency_key": _l("Sudah dipakai.")})
    return sale


def sell(coop: Cooperative, req: SaleRequest, *, actor=None) -> tuple[Sale, bool]:
    """Record the POS's sale once per idempotency key; returns (sale, replayed). Refusals are
    record_sale's ShopError (``insufficient_stock``, ``credit_limit``, ``cash_short``, …) or, paid
    with a santri's card, the wallet's WalletError (``card_refused``, ``insufficient_balance``,
    ``limit_exceeded``)."""
    key = req.idempotency_key
    try:
        sale = services.record_sale(coop, items=list(req.items), member_id=req.member_id, payment=req.payment,
                                    cash_received=req.cash_received, actor=actor, idempotency_key=key, card=req.card)
    except DomainError:
        # A key used before: the ledger refused it (the same key with other lines, e.g. another
        # moving-average cost), or a rule does now (the stock sold meanwhile, the day closed);
        # or the twin request with the same key committed while this one waited for the locks.
        prior = sale_by_key(coop, key) if key else None
        if prior is None:
            raise
        return _replay(coop, prior, req), True
    if getattr(sale, "was_replayed", False):  # the ledger replayed the entry: the same lines
        return _replay(coop, sale, req), True
    return sale, False


def change_due(sale: Sale) -> int | None:
    """Change to hand back (sen) for a cash sale where the cash received was entered."""
    if sale.payment != "cash" or sale.cash_received is None:
        return None
    return sale.cash_received - sale.total
