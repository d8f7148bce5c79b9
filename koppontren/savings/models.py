"""Savings settings, wajib months paid and the transaction documents behind each kwitansi.

No balance is stored: balances are sums over the ledger's member subledger.
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

KINDS = ("pokok", "wajib", "sukarela")
#: a transaction's kind: one of KINDS, or "keluar" for the payout to a member who leaves
TRANSACTION_KINDS = (*KINDS, "keluar")
DIRECTIONS = ("deposit", "withdrawal")
#: The ledger role of each kind's account (chart-of-accounts.csv).
KIND_ROLES = {"pokok": "savings_principal", "wajib": "savings_mandatory", "sukarela": "savings_voluntary"}


class SavingsSettings(CoopScoped, db.Model):
    """One row per cooperative. ``pokok_amount`` (sen) is the one-time simpanan pokok;
    ``sukarela_earns_shu`` says whether simpanan sukarela counts for SHU jasa modal (default no);
    ``default_account_id`` is the cash or bank account forms offer first (None: Kas Besar)."""

    __tablename__ = "savings_settings"
    __table_args__ = (
        UniqueConstraint("cooperative_id"),
        ForeignKeyConstraint(["cooperative_id", "default_account_id"], ["account.cooperative_id", "account.id"],
                             name="fk_savings_settings_default_account"),
        CheckConstraint("pokok_amount >= 0", name="pokok_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pokok_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    sukarela_earns_shu: Mapped[bool] = mapped_column(Boolean, default=False)
    default_account_id: Mapped[int | None] = mapped_column(Integer)


class WajibRate(CoopScoped, db.Model):
    """The monthly simpanan wajib of one member category, in sen (no row: 0, nothing is due)."""

    __tablename__ = "wajib_rate"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "category"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class SavingsTransaction(CoopScoped, db.Model):
    """The document of one deposit or withdrawal of one member: what the kwitansi prints.

    ``entry_id``/``voucher`` name the journal entry that moved the money (several transactions share
    one entry in a bulk wajib collection). Written once, never changed (database triggers); a
    mistake is undone by reversing the entry, after which the transaction shows as cancelled.
    """

    __tablename__ = "savings_transaction"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        ForeignKeyConstraint(["cooperative_id", "member_id"], ["member.cooperative_id", "member.id"],
                             name="fk_savings_transaction_member"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_savings_transaction_entry"),
        Index("ix_savings_transaction_member", "cooperative_id", "member_id", "tx_date"),
        CheckConstraint("kind IN ('pokok', 'wajib', 'sukarela', 'keluar')", name="kind"),
        CheckConstraint("direction IN ('deposit', 'withdrawal')", name="direction"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)  # sen
    tx_date: Mapped[date] = mapped_column(Date)
    entry_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    voucher: Mapped[str] = mapped_column(String(30))
    account_name: Mapped[str] = mapped_column(String(200))  # the cash/bank account, as it was named then
    description: Mapped[str] = mapped_column(String(500))
    months: Mapped[str | None] = mapped_column(String(400))  # wajib: "2026-09,2026-10,2026-11"
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WajibMonth(CoopScoped, db.Model):
    """One month of simpanan wajib paid by one member, and the entry that paid it.

    Unique per member and month, so a month is never paid twice. A row whose entry was reversed no
    longer counts; the next payment of that month replaces it.
    """

    __tablename__ = "wajib_month"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "member_id", "year", "month"),
        ForeignKeyConstraint(["cooperative_id", "member_id"], ["member.cooperative_id", "member.id"],
                             name="fk_wajib_month_member"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_wajib_month_entry"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)  # sen
    entry_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
