"""The ledger's part of a cooperative's life cycle, plugged into ``tenancy.lifecycle`` by
``ledger.wiring``: a new cooperative's books are opened (the default chart of accounts and the
start of its hash chain), and its books start moves only where no posting already stands."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from koppontren.ledger.chart import seed_chart
from koppontren.ledger.fiscal import fiscal_year_of
from koppontren.ledger.posting import latest_closed_fiscal_year, lock_ledger, start_chain
from koppontren.ledger.queries import first_entry_date
from koppontren.tenancy.errors import TenancyError
from koppontren.tenancy.models import Cooperative


def open_books(coop: Cooperative) -> None:
    """A new cooperative's chart of accounts and the first link of its hash chain (no commit)."""
    seed_chart(coop)
    start_chain(coop)


def check_books_start_move(coop: Cooperative, new: date) -> None:
    """Raises TenancyError(code="books_start_locked") when an entry is dated before ``new``, an
    opening balance is posted, or ``new`` lies in a closed fiscal year."""
    lock_ledger(coop.id)  # no posting slips in between the look and the change
    earlier = first_entry_date(coop)
    if earlier is not None and earlier < new:
        raise TenancyError("books_start_locked", _l("Awal pembukuan tidak bisa dipindah ke %(d)s: sudah ada jurnal bertanggal %(e)s.",
                                                    d=new.strftime("%d/%m/%Y"), e=earlier.strftime("%d/%m/%Y")),
                           {"books_start": _l("Sudah ada jurnal sebelumnya.")})
    if first_entry_date(coop, "SA") is not None:
        raise TenancyError("books_start_locked", _l("Awal pembukuan tidak bisa dipindah: saldo awal sudah dibukukan pada tanggal itu."),
                           {"books_start": _l("Saldo awal sudah dibukukan.")})
    closed = latest_closed_fiscal_year(coop.id, coop.fiscal_year_start_month)
    if closed is not None and fiscal_year_of(new, coop.fiscal_year_start_month) <= closed:
        raise TenancyError("books_start_locked", _l("Awal pembukuan tidak bisa dipindah ke tahun buku yang sudah ditutup."),
                           {"books_start": _l("Tahun buku tertutup.")})
