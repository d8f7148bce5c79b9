"""Monthly periods and the year-end close (RULES.md §4).

A closed month refuses postings dated in it. Closing the fiscal year posts one closing entry (PN)
dated its last day that zeroes every revenue and expense account into 3108 SHU Tahun Berjalan, then
closes its twelve months. Closing and reopening are administrator actions, each audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from koppontren import money
from koppontren.audit.services import record
from koppontren.extensions import db
from koppontren.ledger.chart import account_for
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.fiscal import fiscal_year_bounds, fiscal_year_of, months_of_fiscal_year
from koppontren.ledger.models import Account, JournalEntry, JournalLine, Period
from koppontren.ledger.posting import LineSpec, latest_closed_fiscal_year, lock_ledger, post_entry
from koppontren.operations import command
from koppontren.tenancy.models import Cooperative, utcnow


@dataclass(frozen=True)
class MonthStatus:
    year: int
    month: int
    closed: bool
    entries: int


def _period_row(coop: Cooperative, year: int, month: int) -> Period | None:
    return db.session.scalar(select(Period).where(Period.cooperative_id == coop.id, Period.year == year, Period.month == month))


def _set_closed(coop: Cooperative, year: int, month: int, closed: bool, actor) -> bool:
    row = _period_row(coop, year, month)
    if row is None:
        if not closed:
            return False
        row = Period(cooperative_id=coop.id, year=year, month=month, closed=False)
        db.session.add(row)
    if row.closed == closed:
        return False
    row.closed = closed
    row.changed_at = utcnow()
    row.changed_by_id = getattr(actor, "id", None)
    return True


@command("ledger.close_month")
def close_month(coop: Cooperative, year: int, month: int, *, actor) -> None:
    """Close one month: postings dated in it are refused from now on. Audited."""
    if not 1 <= month <= 12:
        raise LedgerError("invalid_date", _l("Bulan tidak sah."))
    lock_ledger(coop.id)  # a posting into this month either commits before the close or sees it closed
    if _set_closed(coop, year, month, True, actor):
        record("period.closed", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), period=f"{year}-{month:02d}")


@command("ledger.reopen_month")
def reopen_month(coop: Cooperative, year: int, month: int, *, actor, reason: str = "") -> None:
    """Reopen a closed month (an audited administrator action; the reason is kept in the log).

    A fiscal year at or before the latest closed fiscal year stays closed whatever its months say, so
    a month of an earlier year is reopened only after the later years are (``later_year_closed``)."""
    if not 1 <= month <= 12:
        raise LedgerError("invalid_date", _l("Bulan tidak sah."))
    lock_ledger(coop.id)
    fiscal_year = fiscal_year_of(date(year, month, 1), coop.fiscal_year_start_month)
    latest = latest_closed_fiscal_year(coop.id, coop.fiscal_year_start_month)
    if latest is not None and fiscal_year < latest:
        raise LedgerError("later_year_closed", _l(
            "Tahun buku %(y)s sudah ditutup: buka dulu tahun buku %(l)s sebelum membuka bulan di tahun sebelumnya.", y=latest, l=latest))
    if _set_closed(coop, year, month, False, actor):
        record("period.reopened", cooperative_id=coop.id, actor_id=getattr(actor, "id", None),
               period=f"{year}-{month:02d}", reason=(reason or "").strip()[:300] or None)


def fiscal_year_status(coop: Cooperative, fiscal_year: int) -> list[MonthStatus]:
    """The twelve months of a fiscal year with their state and number of entries."""
    first, last = fiscal_year_bounds(fiscal_year, coop.fiscal_year_start_month)
    closed = {
        (p.year, p.month)
        for p in db.session.scalars(select(Period).where(Period.cooperative_id == coop.id, Period.closed.is_(True)))
    }
    year_col = func.extract("year", JournalEntry.entry_date)
    month_col = func.extract("month", JournalEntry.entry_date)
    counts = {
        (int(y), int(m)): n
        for y, m, n in db.session.execute(
            select(year_col, month_col, func.count())
            .where(JournalEntry.cooperative_id == coop.id, JournalEntry.entry_date.between(first, last))
            .group_by(year_col, month_col)
        )
    }
    return [MonthStatus(y, m, (y, m) in closed, counts.get((y, m), 0)) for y, m in months_of_fiscal_year(fiscal_year, coop.fiscal_year_start_month)]


def result_balances(coop: Cooperative, up_to: date) -> list[tuple[Account, int]]:
    """Net debit balance (debit − credit, sen) of every revenue and expense account up to a date."""
    rows = db.session.execute(
        select(Account, func.sum(JournalLine.debit - JournalLine.credit))
        .join(JournalLine, (JournalLine.cooperative_id == Account.cooperative_id) & (JournalLine.account_id == Account.id))
        .where(Account.cooperative_id == coop.id, Account.type.in_(("revenue", "expense")), JournalLine.entry_date <= up_to)
        .group_by(Account.id)
        .order_by(Account.code)
    ).all()
    return [(account, int(balance)) for account, balance in rows if balance]


def closing_lines(balances: list[tuple[Account, int]], shu_account: Account) -> list[LineSpec]:
    """The closing entry's lines (a pure function of the balances): each revenue and expense account
    brought to zero, and the difference — the year's SHU (credit) or loss (debit) — on SHU Tahun Berjalan."""
    lines = []
    net = 0
    for account, debit_balance in balances:
        if debit_balance > 0:
            lines.append(LineSpec(account, credit=money.from_sen(debit_balance)))
        else:
            lines.append(LineSpec(account, debit=money.from_sen(-debit_balance)))
        net += debit_balance
    if net < 0:
        lines.append(LineSpec(shu_account, credit=money.from_sen(-net)))
    elif net > 0:
        lines.append(LineSpec(shu_account, debit=money.from_sen(net)))
    return lines


@command("ledger.close_year")
def close_year(coop: Cooperative, fiscal_year: int, *, actor) -> JournalEntry | None:
    """Year-end close: post the closing entry (PN) on the fiscal year's last day, then close its months.

    The entry debits every revenue account and credits every expense account by its balance (what it
    takes to bring each to zero) and puts the difference — the year's SHU, or loss — on 3108 SHU Tahun
    Berjalan. Closing again after a reopened month was corrected closes only what changed. Refused
    (``previous_year_open``) while an earlier year still has revenue or expense balances, so one
    year's result never lands in another's SHU. Returns the closing entry, or None when every result
    account was already zero.
    """
    first, last = fiscal_year_bounds(fiscal_year, coop.fiscal_year_start_month)
    lock_ledger(coop.id)
    if result_balances(coop, first - timedelta(days=1)):
        raise LedgerError("previous_year_open", _l(
            "Tahun buku sebelum %(y)s belum ditutup: pendapatan dan bebannya masih bersaldo. Tutup tahun itu dulu.", y=fiscal_year))
    balances = result_balances(coop, last)
    entry = None
    if balances:
        entry = post_entry(
            coop, entry_date=last, description=f"Jurnal penutup tahun buku {fiscal_year}",
            lines=closing_lines(balances, account_for(coop, "shu_current")),
            journal_type="PN", source="closing", actor=actor, allow_closed_period=True, allow_inactive=True,
        )
    changed = [
        (y, m) for y, m in months_of_fiscal_year(fiscal_year, coop.fiscal_year_start_month) if _set_closed(coop, y, m, True, actor)
    ]
    if entry is None and not changed:
        raise LedgerError("nothing_to_close", _l("Tahun buku %(y)s sudah ditutup.", y=fiscal_year))
    record("year.closed", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), fiscal_year=fiscal_year,
           closing_entry=entry.number if entry else None)
    return entry
