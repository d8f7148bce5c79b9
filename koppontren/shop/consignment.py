"""Consignment (titip jual): goods of a santri, alumnus or another pesantren that the shop sells for
a commission (RULES.md §3, REFERENCE.md 2102/4203).

The goods stay the consignor's until sold, so their arrival and return move stock quantity only:
``consignment_in``/``consignment_out`` StockMoves of value 0 with no journal entry (there is no
amount to post; the move names the consignor as its reference). A sale of a consignment product
(``services.record_sale``) credits 2102 Utang Konsinyasi for the consignor's share and 4203 for
the commission; ``settle_consignor`` pays the consignor (Dr 2102 / Cr Kas or Bank). What the
cooperative owes each consignor is their party subledger on 2102.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.posting import is_period_closed
from koppontren.shop import postings
from koppontren.shop.models import Party, Product, ShopPayment, StockMove
from koppontren.shop.services import (
    ShopError,
    _day,
    _error,
    _lock_products,
    _move,
    _pay_account,
    _post,
    _qty,
    _sen,
    shop_command,
)
from koppontren.tenancy.models import Cooperative

ACTION_LABELS.update({
    "shop.consignment_set": _l("Produk titipan diatur"),
    "shop.consignment_in": _l("Barang titipan diterima"),
    "shop.consignment_out": _l("Barang titipan dikembalikan"),
    "shop.consignor_settled": _l("Penitip dibayar"),
})
MAX_LINES = 200


@dataclass(frozen=True)
class ConsignorSummary:
    """One consignor on the consignment page: ``owed`` is what the cooperative owes them (sen, the
    credit balance of their 2102 subledger), ``products`` their consignment products."""

    party: Party
    owed: int
    products: list[Product]


def _consignor(coop: Cooperative, consignor_id, *, lock: bool = False) -> Party:
    if isinstance(consignor_id, bool) or not isinstance(consignor_id, int):
        raise _error("not_found", _l("Penitip tidak ditemukan."), "consignor")
    stmt = select(Party).where(Party.cooperative_id == coop.id, Party.id == consignor_id, Party.kind == "consignor")
    party = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if party is None:
        raise _error("not_found", _l("Penitip tidak ditemukan."), "consignor")
    return party


def consignors(coop: Cooperative) -> list[Party]:
    return list(db.session.scalars(select(Party).where(Party.cooperative_id == coop.id, Party.kind == "consignor")
                                   .order_by(Party.code)))


def cash_accounts(coop: Cooperative):
    """The cash and bank accounts a consignor can be paid from (not the santri deposit bank)."""
    return [a for a in chart.accounts(coop, postable_only=True, active_only=True) if a.cash_flow == "cash" and a.role not in ("bank_santri", "cash_transit")]


def owed_to_consignors(coop: Cooperative, party_ids=None) -> dict[int, int]:
    """consignor id -> what the cooperative owes them (sen; positive = owed)."""
    account = chart.account_for(coop, "payable_consignment")
    return {pid: -by_account.get(account.id, 0)
            for pid, by_account in queries.party_balances(coop, [account.id], party_ids).items()}


def consignment_products(coop: Cooperative, consignor_id: int | None = None) -> list[Product]:
    stmt = select(Product).where(Product.cooperative_id == coop.id, Product.consignor_id.is_not(None))
    if consignor_id is not None:
        stmt = stmt.where(Product.consignor_id == consignor_id)
    return list(db.session.scalars(stmt.order_by(Product.name)))


def summary(coop: Cooperative) -> list[ConsignorSummary]:
    """Every consignor with what is owed to them and their products: three queries in all."""
    parties = consignors(coop)
    owed = owed_to_consignors(coop, [p.id for p in parties])
    products: dict[int, list[Product]] = {}
    for product in consignment_products(coop):
        products.setdefault(product.consignor_id, []).append(product)
    return [ConsignorSummary(p, owed.get(p.id, 0), products.get(p.id, [])) for p in parties]


@shop_command("shop.consignment.set")
def set_consignment(coop: Cooperative, product: Product, *, consignor_id: int | None, commission_bp: int, actor=None) -> Product:
    """Make ``product`` a consignment product of ``consignor_id`` at ``commission_bp`` basis points
    (1000 = 10 %), or with ``consignor_id`` None an own product again. Only while it has no stock:
    stock on hand is either the cooperative's (valued) or a consignor's (unvalued), never both.
    Raises ShopError(``has_stock`` | ``not_found`` | ``invalid_field``)."""
    if isinstance(commission_bp, bool) or not isinstance(commission_bp, int) or not 0 <= commission_bp <= 10000:
        raise _error("invalid_field", _l("Komisi antara 0 dan 100 %."), "commission")
    party = _consignor(coop, consignor_id) if consignor_id is not None else None
    if party is not None and not party.active:
        raise _error("not_found", _l("Penitip tidak aktif."), "consignor")
    row = _lock_products(coop, [product.id])[product.id]
    if row.qty != 0:
        raise _error("has_stock", _l("%(p)s masih punya stok %(q)s: status titipan hanya bisa diubah saat stok nol.",
                                     p=row.name, q=row.qty), "consignor")
    row.consignor_id = party.id if party else None
    row.commission_bp = commission_bp if party else 0
    record("shop.consignment_set", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), sku=row.sku,
           consignor=party.code if party else None, commission_bp=row.commission_bp)
    return row


def _consignment_moves(coop: Cooperative, *, consignor_id: int, items, day: date | None, actor, kind: str) -> list[StockMove]:
    sign = 1 if kind == "consignment_in" else -1
    party = _consignor(coop, consignor_id)
    move_day = _day(day)
    if is_period_closed(coop.id, move_day):
        raise _error("period_closed", _l("Periode %(m)s sudah ditutup.", m=move_day.strftime("%m/%Y")), "date")
    if not items or len(items) > MAX_LINES:
        raise _error("invalid_field", _l("Perlu 1 sampai %(n)s baris barang.", n=MAX_LINES), "lines")
    wanted: dict[int, int] = {}
    for n, (product_id, qty) in enumerate(items, start=1):
        wanted[product_id] = wanted.get(product_id, 0) + _qty(qty, f"lines.{n}.qty")
    products = _lock_products(coop, wanted)
    for product in products.values():
        if product.consignor_id != party.id:
            raise _error("not_consignment", _l("%(p)s bukan barang titipan %(c)s.", p=product.name, c=party.name), "product")
    moves = [_move(coop, products[pid], kind=kind, qty=sign * qty, value=0, day=move_day, entry=None, reference=party.code)
             for pid, qty in sorted(wanted.items())]
    db.session.flush()
    record(f"shop.{kind}", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), consignor=party.code,
           units=sum(wanted.values()), products=len(wanted))
    return moves


@shop_command("shop.consignment.receive")
def receive_consignment(coop: Cooperative, *, consignor_id: int, items: list[tuple[int, int]], day: date | None = None,
                        actor=None) -> list[StockMove]:
    """Goods arrive from a consignor: ``items`` are (product_id, qty) of that consignor's products.
    Stock quantity rises; no value and no journal entry (the goods are still the consignor's).
    Raises ShopError(``not_found`` | ``not_consignment`` | ``invalid_qty`` | ``period_closed``)."""
    return _consignment_moves(coop, consignor_id=consignor_id, items=items, day=day, actor=actor, kind="consignment_in")


@shop_command("shop.consignment.return")
def return_consignment(coop: Cooperative, *, consignor_id: int, items: list[tuple[int, int]], day: date | None = None,
                       actor=None) -> list[StockMove]:
    """Unsold goods go back to their consignor: the mirror of ``receive_consignment``, never below
    zero stock. Raises ShopError(``insufficient_stock`` | …)."""
    return _consignment_moves(coop, consignor_id=consignor_id, items=items, day=day, actor=actor, kind="consignment_out")


@shop_command("shop.consignor_settlement")
def settle_consignor(coop: Cooperative, consignor_id: int, *, amount: Decimal, day: date | None = None, account_id: int | None = None,
                     actor=None, idempotency_key: str | None = None) -> ShopPayment:
    """Pay a consignor what their goods earned: ``Dr 2102 (consignor) / Cr Kas Besar`` or the
    chosen cash/bank account, one KK entry (``postings.settlement_lines``). The consignor row is
    locked so two settlements cannot together pay more than is owed. The same ``idempotency_key``
    again returns the first payment. Raises ShopError(``more_than_owed`` | ``invalid_amount`` | …)."""
    party = _consignor(coop, consignor_id, lock=True)
    entry_day = _day(day)
    sen = _sen(coop, amount, "amount", allow_zero=False)
    owed = owed_to_consignors(coop, [party.id]).get(party.id, 0)
    if sen > owed:
        raise _error("more_than_owed", _l("Melebihi utang kepada %(c)s: %(o)s.", c=party.name,
                                          o=money.format_idr(money.from_sen(owed), coop.currency_decimals)), "amount")
    account = _pay_account(coop, "cash", account_id, "cash")
    entry = _post(coop, entry_date=entry_day, description=f"Pembayaran titip jual kepada {party.code} {party.name}"[:500],
                  journal_type="KK", actor=actor, idempotency_key=idempotency_key, lines=list(postings.settlement_lines(
                      sen, debit=postings.Settlement(chart.account_for(coop, "payable_consignment"), party_id=party.id),
                      credit=postings.Settlement(account))))
    payment = ShopPayment(cooperative_id=coop.id, kind="consignor", party_id=party.id, payment_date=entry_day, amount=sen,
                          account_name=f"{account.code} {account.name_id}"[:200], entry_id=entry.id, voucher=entry.number,
                          created_by_id=getattr(actor, "id", None))
    db.session.add(payment)
    db.session.flush()
    record("shop.consignor_settled", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), consignor=party.code,
           number=entry.number, amount=str(money.from_sen(sen)))
    return payment


def settlements(coop: Cooperative, limit: int = 20) -> list[ShopPayment]:
    """The latest payments to consignors, newest first."""
    return list(db.session.scalars(select(ShopPayment).where(ShopPayment.cooperative_id == coop.id, ShopPayment.kind == "consignor")
                                   .order_by(ShopPayment.id.desc()).limit(limit)))


__all__ = ["ConsignorSummary", "ShopError", "cash_accounts", "consignment_products", "consignors", "owed_to_consignors", "receive_consignment",
           "return_consignment", "set_consignment", "settle_consignor", "settlements", "summary"]
