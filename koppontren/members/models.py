"""The members' register. A member's data is never deleted (a database trigger refuses it); a member
who leaves keeps every row, with status ``keluar`` or ``meninggal`` and the date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppontren.extensions import db
from koppontren.tenancy.models import CoopScoped, utcnow

CATEGORIES = ("santri", "ustadz", "karyawan", "pengurus", "alumni", "masyarakat")
GENDERS = ("L", "P")
STATUSES = ("aktif", "keluar", "meninggal")


class Member(CoopScoped, db.Model):
    """One anggota of a cooperative.

    ``number`` is the member number (prefix + sequence, e.g. ``A-0042``), unique per cooperative and
    never reused. ``nik`` is the 16-digit Nomor Induk Kependudukan (optional, unique per cooperative).
    ``category`` decides the monthly simpanan wajib. ``status`` is ``aktif``, ``keluar`` (with
    ``exit_date`` and ``exit_reason``) or ``meninggal`` (with ``exit_date``). ``user_id`` links the
    member's portal login, if the treasurer created one. Balances are not stored here: they are the
    ledger's member subledger.
    """

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "id"),
        UniqueConstraint("cooperative_id", "number"),
        UniqueConstraint("cooperative_id", "nik"),
        UniqueConstraint("cooperative_id", "user_id"),
        Index("ix_member_cooperative_id_name", "cooperative_id", "name"),
        CheckConstraint("category IN ('santri', 'ustadz', 'karyawan', 'pengurus', 'alumni', 'masyarakat')", name="category"),
        CheckConstraint("gender IS NULL OR gender IN ('L', 'P')", name="gender"),
        CheckConstraint("status IN ('aktif', 'keluar', 'meninggal')", name="status"),
        CheckConstraint("status = 'aktif' OR exit_date IS NOT NULL", name="exit_date_when_left"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    nik: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(Text)
    join_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="aktif")
    exit_date: Mapped[date | None] = mapped_column(Date)
    exit_reason: Mapped[str | None] = mapped_column(String(500))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    @property
    def label(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status == "aktif"

    def __repr__(self) -> str:
        return f"<Member {self.number} {self.name}>"


class MemberSettings(CoopScoped, db.Model):
    """Per-cooperative numbering of members: ``number_prefix`` + ``last_number`` + 1, zero-padded to
    ``number_digits``. The counter is a row updated in the registering transaction, so two
    registrations never get the same number."""

    __tablename__ = "member_settings"
    __table_args__ = (
        UniqueConstraint("cooperative_id"),
        CheckConstraint("number_digits BETWEEN 1 AND 10", name="number_digits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number_prefix: Mapped[str] = mapped_column(String(10), default="A-")
    number_digits: Mapped[int] = mapped_column(Integer, default=4)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
