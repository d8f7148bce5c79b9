"""Reading the ledger: balances, trial balance, general ledger, journal search.

All sums are SQL aggregates over journal lines (never a Python loop over every line), always
filtered on the cooperative first so the (cooperative_id, account_id, entry_date) index serves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import BigInteger, and_, case, cast, func, or_, select

from koppontren.extensions import db
from koppontren.ledger.models import Account, JournalEntry, JournalLine, LedgerHead
from koppontren.tenancy.models import Cooperative

#: No entry is dated before this day: post_entry refuses years before 1900.
FIRST_ENTRY_DATE = date(1900, 1, 1)


@dataclass(frozen=True)
class BalanceRow:
    account: Account
    debit: int  # sum of debits, sen
    credit: int  # sum of credits, sen

    @property
    def net_debit(self) -> int:
        return self.debit - self.credit

    @property
    def balance(self) -> int:
        """Balance on the account's normal side (positive when normal)."""
        return self.net_debit if self.account.normal_balance == "debit" else -self.net_debit


def account_totals(coop: Cooperative, as_of: date | None = None, date_from: date | None = None) -> dict[int, tuple[int, int]]:
    """account_id -> (Σ debit, Σ credit) in sen, for lines dated in [date_from, as_of]."""
    stmt = select(JournalLine.account_id, func.sum(JournalLine.debit), func.sum(JournalLine.credit)).where(
        JournalLine.cooperative_id == coop.id
    )
    if as_of is not None:
        stmt = stmt.where(JournalLine.entry_date <= as_of)
    if date_from is not None:
        stmt = stmt.where(JournalLine.entry_date >= date_from)
    return {aid: (int(d or 0), int(c or 0)) for aid, d, c in db.session.execute(stmt.group_by(JournalLine.account_id))}


def trial_balance(coop: Cooperative, as_of: date | None = None) -> list[BalanceRow]:
    """Neraca saldo: every postable account with lines up to ``as_of``, by code. Σ debit = Σ credit."""
    totals = account_totals(coop, as_of)
    accounts = db.session.scalars(select(Account).where(Account.cooperative_id == coop.id, Account.id.in_(totals or [-1]))
                                  .order_by(Account.code))
    return [BalanceRow(a, *totals[a.id]) for a in accounts]


def balance_of(coop: Cooperative, account: Account, as_of: date | None = None, member_id: int | None = None) -> int:
    """Balance of one account on its normal side, in sen (optionally one member's subledger)."""
    stmt = select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
        JournalLine.cooperative_id == coop.id, JournalLine.account_id == account.id
    )
    if as_of is not None:
        stmt = stmt.where(JournalLine.entry_date <= as_of)
    if member_id is not None:
        stmt = stmt.where(JournalLine.member_id == member_id)
    net = int(db.session.scalar(stmt))
    return net if account.normal_balance == "debit" else -net


@dataclass(frozen=True)
class TreeRow:
    account: Account
    depth: int
    balance: int  # normal-side balance in sen, headers include their children


def chart_tree(coop: Cooperative, as_of: date | None = None) -> list[TreeRow]:
    """The chart as an indented tree with balances; a header's balance is the sum of its subtree,
    each child counted on the header's normal side."""
    accounts = list(db.session.scalars(select(Account).where(Account.cooperative_id == coop.id).order_by(Account.code)))
    totals = account_totals(coop, as_of)
    children: dict[int | None, list[Account]] = {}
    for a in accounts:
        children.setdefault(a.parent_id, []).append(a)
    net_debit: dict[int, int] = {}

    def subtree(a: Account) -> int:
        d, c = totals.get(a.id, (0, 0))
        value = d - c + sum(subtree(ch) for ch in children.get(a.id, []))
        net_debit[a.id] = value
        return value

    for root in children.get(None, []):
        subtree(root)
    rows: list[TreeRow] = []

    def walk(a: Account, depth: int) -> None:
        nd = net_debit.get(a.id, 0)
        rows.append(TreeRow(a, depth, nd if a.normal_balance == "debit" else -nd))
        for ch in children.get(a.id, []):
            walk(ch, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    return rows


@dataclass(frozen=True)
class LedgerLine:
    entry: JournalEntry
    line: JournalLine
    running: int  # normal-side balance after this line, sen


@dataclass(frozen=True)
class AccountLedger:
    account: Account
    opening: int  # normal-side balance before date_from
    lines: list[LedgerLine]
    closing: int
    total_debit: int
    total_credit: int


def account_ledger(coop: Cooperative, account: Account, date_from: date, date_to: date, member_id: int | None = None) -> AccountLedger:
    """Buku besar of one account between two dates: opening balance, each line with the running
    balance, closing balance."""
    sign = 1 if account.normal_balance == "debit" else -1
    opening_stmt = select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
        JournalLine.cooperative_id == coop.id, JournalLine.account_id == account.id, JournalLine.entry_date < date_from)
    stmt = (
        select(JournalEntry, JournalLine)
        .join(JournalEntry, and_(JournalEntry.cooperative_id == JournalLine.cooperative_id, JournalEntry.id == JournalLine.entry_id))
        .where(JournalLine.cooperative_id == coop.id, JournalLine.account_id == account.id,
               JournalLine.entry_date >= date_from, JournalLine.entry_date <= date_to)
        .order_by(JournalLine.entry_date, JournalEntry.id, JournalLine.line_no)
    )
    if member_id is not None:
        opening_stmt = opening_stmt.where(JournalLine.member_id == member_id)
        stmt = stmt.where(JournalLine.member_id == member_id)
    opening = sign * int(db.session.scalar(opening_stmt))
    running = opening
    out = []
    total_d = total_c = 0
    for entry, line in db.session.execute(stmt):
        running += sign * (line.debit - line.credit)
        total_d += line.debit
        total_c += line.credit
        out.append(LedgerLine(entry, line, running))
    return AccountLedger(account, opening, out, running, total_d, total_c)


@dataclass(frozen=True)
class JournalFilter:
    date_from: date | None = None
    date_to: date | None = None
    journal_type: str | None = None
    account_id: int | None = None
    member_id: int | None = None
    text: str | None = None


def search_entries(coop: Cooperative, f: JournalFilter, page: int = 1, per_page: int = 50) -> tuple[list[JournalEntry], int]:
    """Journal list, newest first, with the filters of the journal page; returns (entries, total)."""
    stmt = select(JournalEntry).where(JournalEntry.cooperative_id == coop.id)
    if f.date_from:
        stmt = stmt.where(JournalEntry.entry_date >= f.date_from)
    if f.date_to:
        stmt = stmt.where(JournalEntry.entry_date <= f.date_to)
    if f.journal_type:
        stmt = stmt.where(JournalEntry.journal_type == f.journal_type)
    if f.account_id is not None or f.member_id is not None:
        # the lines carry their entry's date: bounding them too lets SQLite (which plans without
        # statistics) seek ix_journal_line_account_date on (cooperative, account, date) instead of
        # scanning every line of the cooperative through the covering ix_journal_line_entry
        lines = select(JournalLine.entry_id).where(JournalLine.cooperative_id == coop.id,
                                                   JournalLine.entry_date >= (f.date_from or FIRST_ENTRY_DATE))
        if f.date_to:
            lines = lines.where(JournalLine.entry_date <= f.date_to)
        if f.account_id is not None:
            lines = lines.where(JournalLine.account_id == f.account_id)
        if f.member_id is not None:
            lines = lines.where(JournalLine.member_id == f.member_id)
        stmt = stmt.where(JournalEntry.id.in_(lines))
    if f.text:
        text = f.text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{text}%"
        stmt = stmt.where(or_(*(func.lower(col).like(like, escape="\\") for col in (
            JournalEntry.description, JournalEntry.number, func.coalesce(JournalEntry.reference, "")))))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    entries = list(db.session.scalars(
        stmt.order_by(JournalEntry.entry_date.desc(), JournalEntry.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return entries, int(total or 0)


def get_entry(coop: Cooperative, entry_id: int) -> JournalEntry | None:
    return db.session.scalar(select(JournalEntry).where(JournalEntry.cooperative_id == coop.id, JournalEntry.id == entry_id))


def get_entry_by_number(coop: Cooperative, number: str) -> JournalEntry | None:
    return db.session.scalar(select(JournalEntry).where(JournalEntry.cooperative_id == coop.id, JournalEntry.number == number))


def member_balances(coop: Cooperative, account_ids, member_ids=None, as_of: date | None = None) -> dict[int, dict[int, int]]:
    """member_id -> account_id -> Σ debit − Σ credit (sen) of the member subledger on those
    accounts, up to ``as_of``: one grouped query for any number of members (the member index)."""
    account_ids = list(account_ids)
    if not account_ids:
        return {}
    stmt = (select(JournalLine.member_id, JournalLine.account_id, func.sum(JournalLine.debit - JournalLine.credit))
            .where(JournalLine.cooperative_id == coop.id, JournalLine.member_id.is_not(None),
                   JournalLine.account_id.in_(account_ids)))
    if member_ids is not None:
        member_ids = list(member_ids)
        if not member_ids:
            return {}
        stmt = stmt.where(JournalLine.member_id.in_(member_ids))
    if as_of is not None:
        stmt = stmt.where(JournalLine.entry_date <= as_of)
    out: dict[int, dict[int, int]] = {}
    for member_id, account_id, net in db.session.execute(stmt.group_by(JournalLine.member_id, JournalLine.account_id)):
        out.setdefault(member_id, {})[account_id] = int(net or 0)
    return out


def party_balances(coop: Cooperative, account_ids, party_ids=None, as_of: date | None = None) -> dict[int, dict[int, int]]:
    """party_id -> account_id -> Σ debit − Σ credit (sen) of the party subledger (suppliers,
    customers, consignors) on those accounts, up to ``as_of``: one grouped query, like
    ``member_balances``."""
    account_ids = list(account_ids)
    if not account_ids:
        return {}
    stmt = (select(JournalLine.party_id, JournalLine.account_id, func.sum(JournalLine.debit - JournalLine.credit))
            .where(JournalLine.cooperative_id == coop.id, JournalLine.party_id.is_not(None),
                   JournalLine.account_id.in_(account_ids)))
    if party_ids is not None:
        party_ids = list(party_ids)
        if not party_ids:
            return {}
        stmt = stmt.where(JournalLine.party_id.in_(party_ids))
    if as_of is not None:
        stmt = stmt.where(JournalLine.entry_date <= as_of)
    out: dict[int, dict[int, int]] = {}
    for party_id, account_id, net in db.session.execute(stmt.group_by(JournalLine.party_id, JournalLine.account_id)):
        out.setdefault(party_id, {})[account_id] = int(net or 0)
    return out


def reversed_entry_ids(coop: Cooperative, entry_ids) -> set[int]:
    """Which of these entries have been reversed, or are themselves reversals."""
    entry_ids = list(set(entry_ids))
    if not entry_ids:
        return set()
    return set(db.session.scalars(select(JournalEntry.id).where(
        JournalEntry.cooperative_id == coop.id, JournalEntry.id.in_(entry_ids),
        or_(JournalEntry.reversed_by_id.is_not(None), JournalEntry.reverses_id.is_not(None)))))


def member_lines(coop: Cooperative, member_id: int, account_ids, date_from: date | None = None,
                 date_to: date | None = None, limit: int | None = None) -> list[tuple[JournalEntry, JournalLine]]:
    """A member's lines on the given accounts with their entries, oldest first (newest first with
    ``limit``: the latest movements)."""
    stmt = (
        select(JournalEntry, JournalLine)
        .join(JournalEntry, and_(JournalEntry.cooperative_id == JournalLine.cooperative_id, JournalEntry.id == JournalLine.entry_id))
        .where(JournalLine.cooperative_id == coop.id, JournalLine.member_id == member_id, JournalLine.account_id.in_(list(account_ids)))
    )
    if date_from is not None:
        stmt = stmt.where(JournalLine.entry_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(JournalLine.entry_date <= date_to)
    if limit is not None:
        return list(db.session.execute(stmt.order_by(JournalLine.entry_date.desc(), JournalEntry.id.desc(), JournalLine.line_no.desc()).limit(limit)))
    return list(db.session.execute(stmt.order_by(JournalLine.entry_date, JournalEntry.id, JournalLine.line_no)))


def get_entry_by_key(coop: Cooperative, key: str) -> JournalEntry | None:
    """The entry posted with this idempotency key, if any."""
    return db.session.scalar(select(JournalEntry).where(JournalEntry.cooperative_id == coop.id, JournalEntry.idempotency_key == key))


def latest_member_line_date(coop: Cooperative, member_id: int) -> date | None:
    """The date of a member's latest line on any account (their last movement in the books)."""
    return db.session.scalar(select(func.max(JournalLine.entry_date)).where(
        JournalLine.cooperative_id == coop.id, JournalLine.member_id == member_id))


def entry_account_totals(coop: Cooperative, entry_ids, account_id: int) -> tuple[int, int]:
    """(Σ debit, Σ credit) in sen of these entries' lines on one account."""
    entry_ids = list(entry_ids)
    if not entry_ids:
        return 0, 0
    d, c = db.session.execute(select(func.coalesce(func.sum(JournalLine.debit), 0), func.coalesce(func.sum(JournalLine.credit), 0))
                              .where(JournalLine.cooperative_id == coop.id, JournalLine.account_id == account_id,
                                     JournalLine.entry_id.in_(entry_ids))).one()
    return int(d), int(c)


def activity_totals(coop: Cooperative, date_from: date, date_to: date, exclude_journal_types=()) -> dict[int, tuple[int, int]]:
    """account_id -> (Σ debit, Σ credit) in sen of lines dated in [date_from, date_to], leaving out
    entries of the given journal types (e.g. ``("PN",)``: a year's activity without its closing entry)."""
    stmt = select(JournalLine.account_id, func.sum(JournalLine.debit), func.sum(JournalLine.credit)).where(
        JournalLine.cooperative_id == coop.id, JournalLine.entry_date >= date_from, JournalLine.entry_date <= date_to)
    if exclude_journal_types:
        stmt = stmt.join(JournalEntry, and_(JournalEntry.cooperative_id == JournalLine.cooperative_id,
                                            JournalEntry.id == JournalLine.entry_id)).where(
            JournalEntry.journal_type.not_in(list(exclude_journal_types)))
    return {aid: (int(d or 0), int(c or 0)) for aid, d, c in db.session.execute(stmt.group_by(JournalLine.account_id))}


def journal_type_net(coop: Cooperative, account_id: int, journal_type: str, date_from: date, date_to: date) -> int:
    """Σ credit − Σ debit (sen) on one account of the entries of one journal type dated in
    [date_from, date_to] — e.g. what the year's closing entries (PN) put on 3108."""
    value = db.session.scalar(
        select(func.coalesce(func.sum(JournalLine.credit - JournalLine.debit), 0))
        .join(JournalEntry, and_(JournalEntry.cooperative_id == JournalLine.cooperative_id, JournalEntry.id == JournalLine.entry_id))
        .where(JournalLine.cooperative_id == coop.id, JournalLine.account_id == account_id,
               JournalLine.entry_date >= date_from, JournalLine.entry_date <= date_to, JournalEntry.journal_type == journal_type))
    return int(value or 0)


def member_net_credits(coop: Cooperative, account_ids, date_from: date | None = None, date_to: date | None = None,
                       month_ends: list[date] | None = None) -> dict[int, dict[int, int]]:
    """member_id -> account_id -> Σ (credit − debit) in sen of the member subledger on those accounts,
    one grouped query for every member.

    With ``month_ends`` (ascending, the last ``date_to``): the sum of the balances at each of those
    dates instead — each line weighted by how many of the dates it is on or before — which is
    12 × the average month-end balance of a year in one aggregate (SHU jasa modal, RULES.md §6)."""
    account_ids = list(account_ids)
    if not account_ids:
        return {}
    amount = JournalLine.credit - JournalLine.debit
    if month_ends:
        weight = case(*[(JournalLine.entry_date <= day, len(month_ends) - k) for k, day in enumerate(month_ends)], else_=0)
        amount = amount * weight
        date_to = month_ends[-1]
    # CAST: PostgreSQL's SUM of bigint is numeric, which the driver would hand over as Decimal
    stmt = (select(JournalLine.member_id, JournalLine.account_id, cast(func.sum(amount), BigInteger))
            .where(JournalLine.cooperative_id == coop.id, JournalLine.member_id.is_not(None),
                   JournalLine.account_id.in_(account_ids)))
    if date_from is not None:
        stmt = stmt.where(JournalLine.entry_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(JournalLine.entry_date <= date_to)
    out: dict[int, dict[int, int]] = {}
    # Core execution on the session's connection: plain rows, no ORM result handling (10,000s of rows)
    db.session.flush()
    for member_id, account_id, net in db.session.connection().execute(stmt.group_by(JournalLine.member_id, JournalLine.account_id)):
        out.setdefault(member_id, {})[account_id] = int(net or 0)
    return out


def line_count(coop: Cooperative) -> int:
    """How many journal lines the cooperative has (the generator sizes its sales by it)."""
    return int(db.session.scalar(select(func.count()).select_from(JournalLine).where(JournalLine.cooperative_id == coop.id)))


def chain_head(coop: Cooperative) -> tuple[int, str]:
    """(entries posted, hash of the last one): two ledgers with the same head hold the same entries."""
    head = db.session.execute(select(LedgerHead.entries, LedgerHead.last_hash).where(LedgerHead.cooperative_id == coop.id)).one()
    return int(head[0] or 0), head[1]


def first_entry_date(coop: Cooperative, journal_type: str | None = None) -> date | None:
    """The date of the cooperative's earliest entry (of one journal type), or None."""
    stmt = select(func.min(JournalEntry.entry_date)).where(JournalEntry.cooperative_id == coop.id)
    if journal_type is not None:
        stmt = stmt.where(JournalEntry.journal_type == journal_type)
    return db.session.scalar(stmt)
