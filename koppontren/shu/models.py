"""SHU rules per fiscal year, SHU runs with the snapshot of their inputs, member shares and payouts.

A run is computed as a draft (recomputing replaces its shares), approved at the RAT (which posts
the allocation entry and freezes it) and then paid member by member. Each member's share row
stores the bases it was computed from, so a run is reproducible and explainable line by line
whatever later happens to the member's data; a payout row is written once per member and run.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
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
RUN_STATUSES = ("draft", "approved")
PAYOUT_METHODS = ("cash", "sukarela", "netting")


class ShuRules(CoopScoped, db.Model):
    """The allocation rules of one fiscal year (``components`` in the API form of
    ``shu.rules.Rules.to_dict``: name, kind, percent as a decimal string, account code, source, unit)."""

    __tablename__ = "shu_rules"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "fiscal_year"),
        CheckConstraint("savings_basis IN ('year_end', 'monthly_average')", name="savings_basis"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    components: Mapped[list] = mapped_column(JSON)
    savings_basis: Mapped[str] = mapped_column(String(20), default="year_end")
    include_sukarela: Mapped[bool] = mapped_column(Boolean, default=False)
    include_departed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShuRun(CoopScoped, db.Model):
    """The SHU of one fiscal year. ``shu_amount`` is what the closing entry put on 3108;
    ``shu_member``/``shu_nonmember`` its split by source (when the rules have a non-member table);
    ``snapshot`` the inputs besides the member bases (rules, figures, eligibility, account codes);
    ``pools`` the pools table as computed. ``status``: ``draft`` (may be recomputed) or ``approved``
    (``approval_date`` at the RAT, ``decision_number`` of its berita acara, ``entry_id`` the
    allocation entry) — frozen from then on."""

    __tablename__ = "shu_run"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        UniqueConstraint("cooperative_id", "fiscal_year"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_shu_run_entry"),
        CheckConstraint("status IN ('draft', 'approved')", name="status"),
        CheckConstraint("shu_amount > 0", name="shu_positive"),
        CheckConstraint("status = 'draft' OR (entry_id IS NOT NULL AND approval_date IS NOT NULL)", name="approved_has_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    shu_amount: Mapped[int] = mapped_column(BigInteger)
    shu_member: Mapped[int] = mapped_column(BigInteger)
    shu_nonmember: Mapped[int] = mapped_column(BigInteger, default=0)
    snapshot: Mapped[dict] = mapped_column(JSON)
    pools: Mapped[list] = mapped_column(JSON)
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    prepared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approval_date: Mapped[date | None] = mapped_column(Date)
    decision_number: Mapped[str | None] = mapped_column(String(100))
    entry_id: Mapped[int | None] = mapped_column(BigId)


class ShuShare(CoopScoped, db.Model):
    """One eligible member's SHU in a run, with the bases it was computed from (sen):
    ``savings_basis`` the jasa modal weight (year-end balance, or the sum of the 12 month-end
    balances), ``usaha`` net participation by unit (``{"": all, "toko": …}``), ``detail`` the
    member's part of each pool (``{"<pool index>": [floor, bonus]}``). ``number``/``name`` as they
    were when computed."""

    __tablename__ = "shu_share"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "run_id", "member_id"),
        ForeignKeyConstraint(["cooperative_id", "run_id"], ["shu_run.cooperative_id", "shu_run.id"], name="fk_shu_share_run"),
        ForeignKeyConstraint(["cooperative_id", "member_id"], ["member.cooperative_id", "member.id"], name="fk_shu_share_member"),
        Index("ix_shu_share_member", "cooperative_id", "member_id"),
        CheckConstraint("jasa_modal >= 0 AND jasa_usaha >= 0 AND total = jasa_modal + jasa_usaha", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    savings_basis: Mapped[int] = mapped_column(BigInteger, default=0)
    usaha: Mapped[dict] = mapped_column(JSON)
    detail: Mapped[dict] = mapped_column(JSON)
    jasa_modal: Mapped[int] = mapped_column(BigInteger, default=0)
    jasa_usaha: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)


class ShuPayout(CoopScoped, db.Model):
    """The payout of one member's SHU of one run (once): ``method`` cash, sukarela (credited to the
    member's simpanan sukarela) or netting (against the member's receivable; ``netted`` of
    ``amount`` went to the receivable, the rest in cash). ``entry_id`` the entry that paid it."""

    __tablename__ = "shu_payout"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "run_id", "member_id"),
        ForeignKeyConstraint(["cooperative_id", "run_id"], ["shu_run.cooperative_id", "shu_run.id"], name="fk_shu_payout_run"),
        ForeignKeyConstraint(["cooperative_id", "member_id"], ["member.cooperative_id", "member.id"], name="fk_shu_payout_member"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_shu_payout_entry"),
        CheckConstraint("method IN ('cash', 'sukarela', 'netting')", name="method"),
        CheckConstraint("amount > 0 AND netted >= 0 AND netted <= amount", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(10))
    pay_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    netted: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_id: Mapped[int] = mapped_column(BigId)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
