"""Ledger tables. Amounts are signed BIGINT counts of sen (DESIGN.md §3 "Money").

Every table carries ``cooperative_id`` and every key and foreign key starts with it, so one
cooperative's ledger is independent of the others (and shardable by cooperative).
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
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koppontren.extensions import db
from koppontren.tenancy.models import CoopScoped, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite only auto-increments INTEGER keys

ACCOUNT_TYPES = ("asset", "liability", "equity", "revenue", "expense")
SUBLEDGER_KINDS = ("member", "party", "product", "santri")


class Account(CoopScoped, db.Model):
    """One account of a cooperative's chart (bagan akun).

    ``role`` is the stable name code uses to find an account (``cash``, ``sales_shop_member`` …);
    codes and names may change, roles don't. ``subledger`` says what a line on the account must carry
    (``member``, ``party``, ``product`` — through stock moves —, ``santri``). Header accounts
    (``postable`` false) only group others. ``type`` never changes once created.
    """

    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        UniqueConstraint("cooperative_id", "code"),
        UniqueConstraint("cooperative_id", "role"),
        ForeignKeyConstraint(["cooperative_id", "parent_id"], ["account.cooperative_id", "account.id"],
                             name="fk_account_parent"),
        CheckConstraint("type IN ('asset', 'liability', 'equity', 'revenue', 'expense')", name="type"),
        CheckConstraint("normal_balance IN ('debit', 'credit')", name="normal_balance"),
        CheckConstraint("subledger IS NULL OR subledger IN ('member', 'party', 'product', 'santri')", name="subledger"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(Integer)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10))
    normal_balance: Mapped[str] = mapped_column(String(6))
    postable: Mapped[bool] = mapped_column(Boolean)
    role: Mapped[str | None] = mapped_column(String(40))
    subledger: Mapped[str | None] = mapped_column(String(10))
    statement_section: Mapped[str | None] = mapped_column(String(40))
    cash_flow: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: a cash-role account that may end a day below zero (a bank account with a real overdraft
    #: facility, RULES-2 §8.1); every other cash account never may
    allow_overdraft: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def name(self, locale: str = "id") -> str:
        return self.name_en if locale == "en" else self.name_id

    def __repr__(self) -> str:
        return f"<Account {self.code} {self.name_id}>"


class JournalEntry(CoopScoped, db.Model):
    """A posted journal entry: immutable once written, corrected only by a reversal.

    ``number`` is the voucher number ``TYPE/FY/SEQUENCE`` (e.g. ``JU/2026/000042``), gapless per
    cooperative, journal type and fiscal year. ``reverses_id`` links a reversal to its original;
    ``reversed_by_id`` is set on the original when it is reversed (the only column that may change,
    once). ``entry_hash`` is SHA-256 over the entry's canonical content and ``prev_hash``, the hash of
    the cooperative's previous entry: a chain that shows any later edit. ``idempotency_key`` lets a
    client retry a posting safely; ``request_hash`` tells a retry from a different request.
    """

    __tablename__ = "journal_entry"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        UniqueConstraint("cooperative_id", "journal_type", "fiscal_year", "sequence"),
        UniqueConstraint("cooperative_id", "number"),
        UniqueConstraint("cooperative_id", "idempotency_key"),
        # covering for the statements' entry-side reads (journal type by period: the closing entry
        # PHU leaves out; the entries of a period the cash flow walks), so they never visit table
        # rows — which in a database of many cooperatives lie scattered among the others' (issue 10 §4).
        # ``id`` too: a PostgreSQL index holds no primary key of its own (SQLite's holds the rowid);
        # before journal_type, so the journal list's ORDER BY entry_date, id comes from the index
        Index("ix_journal_entry_date_type", "cooperative_id", "entry_date", "id", "journal_type"),
        ForeignKeyConstraint(["cooperative_id", "reverses_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_journal_entry_reverses"),
        ForeignKeyConstraint(["cooperative_id", "reversed_by_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_journal_entry_reversed_by"),
        CheckConstraint("sequence > 0", name="sequence_positive"),
        CheckConstraint("total > 0", name="total_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journal_type: Mapped[str] = mapped_column(String(4))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(30))
    entry_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(30), default="manual")
    total: Mapped[int] = mapped_column(BigInteger)  # sum of debits, in sen
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(BigId)
    reversed_by_id: Mapped[int | None] = mapped_column(BigId)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))

    lines: Mapped[list[JournalLine]] = relationship(
        primaryjoin="and_(JournalEntry.cooperative_id == foreign(JournalLine.cooperative_id), "
                    "JournalEntry.id == foreign(JournalLine.entry_id))",
        order_by="JournalLine.line_no", viewonly=True, lazy="selectin",
    )


class JournalLine(CoopScoped, db.Model):
    """One line of an entry: one account, exactly one positive side, optional subledger references.

    ``entry_date`` repeats the entry's date so balances "as of a date" need no join. ``member_id``
    names the member (required on ``member`` subledger accounts, and on member-participation revenue);
    ``party_id`` the supplier/customer on ``party`` accounts.
    """

    __tablename__ = "journal_line"
    __table_args__ = (
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_journal_line_entry"),
        ForeignKeyConstraint(["cooperative_id", "account_id"], ["account.cooperative_id", "account.id"],
                             name="fk_journal_line_account"),
        UniqueConstraint("cooperative_id", "entry_id", "line_no"),
        # covering: balances and trial balances are answered from the index alone
        Index("ix_journal_line_account_date", "cooperative_id", "account_id", "entry_date", "debit", "credit"),
        Index("ix_journal_line_member", "cooperative_id", "member_id", "account_id"),
        # covering: an entry's lines (account and amounts) from the index alone — the cash flow's
        # non-cash side of each cash entry, the PHU's closing entry; the unique key above has no amounts
        Index("ix_journal_line_entry", "cooperative_id", "entry_id", "account_id", "debit", "credit"),
        CheckConstraint("debit >= 0 AND credit >= 0 AND ((debit > 0 AND credit = 0) OR (credit > 0 AND debit = 0))",
                        name="one_positive_side"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId)
    line_no: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(Integer)
    entry_date: Mapped[date] = mapped_column(Date)
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    member_id: Mapped[int | None] = mapped_column(Integer)
    party_id: Mapped[int | None] = mapped_column(Integer)
    memo: Mapped[str | None] = mapped_column(String(200))

    account: Mapped[Account] = relationship(
        primaryjoin="and_(JournalLine.cooperative_id == foreign(Account.cooperative_id), "
                    "JournalLine.account_id == foreign(Account.id))",
        viewonly=True, lazy="joined",
    )


class VoucherCounter(CoopScoped, db.Model):
    """The last voucher sequence used per cooperative, journal type and fiscal year; incremented in
    the posting transaction, so a rolled-back posting gives its number back (gapless)."""

    __tablename__ = "voucher_counter"
    __table_args__ = (UniqueConstraint("cooperative_id", "journal_type", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journal_type: Mapped[str] = mapped_column(String(4))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


class CashDay(CoopScoped, db.Model):
    """A cash or bank account's net movement (debit − credit, sen) on one day — derived from its journal
    lines and kept by the ledger's writers in the posting transaction, so the no-negative-cash rule
    (RULES-2 §8.1) reads a few hundred day rows instead of every line the account ever had.
    ``koppontren check`` proves it equals the lines."""

    __tablename__ = "cash_day"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "account_id", "day"),
        ForeignKeyConstraint(["cooperative_id", "account_id"], ["account.cooperative_id", "account.id"],
                             name="fk_cash_day_account"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    net: Mapped[int] = mapped_column(BigInteger)


class LedgerHead(CoopScoped, db.Model):
    """The head of a cooperative's hash chain. Locking this row serialises the cooperative's postings
    (needed for the chain) without touching any other cooperative."""

    __tablename__ = "ledger_head"
    __table_args__ = (UniqueConstraint("cooperative_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    last_entry_id: Mapped[int | None] = mapped_column(BigId)
    last_hash: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(BigInteger, default=0)


class Period(CoopScoped, db.Model):
    """A calendar month's state. No row means open; closing sets ``closed``; reopening clears it."""

    __tablename__ = "period"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
