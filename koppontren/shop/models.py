"""Catalogue, parties, stock moves and the documents of purchases and sales.

Stock is perpetual at moving average, kept per product as (``qty``, ``stock_value``): issuing q of
Q units worth V costs round(V × q / Q), the last unit exactly what is left. ``StockMove`` rows are
the product subledger (immutable, database triggers); the product row holds their running totals so
an issue can lock one row and never read the whole history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from koppontren.extensions import db
from koppontren.tenancy.models import CoopScoped, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")
BUSINESS_UNITS = ("toko", "produk")
PARTY_KINDS = ("supplier", "customer", "consignor")
MOVE_KINDS = ("purchase", "purchase_return", "sale", "sale_return", "count", "consignment_in", "consignment_out")
PAYMENTS = ("cash", "bank", "credit", "wallet")  # wallet: a santri's card (issue 9, through shop.payments)
PAYMENT_KINDS = ("supplier", "consignor", "member_receivable")


class Party(CoopScoped, db.Model):
    """A supplier (pemasok), a non-member customer (pelanggan) or a consignor (penitip: a santri,
    alumnus or another pesantren whose goods the shop sells for a commission): the ``party``
    subledger."""

    __tablename__ = "party"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        UniqueConstraint("cooperative_id", "code"),
        CheckConstraint("kind IN ('supplier', 'customer', 'consignor')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Product(CoopScoped, db.Model):
    """One article of the catalogue. Prices are sen; ``member_price`` (optional) applies when the
    sale names a member. ``qty`` (whole units) and ``stock_value`` (sen) are the moving-average
    stock, changed only together with a StockMove in the same transaction. A consignment product
    (``consignor_id`` set) belongs to its consignor: its stock has no value for the cooperative, and
    a sale owes the consignor the price less ``commission_bp`` (basis points, 1000 = 10 %)."""

    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        UniqueConstraint("cooperative_id", "sku"),
        UniqueConstraint("cooperative_id", "barcode"),
        Index("ix_product_cooperative_id_name", "cooperative_id", "name"),
        CheckConstraint("business_unit IN ('toko', 'produk')", name="business_unit"),
        CheckConstraint("price >= 0 AND (member_price IS NULL OR member_price >= 0)", name="prices"),
        CheckConstraint("qty >= 0 AND stock_value >= 0 AND (qty > 0 OR stock_value = 0)", name="stock"),
        CheckConstraint("commission_bp BETWEEN 0 AND 10000", name="commission_bp"),
        CheckConstraint("consignor_id IS NULL OR stock_value = 0", name="consignment_has_no_value"),
        ForeignKeyConstraint(["cooperative_id", "consignor_id"], ["party.cooperative_id", "party.id"], name="fk_product_consignor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40))
    barcode: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="pcs")
    category: Mapped[str | None] = mapped_column(String(60))
    business_unit: Mapped[str] = mapped_column(String(10), default="toko")
    price: Mapped[int] = mapped_column(BigInteger)
    member_price: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    qty: Mapped[int] = mapped_column(BigInteger, default=0)
    stock_value: Mapped[int] = mapped_column(BigInteger, default=0)
    consignor_id: Mapped[int | None] = mapped_column(Integer)
    commission_bp: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StockMove(CoopScoped, db.Model):
    """One movement of one product: signed quantity and value (sen), the running totals after it,
    and the journal entry that carries its value. Immutable. Goods received from or returned to a
    consignor (``consignment_in``/``consignment_out``) have no value for the cooperative and so no
    entry: ``entry_id`` is empty and ``reference`` names the consignor instead of a voucher."""

    __tablename__ = "stock_move"
    __table_args__ = (
        ForeignKeyConstraint(["cooperative_id", "product_id"], ["product.cooperative_id", "product.id"],
                             name="fk_stock_move_product"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_stock_move_entry"),
        Index("ix_stock_move_product", "cooperative_id", "product_id", "id"),
        CheckConstraint("kind IN ('purchase', 'purchase_return', 'sale', 'sale_return', 'count', 'consignment_in', "
                        "'consignment_out')", name="kind"),
        CheckConstraint("qty_after >= 0 AND value_after >= 0", name="never_negative"),
        CheckConstraint("entry_id IS NOT NULL OR (kind IN ('consignment_in', 'consignment_out') AND value = 0)",
                        name="entry_unless_consignment"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer)
    move_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    qty: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[int] = mapped_column(BigInteger)
    qty_after: Mapped[int] = mapped_column(BigInteger)
    value_after: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[int | None] = mapped_column(BigId)
    reference: Mapped[str] = mapped_column(String(30))  # the voucher number (consignment in/out: the consignor's code)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CreditLimit(CoopScoped, db.Model):
    """How much member credit (piutang anggota) a member of a category may owe (sen; no row: none)."""

    __tablename__ = "shop_credit_limit"
    __table_args__ = (UniqueConstraint("cooperative_id", "category"), CheckConstraint("amount >= 0", name="amount"))

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class Purchase(CoopScoped, db.Model):
    """A purchase from a supplier (or, with ``returns_purchase_id``, a purchase return): lines in
    ``PurchaseLine``, one journal entry (PB)."""

    __tablename__ = "purchase"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        ForeignKeyConstraint(["cooperative_id", "party_id"], ["party.cooperative_id", "party.id"], name="fk_purchase_party"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_purchase_entry"),
        ForeignKeyConstraint(["cooperative_id", "returns_purchase_id"], ["purchase.cooperative_id", "purchase.id"],
                             name="fk_purchase_returns"),
        CheckConstraint("payment IN ('cash', 'bank', 'credit')", name="payment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(Integer)
    returns_purchase_id: Mapped[int | None] = mapped_column(Integer)
    purchase_date: Mapped[date] = mapped_column(Date)
    payment: Mapped[str] = mapped_column(String(10))
    invoice: Mapped[str | None] = mapped_column(String(60))  # the supplier's invoice number
    total: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[int] = mapped_column(BigId)
    voucher: Mapped[str] = mapped_column(String(30))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PurchaseLine(CoopScoped, db.Model):
    __tablename__ = "purchase_line"
    __table_args__ = (
        ForeignKeyConstraint(["cooperative_id", "purchase_id"], ["purchase.cooperative_id", "purchase.id"],
                             name="fk_purchase_line_purchase"),
        ForeignKeyConstraint(["cooperative_id", "product_id"], ["product.cooperative_id", "product.id"],
                             name="fk_purchase_line_product"),
        UniqueConstraint("cooperative_id", "purchase_id", "line_no"),
        CheckConstraint("qty > 0 AND unit_cost >= 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(Integer)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(Integer)
    qty: Mapped[int] = mapped_column(BigInteger)
    unit_cost: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)


class Sale(CoopScoped, db.Model):
    """A sale (or, with ``returns_sale_id``, a sales return): one journal entry (PJ). ``member_id``
    names the member (member prices, member revenue accounts, SHU participation); ``party_id`` an
    optional non-member customer."""

    __tablename__ = "sale"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        ForeignKeyConstraint(["cooperative_id", "member_id"], ["member.cooperative_id", "member.id"], name="fk_sale_member"),
        ForeignKeyConstraint(["cooperative_id", "party_id"], ["party.cooperative_id", "party.id"], name="fk_sale_party"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_sale_entry"),
        ForeignKeyConstraint(["cooperative_id", "returns_sale_id"], ["sale.cooperative_id", "sale.id"], name="fk_sale_returns"),
        Index("ix_sale_cooperative_id_sale_date", "cooperative_id", "sale_date"),
        CheckConstraint("payment IN ('cash', 'bank', 'credit', 'wallet')", name="payment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_date: Mapped[date] = mapped_column(Date)
    member_id: Mapped[int | None] = mapped_column(Integer)
    party_id: Mapped[int | None] = mapped_column(Integer)
    payment: Mapped[str] = mapped_column(String(10))
    total: Mapped[int] = mapped_column(BigInteger)  # what the buyer pays (sen)
    cost: Mapped[int] = mapped_column(BigInteger)  # cost of goods (sen)
    cash_received: Mapped[int | None] = mapped_column(BigInteger)
    returns_sale_id: Mapped[int | None] = mapped_column(Integer)
    entry_id: Mapped[int] = mapped_column(BigId)
    voucher: Mapped[str] = mapped_column(String(30))
    cashier_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SaleLine(CoopScoped, db.Model):
    """One product of a sale or return. A consignment line names its ``consignor_id`` and the
    ``commission`` (sen) the cooperative keeps; the consignor is owed ``total − commission`` and
    ``cost`` is 0 (the goods were never the cooperative's)."""

    __tablename__ = "sale_line"
    __table_args__ = (
        ForeignKeyConstraint(["cooperative_id", "sale_id"], ["sale.cooperative_id", "sale.id"], name="fk_sale_line_sale"),
        ForeignKeyConstraint(["cooperative_id", "product_id"], ["product.cooperative_id", "product.id"],
                             name="fk_sale_line_product"),
        ForeignKeyConstraint(["cooperative_id", "consignor_id"], ["party.cooperative_id", "party.id"], name="fk_sale_line_consignor"),
        UniqueConstraint("cooperative_id", "sale_id", "line_no"),
        CheckConstraint("qty > 0 AND unit_price >= 0 AND cost >= 0", name="positive"),
        CheckConstraint("commission >= 0 AND commission <= total", name="commission"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(Integer)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(Integer)
    qty: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
    consignor_id: Mapped[int | None] = mapped_column(Integer)
    commission: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ShopPayment(CoopScoped, db.Model):
    """Money settled outside a sale or purchase, one journal entry each: a payment to a supplier
    (``Dr 2101 / Cr Kas``), a settlement to a consignor (``Dr 2102 / Cr Kas``), a member paying
    off their shop receivable (pelunasan, ``Dr Kas / Cr 1121``) or a non-member customer paying off
    theirs (``Dr Kas / Cr 1122``, naming the customer)."""

    __tablename__ = "shop_payment"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        ForeignKeyConstraint(["cooperative_id", "party_id"], ["party.cooperative_id", "party.id"], name="fk_shop_payment_party"),
        ForeignKeyConstraint(["cooperative_id", "member_id"], ["member.cooperative_id", "member.id"], name="fk_shop_payment_member"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_shop_payment_entry"),
        CheckConstraint("kind IN ('supplier', 'consignor', 'member_receivable', 'customer_receivable')", name="kind"),
        CheckConstraint("(kind = 'member_receivable') = (member_id IS NOT NULL)", name="member_for_receivables"),
        CheckConstraint("kind = 'member_receivable' OR party_id IS NOT NULL", name="party_unless_member"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    party_id: Mapped[int | None] = mapped_column(Integer)
    member_id: Mapped[int | None] = mapped_column(Integer)
    payment_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # sen
    account_name: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[int] = mapped_column(BigId)
    voucher: Mapped[str] = mapped_column(String(30))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CashierClose(CoopScoped, db.Model):
    """A cashier's daily close: the day's sales by payment method, the cash expected in the till
    and the cash counted, the difference posted (shortage or overage), and the till moved to Kas
    Besar — one entry (``entry_id`` None when nothing had to be posted). Once per cashier and day.
    ``*_sales`` are the day's sales before returns; ``expected_cash`` is the net cash takings (cash
    sales less cash refunds, at least 0: ``shop.cashier``); ``difference`` = counted − expected."""

    __tablename__ = "cashier_close"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "cashier_id", "close_date"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_cashier_close_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    close_date: Mapped[date] = mapped_column(Date)
    cash_sales: Mapped[int] = mapped_column(BigInteger)
    bank_sales: Mapped[int] = mapped_column(BigInteger)
    credit_sales: Mapped[int] = mapped_column(BigInteger)
    expected_cash: Mapped[int] = mapped_column(BigInteger)
    counted_cash: Mapped[int] = mapped_column(BigInteger)
    difference: Mapped[int] = mapped_column(BigInteger)  # counted − expected (negative: shortage)
    entry_id: Mapped[int | None] = mapped_column(BigId)
    voucher: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
