"""The SQL the statements run: grouped sums over journal lines, filtered on the cooperative first.

Every figure of a statement comes from a handful of ``GROUP BY account`` aggregates, each served
by an index that leads with cooperative_id and covers what it reads (lines by account and date,
lines by entry, entries by date and type: see the ledger models); no Python loop touches every
line, and no statement reads table rows, which in a shared database lie among other cooperatives'
rows. The year-end closing entries (journal type PN) and the SHU distribution entries (SHU) are
few, so they are summed separately (from the entry side) and taken out where a statement must not
see them, instead of joining every line to its entry. Read-only: nothing here writes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, and_, bindparam, func, select, text

from koppontren.extensions import db
from koppontren.ledger import queries
from koppontren.ledger.models import Account, JournalEntry, JournalLine
from koppontren.tenancy.models import Cooperative

#: Journal types a statement may need to take out: the year-end close and the SHU distribution.
CLOSING = "PN"
SHU_DISTRIBUTION = "SHU"


_MEMO: ContextVar[dict | None] = ContextVar("statements_shared_reads", default=None)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Inside this block an aggregate asked again with the same arguments is answered from the
    first reading (the RAT pack asks for the same year-end balances in five statements). The
    callers treat the returned dicts as read-only."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _shared(fn):
    @functools.wraps(fn)
    def wrapped(coop, *args):
        memo = _MEMO.get()
        if memo is None:
            return fn(coop, *args)
        key = (fn.__name__, coop.id, *(tuple(a) if isinstance(a, list | tuple | set) else a for a in args))
        if key not in memo:
            memo[key] = fn(coop, *args)
        return memo[key]

    return wrapped


def accounts(coop: Cooperative) -> list[Account]:
    """The whole chart, by code (a few hundred rows at most)."""
    return list(db.session.scalars(select(Account).where(Account.cooperative_id == coop.id).order_by(Account.code)))


@_shared
def net_debit_as_of(coop: Cooperative, as_of: date) -> dict[int, int]:
    """account_id -> Σ debit − Σ credit (sen) of every line dated up to ``as_of``: one aggregate."""
    return {aid: d - c for aid, (d, c) in queries.account_totals(coop, as_of).items()}


@_shared
def movements(coop: Cooperative, date_from: date, date_to: date) -> dict[int, tuple[int, int]]:
    """account_id -> (Σ debit, Σ credit) of the lines dated in [date_from, date_to]."""
    return queries.account_totals(coop, date_to, date_from)


@_shared
def typed_movements(coop: Cooperative, date_from: date, date_to: date, journal_types) -> dict[tuple[str, int], tuple[int, int]]:
    """(journal type, account_id) -> (Σ debit, Σ credit) of the entries of those types in the period,
    read from the entry side (there are few of them)."""
    stmt = (
        select(JournalEntry.journal_type, JournalLine.account_id, func.sum(JournalLine.debit), func.sum(JournalLine.credit))
        .join(JournalLine, and_(JournalLine.cooperative_id == JournalEntry.cooperative_id, JournalLine.entry_id == JournalEntry.id))
        .where(JournalEntry.cooperative_id == coop.id, JournalEntry.journal_type.in_(list(journal_types)),
               JournalEntry.entry_date >= date_from, JournalEntry.entry_date <= date_to)
        .group_by(JournalEntry.journal_type, JournalLine.account_id)
    )
    return {(jt, aid): (int(d or 0), int(c or 0)) for jt, aid, d, c in db.session.execute(stmt)}


def movements_without(coop: Cooperative, date_from: date, date_to: date, journal_types=(CLOSING,)) -> dict[int, tuple[int, int]]:
    """``movements`` less the lines of entries of ``journal_types`` (by default the closing entry:
    a year's PHU must not see the entry that zeroes it)."""
    out = dict(movements(coop, date_from, date_to))
    for (_jt, aid), (d, c) in typed_movements(coop, date_from, date_to, journal_types).items():
        od, oc = out.get(aid, (0, 0))
        out[aid] = (od - d, oc - c)
    return out


#: The cash flow's one query. Driven from the entry side — the period's entries (index
#: ix_journal_entry_date_type), those with a line on a cash account, then their other lines (both
#: through ix_journal_line_entry) — so every read is index-only and touches only this cooperative's
#: part of each index, however many cooperatives share the tables (issue 10 §4). ``CROSS JOIN``
#: fixes that join order on SQLite, whose planner without statistics would otherwise start from
#: the lines and fetch each one's table row for its entry; PostgreSQL reads it as a plain inner join.
#: An entry's lines all carry the entry's date (posting writes it), so the period is the entry's.
_CASH_FLOWS_SQL = text(
    "SELECT l.account_id, SUM(l.credit - l.debit) FROM journal_entry e CROSS JOIN journal_line l "
    "WHERE e.cooperative_id = :coop AND e.entry_date >= :date_from AND e.entry_date <= :date_to "
    "AND l.cooperative_id = e.cooperative_id AND l.entry_id = e.id AND l.account_id NOT IN :cash "
    "AND EXISTS (SELECT 1 FROM journal_line c WHERE c.cooperative_id = e.cooperative_id AND c.entry_id = e.id "
    "AND c.account_id IN :cash) "
    "GROUP BY l.account_id"
).bindparams(bindparam("date_from", type_=Date), bindparam("date_to", type_=Date), bindparam("cash", expanding=True))


@_shared
def cash_flows(coop: Cooperative, date_from: date, date_to: date, cash_ids) -> dict[int, int]:
    """account_id -> Σ credit − Σ debit (sen) of the non-cash lines of the entries that touch a cash
    account in the period (RULES.md §5, direct method). Their sum is the net cash movement."""
    cash_ids = sorted(cash_ids)
    if not cash_ids:
        return {}
    rows = db.session.execute(_CASH_FLOWS_SQL, {"coop": coop.id, "date_from": date_from, "date_to": date_to, "cash": cash_ids})
    return {aid: int(v or 0) for aid, v in rows}


def day_before(day: date) -> date:
    return day - timedelta(days=1)


@dataclass(frozen=True)
class LedgerItem:
    entry_id: int
    entry_date: date
    number: str
    description: str
    memo: str | None
    member_id: int | None
    debit: int
    credit: int


def _ledger_lines(coop: Cooperative, account_id: int, date_from: date, date_to: date):
    return (
        select(JournalLine.entry_id, JournalLine.entry_date, JournalEntry.number, JournalEntry.description, JournalLine.memo,
               JournalLine.member_id, JournalLine.debit, JournalLine.credit)
        .join(JournalEntry, and_(JournalEntry.cooperative_id == JournalLine.cooperative_id, JournalEntry.id == JournalLine.entry_id))
        .where(JournalLine.cooperative_id == coop.id, JournalLine.account_id == account_id,
               JournalLine.entry_date >= date_from, JournalLine.entry_date <= date_to)
        .order_by(JournalLine.entry_date, JournalLine.entry_id, JournalLine.line_no)
    )


def ledger_page(coop: Cooperative, account_id: int, date_from: date, date_to: date, offset: int = 0,
                limit: int | None = None) -> tuple[int, int, list[LedgerItem], int]:
    """One page of an account's lines in the period: (net debit before the period, net debit of the
    period's lines before ``offset``, the page's lines, number of lines in the period). The running
    balance of a page needs no earlier page: the sums come from SQL."""
    base = (JournalLine.cooperative_id == coop.id, JournalLine.account_id == account_id)
    opening = int(db.session.scalar(select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
                                    .where(*base, JournalLine.entry_date < date_from)) or 0)
    count = int(db.session.scalar(select(func.count()).where(*base, JournalLine.entry_date >= date_from,
                                                             JournalLine.entry_date <= date_to)) or 0)
    before = 0
    if offset:
        earlier = (select(JournalLine.debit, JournalLine.credit)
                   .where(*base, JournalLine.entry_date >= date_from, JournalLine.entry_date <= date_to)
                   .order_by(JournalLine.entry_date, JournalLine.entry_id, JournalLine.line_no).limit(offset).subquery())
        before = int(db.session.scalar(select(func.coalesce(func.sum(earlier.c.debit - earlier.c.credit), 0))) or 0)
    stmt = _ledger_lines(coop, account_id, date_from, date_to)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    items = [LedgerItem(*row) for row in db.session.execute(stmt)]
    return opening, before, items, count


def journal_page(coop: Cooperative, date_from: date, date_to: date, offset: int = 0, limit: int | None = None):
    """Entries of the period in date order with their lines: (entries, lines by entry id, number of
    entries, Σ debit of the period)."""
    where = (JournalEntry.cooperative_id == coop.id, JournalEntry.entry_date >= date_from, JournalEntry.entry_date <= date_to)
    count, total = db.session.execute(select(func.count(), func.coalesce(func.sum(JournalEntry.total), 0)).where(*where)).one()
    stmt = (select(JournalEntry.id, JournalEntry.entry_date, JournalEntry.number, JournalEntry.description, JournalEntry.journal_type)
            .where(*where).order_by(JournalEntry.entry_date, JournalEntry.id))
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    entries = list(db.session.execute(stmt))
    lines: dict[int, list] = {}
    ids = [e.id for e in entries]
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        for row in db.session.execute(
            select(JournalLine.entry_id, JournalLine.account_id, JournalLine.debit, JournalLine.credit, JournalLine.memo,
                   JournalLine.member_id)
            .where(JournalLine.cooperative_id == coop.id, JournalLine.entry_id.in_(chunk))
            .order_by(JournalLine.entry_id, JournalLine.line_no)
        ):
            lines.setdefault(row.entry_id, []).append(row)
    return entries, lines, int(count or 0), int(total or 0)


def chain_head(coop: Cooperative) -> str:
    """The hash of the cooperative's latest entry (the head of its hash chain): any posting changes
    it, so it keys cached PDFs."""
    from koppontren.ledger.models import LedgerHead

    head = db.session.scalar(select(LedgerHead.last_hash).where(LedgerHead.cooperative_id == coop.id))
    return head or "0" * 64
