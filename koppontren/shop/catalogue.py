"""What the back-office pages read — the product list with its stock, the stock card for a date
range, parties, the products to count — and the shop settings (credit limits per member
category). Reads never write; ``update_credit_limits`` is one audited unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.members import services as members
from koppontren.shop.models import BUSINESS_UNITS, CreditLimit, Party, Product, StockMove
from koppontren.shop.services import UNIT_ROLES, _error, _sen, shop_command
from koppontren.tenancy.models import Cooperative

BUSINESS_UNIT_LABELS = {"toko": _l("Toko (waserda)"), "produk": _l("Produk pesantren")}
PARTY_KIND_LABELS = {"supplier": _l("Pemasok"), "customer": _l("Pelanggan"), "consignor": _l("Penitip")}
PAYMENT_LABELS = {"cash": _l("Tunai"), "bank": _l("Transfer bank"), "credit": _l("Kredit (utang usaha)")}
MOVE_KIND_LABELS = {
    "purchase": _l("Pembelian"),
    "purchase_return": _l("Retur pembelian"),
    "sale": _l("Penjualan"),
    "sale_return": _l("Retur penjualan"),
    "count": _l("Stok opname"),
    "consignment_in": _l("Titipan masuk"),
    "consignment_out": _l("Titipan keluar"),
}
MAX_COUNT_ROWS = 500

ACTION_LABELS.update({"shop.credit_limits": _l("Batas kredit anggota diubah")})


def _like(text: str) -> str:
    return "%" + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _product_filter(coop: Cooperative, text: str | None, business_unit: str | None, active: bool | None, category: str | None = None):
    stmt = select(Product).where(Product.cooperative_id == coop.id)
    if business_unit in BUSINESS_UNITS:
        stmt = stmt.where(Product.business_unit == business_unit)
    if active is not None:
        stmt = stmt.where(Product.active.is_(active))
    if category:
        stmt = stmt.where(Product.category == category)
    if text and text.strip():
        like = _like(text)
        stmt = stmt.where(or_(func.lower(Product.name).like(like, escape="\\"), func.lower(Product.sku).like(like, escape="\\"),
                              Product.barcode.like(like, escape="\\")))
    return stmt


def list_products(coop: Cooperative, *, text: str | None = None, business_unit: str | None = None, active: bool | None = None,
                  page: int = 1, per_page: int = 50) -> tuple[list[Product], int]:
    """The catalogue by name with the list page's filters; (rows, total)."""
    stmt = _product_filter(coop, text, business_unit, active)
    total = int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = list(db.session.scalars(stmt.order_by(Product.name, Product.id).limit(per_page).offset((max(page, 1) - 1) * per_page)))
    return rows, total


def products_to_count(coop: Cooperative, *, text: str | None = None, business_unit: str | None = None,
                      category: str | None = None) -> list[Product]:
    """Active products the cooperative owns (consignment goods belong to their consignors), by
    name, at most MAX_COUNT_ROWS: a count sheet is filtered by unit or category beyond that."""
    stmt = _product_filter(coop, text, business_unit, True, category).where(Product.consignor_id.is_(None))
    return list(db.session.scalars(stmt.order_by(Product.name, Product.id).limit(MAX_COUNT_ROWS)))


def categories(coop: Cooperative) -> list[str]:
    return [c for c in db.session.scalars(select(Product.category).where(Product.cooperative_id == coop.id,
                                                                         Product.category.is_not(None)).distinct().order_by(Product.category))]


@dataclass(frozen=True)
class UnitStock:
    """One business unit's stock: the inventory account's balance and the sum of its products'
    stock values (sen) — equal unless the books are broken (``koppontren check`` says where)."""

    business_unit: str
    account: object  # ledger Account
    balance: int
    stock_value: int
    qty: int


def stock_totals(coop: Cooperative) -> list[UnitStock]:
    totals = queries.account_totals(coop)
    out = []
    for unit in BUSINESS_UNITS:
        account = chart.account_for(coop, UNIT_ROLES[unit][0])
        debit, credit = totals.get(account.id, (0, 0))
        value, qty = db.session.execute(select(func.coalesce(func.sum(Product.stock_value), 0), func.coalesce(func.sum(Product.qty), 0))
                                        .where(Product.cooperative_id == coop.id, Product.business_unit == unit,
                                               Product.consignor_id.is_(None))).one()
        out.append(UnitStock(unit, account, debit - credit, int(value), int(qty)))
    return out


def average_cost(product: Product) -> int | None:
    """The moving-average cost of one unit (sen, rounded down to the sen), None without stock."""
    return product.stock_value // product.qty if product.qty else None


@dataclass(frozen=True)
class StockCardPage:
    """Kartu stok between two dates: the running totals before ``date_from``, the moves in the
    range (each with its running quantity and value) and the totals after them."""

    date_from: date
    date_to: date
    opening_qty: int
    opening_value: int
    moves: list[StockMove]

    @property
    def closing_qty(self) -> int:
        return self.moves[-1].qty_after if self.moves else self.opening_qty

    @property
    def closing_value(self) -> int:
        return self.moves[-1].value_after if self.moves else self.opening_value

    @property
    def qty_in(self) -> int:
        return sum(m.qty for m in self.moves if m.qty > 0)

    @property
    def qty_out(self) -> int:
        return -sum(m.qty for m in self.moves if m.qty < 0)


def stock_card_page(coop: Cooperative, product: Product, date_from: date, date_to: date) -> StockCardPage:
    base = select(StockMove).where(StockMove.cooperative_id == coop.id, StockMove.product_id == product.id)
    before = db.session.scalar(base.where(StockMove.move_date < date_from).order_by(StockMove.move_date.desc(), StockMove.id.desc()).limit(1))
    moves = list(db.session.scalars(base.where(StockMove.move_date >= date_from, StockMove.move_date <= date_to)
                                    .order_by(StockMove.id)))
    return StockCardPage(date_from, date_to, before.qty_after if before else 0, before.value_after if before else 0, moves)


def moves_of_entry(coop: Cooperative, entry_id: int) -> list[StockMove]:
    return list(db.session.scalars(select(StockMove).where(StockMove.cooperative_id == coop.id, StockMove.entry_id == entry_id)
                                   .order_by(StockMove.id)))


def list_parties(coop: Cooperative, *, kind: str | None = None, text: str | None = None, page: int = 1,
                 per_page: int = 50) -> tuple[list[Party], int]:
    stmt = select(Party).where(Party.cooperative_id == coop.id)
    if kind in PARTY_KIND_LABELS:
        stmt = stmt.where(Party.kind == kind)
    if text and text.strip():
        like = _like(text)
        stmt = stmt.where(or_(func.lower(Party.name).like(like, escape="\\"), func.lower(Party.code).like(like, escape="\\")))
    total = int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = list(db.session.scalars(stmt.order_by(Party.name, Party.id).limit(per_page).offset((max(page, 1) - 1) * per_page)))
    return rows, total


def suppliers(coop: Cooperative) -> list[Party]:
    return list(db.session.scalars(select(Party).where(Party.cooperative_id == coop.id, Party.kind == "supplier",
                                                       Party.active.is_(True)).order_by(Party.name)))


def purchasable_products(coop: Cooperative) -> list[Product]:
    """Active products the cooperative buys for its own stock (not consignment goods)."""
    return list(db.session.scalars(select(Product).where(Product.cooperative_id == coop.id, Product.active.is_(True),
                                                         Product.consignor_id.is_(None)).order_by(Product.name)))


# --- settings ------------------------------------------------------------------------------------

def credit_limits(coop: Cooperative) -> dict[str, int]:
    """category -> the member credit (piutang anggota) a member of it may owe (sen; 0: no credit)."""
    rows = dict(db.session.execute(select(CreditLimit.category, CreditLimit.amount).where(CreditLimit.cooperative_id == coop.id)).all())
    return {c: int(rows.get(c, 0)) for c in members.CATEGORIES}


@shop_command("shop.credit_limits.update")
def update_credit_limits(coop: Cooperative, limits: dict[str, Decimal], *, actor=None) -> None:
    """Set the credit limits of several member categories at once: all stored, or none.
    Raises ShopError(``invalid_field`` | ``invalid_amount``)."""
    existing = {row.category: row for row in db.session.scalars(select(CreditLimit).where(CreditLimit.cooperative_id == coop.id))}
    changed = {}
    for category, amount in limits.items():
        if category not in members.CATEGORIES:
            raise _error("invalid_field", _l("Kategori tidak dikenal."), "category")
        sen = _sen(coop, amount, f"limit_{category}")
        row = existing.get(category)
        if row is None:
            row = CreditLimit(cooperative_id=coop.id, category=category, amount=0)
            db.session.add(row)
        if row.amount != sen:
            changed[category] = str(money.from_sen(sen))
        row.amount = sen
    if changed:
        record("shop.credit_limits", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), **changed)
