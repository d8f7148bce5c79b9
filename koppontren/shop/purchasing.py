"""The back office's money with suppliers: purchase returns and supplier payments, and the reads
of the purchase and party pages.

A purchase return sends goods back: the stock leaves at moving average (``issue_cost``) while the
supplier gives back what the goods cost on the invoice, so the difference goes to 5301 Selisih
Persediaan and the inventory account keeps equal to the sum of the products' stock values. A
supplier payment settles the payable 2101 of one supplier, never above what is owed. Each is one
unit of work that locks what it changes, posts one entry, is audited, and raises ShopError on a
refusal with nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.shop import postings
from koppontren.shop.models import BUSINESS_UNITS, Party, Product, Purchase, PurchaseLine, ShopPayment
from koppontren.shop.services import (
    UNIT_ROLES,
    ShopError,
    _day,
    _error,
    _lock_products,
    _move,
    _pay_account,
    _post,
    _sen,
    _smallest_unit,
    _supplier_settlement,
    _wanted,
    get_party,
    issue_cost,
    shop_command,
)
from koppontren.tenancy.models import Cooperative

ACTION_LABELS.update({
    "shop.purchase_return": _l("Retur pembelian dicatat"),
    "shop.supplier_payment": _l("Pembayaran pemasok dicatat"),
})


@dataclass(frozen=True)
class ReturnItem:
    """Units of one product of the purchase that go back to the supplier."""

    product_id: int
    qty: int


# --- reading -------------------------------------------------------------------------------------

def get_purchase(coop: Cooperative, purchase_id: int) -> Purchase | None:
    if isinstance(purchase_id, bool) or not isinstance(purchase_id, int):
        return None
    return db.session.scalar(select(Purchase).where(Purchase.cooperative_id == coop.id, Purchase.id == purchase_id))


def purchase_lines(coop: Cooperative, purchase: Purchase) -> list[PurchaseLine]:
    return list(db.session.scalars(select(PurchaseLine).where(PurchaseLine.cooperative_id == coop.id,
                                                              PurchaseLine.purchase_id == purchase.id).order_by(PurchaseLine.line_no)))


def returns_of(coop: Cooperative, purchase: Purchase) -> list[Purchase]:
    """The purchase returns made against a purchase, oldest first."""
    return list(db.session.scalars(select(Purchase).where(Purchase.cooperative_id == coop.id, Purchase.returns_purchase_id == purchase.id)
                                   .order_by(Purchase.id)))


def returned_qty(coop: Cooperative, purchase: Purchase) -> dict[int, int]:
    """product_id -> units of this purchase already sent back."""
    rows = db.session.execute(
        select(PurchaseLine.product_id, func.sum(PurchaseLine.qty))
        .join(Purchase, (Purchase.cooperative_id == PurchaseLine.cooperative_id) & (Purchase.id == PurchaseLine.purchase_id))
        .where(PurchaseLine.cooperative_id == coop.id, Purchase.returns_purchase_id == purchase.id).group_by(PurchaseLine.product_id))
    return {pid: int(q) for pid, q in rows}


def supplier_owed(coop: Cooperative, party_id: int, as_of: date | None = None) -> int:
    """What the cooperative owes the supplier on 2101 Utang Usaha (sen; negative when a return
    left the supplier owing the cooperative)."""
    account = chart.account_for(coop, "payable_supplier")
    net = queries.party_balances(coop, [account.id], [party_id], as_of=as_of).get(party_id, {}).get(account.id, 0)
    return -net


def supplier_balances(coop: Cooperative, party_ids) -> dict[int, int]:
    """party_id -> owed on 2101 (sen), for a list page in one query."""
    account = chart.account_for(coop, "payable_supplier")
    return {pid: -nets.get(account.id, 0) for pid, nets in queries.party_balances(coop, [account.id], party_ids).items()}


def party_purchases(coop: Cooperative, party_id: int, limit: int = 100) -> list[Purchase]:
    """The party's purchases and purchase returns, newest first."""
    return list(db.session.scalars(select(Purchase).where(Purchase.cooperative_id == coop.id, Purchase.party_id == party_id)
                                   .order_by(Purchase.purchase_date.desc(), Purchase.id.desc()).limit(limit)))


def party_payments(coop: Cooperative, party_id: int, limit: int = 100) -> list[ShopPayment]:
    return list(db.session.scalars(select(ShopPayment).where(ShopPayment.cooperative_id == coop.id, ShopPayment.party_id == party_id)
                                   .order_by(ShopPayment.payment_date.desc(), ShopPayment.id.desc()).limit(limit)))


def list_purchases(coop: Cooperative, *, party_id: int | None = None, date_from: date | None = None, date_to: date | None = None,
                   page: int = 1, per_page: int = 50) -> tuple[list[Purchase], int]:
    """Purchases and returns, newest first, with the list page's filters; (rows, total)."""
    stmt = select(Purchase).where(Purchase.cooperative_id == coop.id)
    if party_id is not None:
        stmt = stmt.where(Purchase.party_id == party_id)
    if date_from is not None:
        stmt = stmt.where(Purchase.purchase_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(Purchase.purchase_date <= date_to)
    total = int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = list(db.session.scalars(stmt.order_by(Purchase.purchase_date.desc(), Purchase.id.desc())
                                   .limit(per_page).offset((max(page, 1) - 1) * per_page)))
    return rows, total


def parties_by_id(coop: Cooperative, ids) -> dict[int, Party]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Party).where(Party.cooperative_id == coop.id, Party.id.in_(ids)))}


def products_by_id(coop: Cooperative, ids) -> dict[int, Product]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Product).where(Product.cooperative_id == coop.id, Product.id.in_(ids)))}


# --- locks ---------------------------------------------------------------------------------------

def _lock_purchase(coop: Cooperative, purchase_id: int) -> Purchase | None:
    """Lock the purchase row: two returns of the same purchase run one after the other."""
    if isinstance(purchase_id, bool) or not isinstance(purchase_id, int):
        return None
    return db.session.scalar(select(Purchase).where(Purchase.cooperative_id == coop.id, Purchase.id == purchase_id)
                             .with_for_update().execution_options(populate_existing=True))


def _lock_party(coop: Cooperative, party_id: int) -> Party | None:
    """Lock the party row: two payments to one supplier never both pass the "owed" check."""
    if isinstance(party_id, bool) or not isinstance(party_id, int):
        return None
    return db.session.scalar(select(Party).where(Party.cooperative_id == coop.id, Party.id == party_id)
                             .with_for_update().execution_options(populate_existing=True))


# --- purchase return -----------------------------------------------------------------------------

def _pieces(lines: list[PurchaseLine], already: int, qty: int) -> list[tuple[int, int]]:
    """The (qty, unit cost) pieces of the next ``qty`` units of one product on the purchase, after
    the ``already`` returned ones — taken in line order, so each returned unit carries the exact
    price it was invoiced at even when the product sits on several lines."""
    pieces = []
    skip, left = already, qty
    for line in lines:
        available = line.qty - min(skip, line.qty)
        skip = max(0, skip - line.qty)
        take = min(available, left)
        if take > 0:
            pieces.append((take, line.unit_cost))
            left -= take
        if left == 0:
            break
    return pieces


def paid_from_account_id(coop: Cooperative, purchase: Purchase) -> int | None:
    """The cash or bank account the purchase was paid from (its entry's money line)."""
    entry = queries.get_entry(coop, purchase.entry_id)
    return next((ln.account_id for ln in entry.lines if ln.credit and ln.account.cash_flow == "cash"), None) if entry else None


def record_purchase_return(coop: Cooperative, purchase_id: int, *, items: list[ReturnItem], day: date | None = None,
                           account_id: int | None = None, actor=None, idempotency_key: str | None = None) -> Purchase:
    """Goods back to the supplier (retur pembelian, one PB entry): the supplier gives back the
    invoiced cost of the returned units — in cash or bank for a cash/bank purchase (by default into
    the account it was paid from), or off its payable 2101 for a credit one (a debit note: it may
    leave the supplier owing the cooperative). The units leave the stock at moving average; the
    difference between their invoiced cost and that average goes to 5301
    (``postings.purchase_return_lines``).

    At most what was bought less what was already returned, and only what is still in stock.
    Raises ShopError(``not_found`` | ``invalid_date`` | ``invalid_qty`` | ``return_too_much`` |
    ``insufficient_stock`` | ``invalid_account`` | ``invalid_amount`` | ledger codes)."""
    return _record_purchase_return(coop, _PurchaseReturn(purchase_id, tuple(items or ()), day, account_id), actor=actor,
                                   idempotency_key=idempotency_key)


@dataclass(frozen=True)
class _PurchaseReturn:
    purchase_id: int
    items: tuple[ReturnItem, ...]
    day: date | None
    account_id: int | None


@dataclass(frozen=True)
class _Returned:
    """One product going back: its units, the invoice pieces they are taken from (qty, unit cost),
    and their cost at moving average (sen)."""

    product: Product
    qty: int
    pieces: list[tuple[int, int]]
    at_average: int

    def goods(self) -> postings.ReturnedGoods:
        return postings.ReturnedGoods(self.product.business_unit, sum(q * c for q, c in self.pieces), self.at_average)


@shop_command("shop.purchase_return")
def _record_purchase_return(coop: Cooperative, request: _PurchaseReturn, *, actor=None, idempotency_key: str | None = None) -> Purchase:
    original = _lock_purchase(coop, request.purchase_id)
    if original is None or original.returns_purchase_id is not None:
        raise _error("not_found", _l("Pembelian tidak ditemukan."), "purchase")
    entry_day = _day(request.day)
    if entry_day < original.purchase_date:
        raise _error("invalid_date", _l("Tanggal retur tidak boleh sebelum tanggal pembelian."), "date")
    returned = _goods_sent_back(coop, original, _wanted(request.items, empty_message=_l("Pilih barang yang diretur.")))
    goods = [r.goods() for r in returned]
    refund, at_average = sum(g.invoiced for g in goods), sum(g.at_average for g in goods)
    party = get_party(coop, original.party_id)
    settlement = _supplier_settlement(coop, party, original.payment, request.account_id,
                                      None if original.payment == "credit" else paid_from_account_id(coop, original)) if refund else None
    if not refund and not at_average:
        raise _error("invalid_amount", _l("Barang ini tidak bernilai: tidak ada yang perlu dibukukan."), "lines")
    lines = postings.purchase_return_lines(goods, settlement, chart.accounts_by_role(coop, [*_inventory_roles(), "stock_adjustment"]))
    entry = _post(coop, entry_date=entry_day, description=f"Retur pembelian {original.voucher} ke {party.code} {party.name}"[:500],
                  journal_type="PB", lines=list(lines), actor=actor, idempotency_key=idempotency_key)
    ret = Purchase(cooperative_id=coop.id, party_id=original.party_id, returns_purchase_id=original.id, purchase_date=entry_day,
                   payment=original.payment, invoice=None, total=refund, entry_id=entry.id, voucher=entry.number,
                   created_by_id=getattr(actor, "id", None))
    db.session.add(ret)
    db.session.flush()
    _store_returned(coop, ret, returned, entry, entry_day)
    record("shop.purchase_return", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=entry.number,
           original=original.voucher, total=str(money.from_sen(refund)), difference=str(money.from_sen(refund - at_average)))
    return ret


def _inventory_roles() -> list[str]:
    return [UNIT_ROLES[unit][0] for unit in BUSINESS_UNITS]


def _goods_sent_back(coop: Cooperative, original: Purchase, wanted: dict[int, int]) -> list[_Returned]:
    """The units of each product going back, in product id order: never more than was bought less
    what went back already, never a consignment product, never more than the stock holds."""
    bought: dict[int, list[PurchaseLine]] = {}
    for line in purchase_lines(coop, original):
        bought.setdefault(line.product_id, []).append(line)
    back = returned_qty(coop, original)
    for pid, qty in wanted.items():
        if pid not in bought or qty > sum(ln.qty for ln in bought[pid]) - back.get(pid, 0):
            raise _error("return_too_much", _l("Retur melebihi jumlah yang dibeli (dikurangi yang sudah diretur)."), "lines")
    products = _lock_products(coop, wanted)
    unit = _smallest_unit(coop)
    out = []
    for pid in sorted(wanted):
        product, qty = products[pid], wanted[pid]
        if product.consignor_id is not None:  # its stock now is a consignor's goods, not what was bought
            raise _error("consignment_product", _l("%(p)s sekarang barang titipan: tidak bisa diretur ke pemasok.", p=product.name), "lines")
        if qty > product.qty:
            raise _error("insufficient_stock", _l("Stok %(p)s tinggal %(q)s %(u)s: barang yang sudah terjual tidak bisa diretur.",
                                                  p=product.name, q=product.qty, u=product.unit), "lines")
        out.append(_Returned(product, qty, _pieces(bought[pid], back.get(pid, 0), qty),
                             issue_cost(product.qty, product.stock_value, qty, unit)))
    return out


def _store_returned(coop: Cooperative, ret: Purchase, returned: list[_Returned], entry, day: date) -> None:
    """The return's lines (one per invoice piece) and the stock leaving at moving average."""
    line_no = 0
    for r in returned:
        for piece_qty, unit_cost in r.pieces:
            line_no += 1
            db.session.add(PurchaseLine(cooperative_id=coop.id, purchase_id=ret.id, line_no=line_no, product_id=r.product.id,
                                        qty=piece_qty, unit_cost=unit_cost, total=piece_qty * unit_cost))
        _move(coop, r.product, kind="purchase_return", qty=-r.qty, value=-r.at_average, day=day, entry=entry)


# --- supplier payment ----------------------------------------------------------------------------

@shop_command("shop.supplier_payment")
def pay_supplier(coop: Cooperative, party_id: int, *, amount: Decimal, day: date | None = None, account_id: int | None = None,
                 actor=None, idempotency_key: str | None = None) -> ShopPayment:
    """Pay a supplier what the cooperative owes it: ``Dr 2101 Utang Usaha (supplier) / Cr Kas or
    Bank`` (default Kas Besar), one KK entry. Refused above what is owed — now, and on the payment's
    date, so a backdated payment cannot pay an invoice booked after it. The same
    ``idempotency_key`` again returns the first payment (before anything is checked: a replay of a
    payment that cleared the debt is not an overpayment).

    Raises ShopError(``not_found`` | ``invalid_amount`` | ``invalid_date`` | ``invalid_account`` |
    ``overpayment`` | ledger codes such as ``period_closed``), OperationConflict (``idempotency_conflict``)."""
    party = _lock_party(coop, party_id)
    if party is None or party.kind != "supplier":
        raise _error("not_found", _l("Pemasok tidak ditemukan."), "party")
    sen = _sen(coop, amount, "amount", allow_zero=False)
    entry_day = _day(day)
    account = _pay_account(coop, "cash", account_id, "cash")
    owed = max(0, min(supplier_owed(coop, party.id), supplier_owed(coop, party.id, as_of=entry_day)))
    if sen > owed:
        raise _overpayment(coop, party, owed)
    entry = _post(coop, entry_date=entry_day, description=f"Pembayaran utang kepada {party.code} {party.name}"[:500],
                  journal_type="KK", actor=actor, idempotency_key=idempotency_key,
                  lines=list(postings.settlement_lines(
                      sen, debit=postings.Settlement(chart.account_for(coop, "payable_supplier"), party_id=party.id),
                      credit=postings.Settlement(account))))
    payment = ShopPayment(cooperative_id=coop.id, kind="supplier", party_id=party.id, payment_date=entry_day, amount=sen,
                          account_name=f"{account.code} {account.name_id}"[:200], entry_id=entry.id, voucher=entry.number,
                          created_by_id=getattr(actor, "id", None))
    db.session.add(payment)
    db.session.flush()
    record("shop.supplier_payment", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=entry.number,
           party=party.code, amount=str(money.from_sen(sen)))
    return payment


def _overpayment(coop: Cooperative, party: Party, owed: int) -> ShopError:
    return _error("overpayment", _l("Utang kepada %(p)s hanya %(o)s.", p=party.name,
                                    o=money.format_idr(money.from_sen(owed), coop.currency_decimals)), "amount")
