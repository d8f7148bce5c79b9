"""Cash and bank (RULES-2 §8): transfers between the cooperative's cash accounts.

A transfer (mutasi kas, journal type MK) is one entry ``Dr destination / Cr source`` (a fee a third
line ``Dr 6109 Beban Administrasi Bank``, the source credited amount + fee) — or, when the money
arrives on a later day, two: ``Dr 1105 Kas dalam Perjalanan / Cr source`` on the day it leaves and
``Dr destination / Cr 1105`` on the day it arrives. The journal holds the money; this row holds what
the journal can't say: which entries belong together, where the money is going while it is in
transit, and when it is expected.
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


class CashTransfer(CoopScoped, db.Model):
    """One transfer between two cash accounts. Amounts in sen.

    ``number`` is the voucher of the first entry (``MK/2027/000001``). ``via_transit``: the money went
    through 1105; then ``arrival_entry_id``/``arrived_on`` stay empty until it arrives, and
    ``expected_on`` is the arrival date given when it left (if any). ``fee`` was charged to the
    source with the first entry.
    """

    __tablename__ = "cash_transfer"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        UniqueConstraint("cooperative_id", "number"),
        UniqueConstraint("cooperative_id", "entry_id"),
        Index("ix_cash_transfer_date", "cooperative_id", "transfer_date", "id"),
        ForeignKeyConstraint(["cooperative_id", "from_account_id"], ["account.cooperative_id", "account.id"],
                             name="fk_cash_transfer_from_account"),
        ForeignKeyConstraint(["cooperative_id", "to_account_id"], ["account.cooperative_id", "account.id"],
                             name="fk_cash_transfer_to_account"),
        ForeignKeyConstraint(["cooperative_id", "entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_cash_transfer_entry"),
        ForeignKeyConstraint(["cooperative_id", "arrival_entry_id"], ["journal_entry.cooperative_id", "journal_entry.id"],
                             name="fk_cash_transfer_arrival_entry"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint("from_account_id <> to_account_id", name="two_accounts"),
        CheckConstraint("via_transit OR arrival_entry_id IS NULL", name="arrival_only_in_transit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30))
    transfer_date: Mapped[date] = mapped_column(Date)
    from_account_id: Mapped[int] = mapped_column(Integer)
    to_account_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    description: Mapped[str] = mapped_column(String(500))
    via_transit: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_on: Mapped[date | None] = mapped_column(Date)
    entry_id: Mapped[int] = mapped_column(BigId)
    arrival_entry_id: Mapped[int | None] = mapped_column(BigId)
    arrival_number: Mapped[str | None] = mapped_column(String(30))
    arrived_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def in_transit(self) -> bool:
        """The money left and has not arrived yet (it sits in 1105)."""
        return self.via_transit and self.arrival_entry_id is None
