"""Santri wallets (issue 9): holders, their wali, cards, the wallet's own subledger of transactions,
the cooperative's wallet settings and the transfers in transit the treasurer records.

Wallet money is 2113 Dana Titipan Santri (a liability backed by bank 1112, RULES.md §2). The
journal lines on 2113 name no member: this module keeps the santri subledger itself — each santri's
``balance`` and the ``WalletTransaction`` rows that explain it — and ``koppontren check`` proves
Σ balances = 2113 and each balance = Σ its transactions.
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from koppontren.extensions import db
from koppontren.tenancy.models import CoopScoped, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")
CARD_STATUSES = ("active", "blocked")
TX_KINDS = ("topup", "refund", "purchase", "return")
TX_METHODS = ("cash", "bank", "wallet")
#: the sign of each kind on the santri's balance
TX_SIGN = {"topup": 1, "return": 1, "refund": -1, "purchase": -1}
DEFAULT_EXEMPT = ("kitab", "buku", "alat tulis", "kebutuhan pokok")


class WalletSettings(CoopScoped, db.Model):
    """One row per cooperative: the default spending limits (sen; NULL = no limit) and the product
    categories exempt from limits (one per line, compared case-insensitively and trimmed). No row:
    no limits, the default exempt categories."""

    __tablename__ = "wallet_settings"
    __table_args__ = (
        UniqueConstraint("cooperative_id"),
        CheckConstraint("limit_daily IS NULL OR limit_daily >= 0", name="limit_daily"),
        CheckConstraint("limit_weekly IS NULL OR limit_weekly >= 0", name="limit_weekly"),
        CheckConstraint("limit_monthly IS NULL OR limit_monthly >= 0", name="limit_monthly"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    limit_daily: Mapped[int | None] = mapped_column(BigInteger)
    limit_weekly: Mapped[int | None] = mapped_column(BigInteger)
    limit_monthly: Mapped[int | None] = mapped_column(BigInteger)
    exempt_categories: Mapped[str] = mapped_column(String(1000), default="\n".join(DEFAULT_EXEMPT))


class Santri(CoopScoped, db.Model):
    """A wallet holder. ``nis`` (nomor induk santri) is unique per cooperative. ``member_id`` links
    the santri to a member of the same cooperative when they are one (member revenue accounts then).
    ``balance`` (sen, never below zero) is the santri subledger of 2113. ``limit_*`` are the limits
    the treasurer set (NULL: the cooperative's default), ``wali_limit_*`` the lower ones a wali set
    (NULL: none)."""

    __tablename__ = "santri"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        UniqueConstraint("cooperative_id", "nis"),
        ForeignKeyConstraint(["cooperative_id", "member_id"], ["member.cooperative_id", "member.id"], name="fk_santri_member"),
        Index("ix_santri_cooperative_id_name", "cooperative_id", "name"),
        CheckConstraint("balance >= 0", name="balance"),
        *(CheckConstraint(f"{c} IS NULL OR {c} >= 0", name=c) for c in (
            "limit_daily", "limit_weekly", "limit_monthly", "wali_limit_daily", "wali_limit_weekly", "wali_limit_monthly")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nis: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    kelas: Mapped[str | None] = mapped_column(String(40))
    asrama: Mapped[str | None] = mapped_column(String(60))
    member_id: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    limit_daily: Mapped[int | None] = mapped_column(BigInteger)
    limit_weekly: Mapped[int | None] = mapped_column(BigInteger)
    limit_monthly: Mapped[int | None] = mapped_column(BigInteger)
    wali_limit_daily: Mapped[int | None] = mapped_column(BigInteger)
    wali_limit_weekly: Mapped[int | None] = mapped_column(BigInteger)
    wali_limit_monthly: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SantriWali(CoopScoped, db.Model):
    """A wali (a user with role ``wali`` in the cooperative) of a santri; a santri may have several."""

    __tablename__ = "santri_wali"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "santri_id", "user_id"),
        ForeignKeyConstraint(["cooperative_id", "santri_id"], ["santri.cooperative_id", "santri.id"], name="fk_santri_wali_santri"),
        Index("ix_santri_wali_cooperative_id_user_id", "cooperative_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    santri_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WalletCard(CoopScoped, db.Model):
    """A santri's card: an unguessable token (``secrets.token_urlsafe``, 192 bits) printed on it as
    QR code and barcode, of which the database keeps only ``token_hash`` (the SHA-256 hex digest,
    like API tokens: no key, so nothing breaks when SECRET_KEY changes). The clear token exists
    only while the card is issued: ``token`` is set on the object issue/reissue return (never
    stored, None on a row read back), and the card sheet is printed from it then. At most one
    ``active`` card per santri (the santri's row is locked while cards change); a reissue blocks
    the old card in the same transaction."""

    __tablename__ = "wallet_card"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "token_hash"),
        ForeignKeyConstraint(["cooperative_id", "santri_id"], ["santri.cooperative_id", "santri.id"], name="fk_wallet_card_santri"),
        Index("ix_wallet_card_cooperative_id_santri_id", "cooperative_id", "santri_id"),
        CheckConstraint("status IN ('active', 'blocked')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    santri_id: Mapped[int] = mapped_column(Integer)
    token_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    #: the clear token, only on the object a card issue returned (not a column: never stored)
    token = None


class WalletTransaction(CoopScoped, db.Model):
    """One movement of a santri's balance, with the journal entry that moved 2113.

    ``kind`` topup / refund / purchase / return; ``amount`` (sen, > 0) moves the balance by
    ``TX_SIGN[kind]``; ``balance_after`` is the balance right after it. ``method`` cash / bank (top-ups
    and refunds) or wallet (shop sales and returns, with ``sale_id``). ``limited_amount`` is the part
    that counts toward the spending limits (non-exempt products), on the day ``limit_day`` (a return
    gives it back on its purchase's day). ``user_id`` recorded it (the cashier at the shop); ``place``
    says where, for the wali ("Koperasi — kasir Ani")."""

    __tablename__ = "wallet_transaction"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        ForeignKeyConstraint(["cooperative_id", "santri_id"], ["santri.cooperative_id", "santri.id"],
                             name="fk_wallet_transaction_santri"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_wallet_transaction_entry"),
        ForeignKeyConstraint(["cooperative_id", "sale_id"], ["sale.cooperative_id", "sale.id"], name="fk_wallet_transaction_sale"),
        Index("ix_wallet_transaction_santri", "cooperative_id", "santri_id", "day"),
        Index("ix_wallet_transaction_day", "cooperative_id", "day"),
        Index("ix_wallet_transaction_sale", "cooperative_id", "sale_id"),
        CheckConstraint("kind IN ('topup', 'refund', 'purchase', 'return')", name="kind"),
        CheckConstraint("method IN ('cash', 'bank', 'wallet')", name="method"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("balance_after >= 0", name="balance_after"),
        CheckConstraint("limited_amount >= 0 AND limited_amount <= amount", name="limited_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    santri_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    limit_day: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(100))
    entry_id: Mapped[int] = mapped_column(BigId)
    voucher: Mapped[str] = mapped_column(String(30))
    sale_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    limited_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    place: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def signed_amount(self) -> int:
        return TX_SIGN[self.kind] * self.amount


class WalletTransit(CoopScoped, db.Model):
    """A transfer in transit the treasurer records for the reconciliation (sen, signed): positive is
    money of the wallets not yet in bank 1112 (cash top-ups still to deposit), negative is money in
    1112 not yet in any wallet (a transfer received, its top-up not recorded yet). Open until cleared."""

    __tablename__ = "wallet_transit"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        Index("ix_wallet_transit_cooperative_id_day", "cooperative_id", "day"),
        CheckConstraint("amount <> 0", name="amount_nonzero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cleared_on: Mapped[date | None] = mapped_column(Date)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
