"""Reading the sales: the list with its totals by payment method, one sale with its lines and
returns, and the receipt (struk) as plain values for the 58 mm HTML print view and the PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from koppontren.auth import services as auth_services
from koppontren.extensions import db
from koppontren.members import services as members
from koppontren.shop import services
from koppontren.shop.models import Product, Sale
from koppontren.tenancy.models import Cooperative

PAYMENT_LABELS = {"cash": _l("Tunai"), "bank": _l("Transfer bank"), "credit": _l("Kredit"), "wallet": _l("Dompet santri")}
CREDIT_LABELS = {True: _l("Kredit anggota"), False: _l("Kredit pelanggan")}  # a sale's credit: to a member or to a customer


def payment_label(payment: str) -> str:
    return str(PAYMENT_LABELS.get(payment, payment))


@dataclass(frozen=True)
class SalesFilter:
    date_from: date | None = None
    date_to: date | None = None
    payment: str | None = None
    member_id: int | None = None


@dataclass(frozen=True)
class PaymentTotal:
    """Sales and returns of one payment method in the filtered period (sen); ``net`` is what stayed."""

    payment: str
    sold: int
    returned: int
    count: int

    @property
    def net(self) -> int:
        return self.sold - self.returned


def _filtered(coop: Cooperative, f: SalesFilter):
    stmt = select(Sale).where(Sale.cooperative_id == coop.id)
    if f.date_from:
        stmt = stmt.where(Sale.sale_date >= f.date_from)
    if f.date_to:
        stmt = stmt.where(Sale.sale_date <= f.date_to)
    if f.payment:
        stmt = stmt.where(Sale.payment == f.payment)
    if f.member_id:
        stmt = stmt.where(Sale.member_id == f.member_id)
    return stmt


def list_sales(coop: Cooperative, f: SalesFilter, page: int = 1, per_page: int = 50) -> tuple[list[Sale], int]:
    """Sales and returns matching the filter, newest first; and how many there are."""
    stmt = _filtered(coop, f)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(Sale.sale_date.desc(), Sale.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page))
    return list(rows), int(total)


def totals_by_payment(coop: Cooperative, f: SalesFilter) -> list[PaymentTotal]:
    """One grouped query over the filtered sales: per payment method, sold, returned and the number of sales."""
    sub = _filtered(coop, f).subquery()
    is_return = sub.c.returns_sale_id.is_not(None)
    rows = db.session.execute(
        select(sub.c.payment, func.coalesce(func.sum(case((is_return, 0), else_=sub.c.total)), 0),
               func.coalesce(func.sum(case((is_return, sub.c.total), else_=0)), 0),
               func.sum(case((is_return, 0), else_=1)))
        .group_by(sub.c.payment))
    found = {p: PaymentTotal(p, int(s), int(r), int(n or 0)) for p, s, r, n in rows}
    return [found[p] for p in PAYMENT_LABELS if p in found]


def products_by_ids(coop: Cooperative, ids) -> dict[int, Product]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Product).where(Product.cooperative_id == coop.id, Product.id.in_(ids)))}


def returns_of(coop: Cooperative, sale: Sale) -> list[Sale]:
    return list(db.session.scalars(select(Sale).where(Sale.cooperative_id == coop.id, Sale.returns_sale_id == sale.id)
                                   .order_by(Sale.id)))


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    sku: str
    unit: str
    qty: int
    unit_price: int
    total: int
    returnable: int  # units not yet returned (for the return form)
    product_id: int


@dataclass(frozen=True)
class Receipt:
    """What a struk prints and the sale page shows (amounts in sen)."""

    sale_id: int
    voucher: str
    sale_date: date
    created_at: datetime
    cashier_name: str
    member_number: str | None
    member_name: str | None
    payment: str
    payment_label: str
    lines: list[ReceiptLine]
    total: int
    cash_received: int | None
    change: int | None
    entry_id: int
    is_return: bool
    original_voucher: str | None
    original_id: int | None
    customer_code: str | None = None  # a non-member customer (party) the sale names
    customer_name: str | None = None


def receipt(coop: Cooperative, sale: Sale) -> Receipt:
    member = members.get_member(coop, sale.member_id) if sale.member_id else None
    cashier = auth_services.user_in_coop_or_none(coop, sale.cashier_id) if sale.cashier_id else None
    original = services.get_sale(coop, sale.returns_sale_id) if sale.returns_sale_id else None
    party = services.get_party(coop, sale.party_id) if sale.party_id and not member else None
    label = str(CREDIT_LABELS[member is not None]) if sale.payment == "credit" else payment_label(sale.payment)
    return Receipt(
        sale_id=sale.id, voucher=sale.voucher, sale_date=sale.sale_date, created_at=sale.created_at,
        cashier_name=cashier.name if cashier else "", member_number=member.number if member else None,
        member_name=member.name if member else None, payment=sale.payment, payment_label=label, lines=_receipt_lines(coop, sale),
        total=sale.total, cash_received=sale.cash_received, change=services.change_due(sale), entry_id=sale.entry_id,
        is_return=sale.returns_sale_id is not None, original_voucher=original.voucher if original else None,
        original_id=original.id if original else None, customer_code=party.code if party else None,
        customer_name=party.name if party else None,
    )


def _receipt_lines(coop: Cooperative, sale: Sale) -> list[ReceiptLine]:
    """The sale's lines with their products, and how many of each can still be returned."""
    lines = services.sale_lines(coop, sale)
    products = products_by_ids(coop, (ln.product_id for ln in lines))
    back = services.returned_qty(coop, sale) if sale.returns_sale_id is None else {}
    return [ReceiptLine(name=products[ln.product_id].name, sku=products[ln.product_id].sku, unit=products[ln.product_id].unit,
                        qty=ln.qty, unit_price=ln.unit_price, total=ln.total, returnable=ln.qty - back.get(ln.product_id, 0),
                        product_id=ln.product_id) for ln in lines]
