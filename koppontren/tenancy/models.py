"""The cooperative: the tenant that owns every row of domain data."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from koppontren.clock import utcnow
from koppontren.extensions import db


def first_day_of_current_fiscal_year(start_month: int = 1) -> date:
    """The default books start: the first day of the fiscal year that contains today."""
    from koppontren.clock import today

    day = today()
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


def _default_books_start(context) -> date:
    return first_day_of_current_fiscal_year(context.get_current_parameters().get("fiscal_year_start_month") or 1)


class Cooperative(db.Model):
    """One Koperasi Pondok Pesantren hosted on this deployment.

    ``slug`` is the first segment of every page URL (``/<slug>/…``) and of every API path; it never
    changes once created. ``currency_decimals`` is how many decimals amounts may carry (0 = whole
    rupiah, the default). ``fiscal_year_start_month`` is 1 for a calendar tahun buku. ``books_start``
    (awal pembukuan) is the first day the cooperative keeps its books here: the ledger refuses any
    entry dated before it, and the opening balances are dated on it. ``signing_town`` is the town
    written before the date where the officers sign ("Kediri, 31 Desember 2026").
    """

    __tablename__ = "cooperative"
    __table_args__ = (
        CheckConstraint("fiscal_year_start_month BETWEEN 1 AND 12", name="fiscal_month"),
        CheckConstraint("currency_decimals BETWEEN 0 AND 2", name="currency_decimals"),
        CheckConstraint("locale IN ('id', 'en')", name="locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_number: Mapped[str | None] = mapped_column(String(100))  # nomor badan hukum
    nik_koperasi: Mapped[str | None] = mapped_column(String(40))  # Nomor Induk Koperasi
    address: Mapped[str | None] = mapped_column(Text)
    pesantren_name: Mapped[str | None] = mapped_column(String(200))
    fiscal_year_start_month: Mapped[int] = mapped_column(Integer, default=1)
    currency_decimals: Mapped[int] = mapped_column(Integer, default=0)
    locale: Mapped[str] = mapped_column(String(5), default="id")
    books_start: Mapped[date] = mapped_column(Date, default=_default_books_start)
    signing_town: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<Cooperative {self.slug}>"


class CoopScoped:
    """Mixin for every table holding a cooperative's data: a ``cooperative_id`` column.

    Each table declares its own unique keys and main index starting with ``cooperative_id``
    (DESIGN.md §2), so no separate single-column index is added here.
    """

    @declared_attr
    def cooperative_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy's declared_attr convention
        return mapped_column(ForeignKey("cooperative.id", ondelete="RESTRICT"))


#: the officers a cooperative has (UU 25/1992: pengurus — ketua, sekretaris, bendahara — and pengawas;
#: a manajer the pengurus may appoint), in the order they are listed and sign
OFFICER_ROLES = ("ketua", "sekretaris", "bendahara", "pengawas", "manajer")


class CoopOfficer(CoopScoped, db.Model):
    """One officer of the cooperative for a term: ``role`` one of OFFICER_ROLES, ``name`` as it is
    printed under a signature, ``term_start``–``term_end`` the term (masa bakti; no end: open).
    ``position`` keeps the order the list was given in (several pengawas)."""

    __tablename__ = "coop_officer"
    __table_args__ = (
        CheckConstraint("role IN ('ketua', 'sekretaris', 'bendahara', 'pengawas', 'manajer')", name="role"),
        CheckConstraint("term_end IS NULL OR term_end >= term_start", name="term"),
        Index("ix_coop_officer_cooperative_id_position", "cooperative_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)
