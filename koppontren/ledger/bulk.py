"""Bulk posting: many entries of one cooperative in one transaction, for the data generator and imports
of history.

``post_entry`` is one request's posting (a lock, a claim and a write per entry, one commit). A
generator of a million lines would spend its time in those round trips, so :class:`BulkPoster` takes
the cooperative's ledger lock once, reads its settings, accounts, closed months, voucher counters and
chain head once, and then checks every entry with **the same rule functions as post_entry**
(``_draft`` and ``_check``: amounts, sides, accounts, reserved accounts, subledgers, balance) and
refuses closed months, numbers it gaplessly and chains its hash exactly as post_entry would. The rows
go to the database in batches at :meth:`flush` (COPY on PostgreSQL, executemany on SQLite) with the
counters and the chain head brought up to date, so ``koppontren check`` proves the result like any
other ledger, and the database's own guards (the deferred balance trigger on PostgreSQL, the
foreign keys and checks) still run. The caller commits (once per batch); a refusal raises LedgerError
and the caller rolls back, which writes nothing of the batch.

No idempotency keys: a bulk batch is all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from koppontren import money
from koppontren.audit.services import record
from koppontren.extensions import db
from koppontren.ledger.fiscal import fiscal_year_of
from koppontren.ledger.models import Account, LedgerHead, Period, VoucherCounter
from koppontren.ledger.posting import (
    _ENTRY_COLUMNS,
    CASH_ROLES,
    _Account,
    _check,
    _content_hash,
    _db_value,
    _draft,
    _driver_sql,
    _Facts,
    _insufficient_funds,
    _period_closed_error,
    _pk,
    add_cash_days,
    check_entry_date,
    first_negative_day,
    latest_closed_fiscal_year,
    lock_ledger,
)
from koppontren.tenancy import rls
from koppontren.tenancy.models import Cooperative

_LINE_COLUMNS = ("cooperative_id", "entry_id", "line_no", "account_id", "entry_date", "debit", "credit", "member_id", "party_id", "memo")
_IDS_PER_CLAIM = 1000
_SET_COUNTER = "UPDATE voucher_counter SET last_sequence = ? WHERE cooperative_id = ? AND journal_type = ? AND fiscal_year = ?"
_NEW_COUNTER = "INSERT INTO voucher_counter (cooperative_id, journal_type, fiscal_year, last_sequence) VALUES (?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class BulkEntry:
    """What a bulk posting returns: enough for the caller's own documents (a sale names its entry)."""

    id: int
    number: str
    total: int  # sen


class BulkPoster:
    """Post many entries of ``coop`` inside the caller's transaction; see the module docstring.

    Use: ``poster = BulkPoster(coop, source="shop")``, then ``poster.post(...)`` per entry,
    ``poster.flush()`` and ``db.session.commit()``. The ledger lock is held from the constructor to the
    caller's commit or rollback; a poster serves one transaction.
    """

    def __init__(self, coop: Cooperative, *, source: str, internal_subledgers: frozenset[str] = frozenset(), actor=None) -> None:
        session = db.session
        session.flush()
        self.coop_id = _pk(coop)
        self.source = source
        self.internal = internal_subledgers
        self.actor_id = getattr(actor, "id", None)
        head = lock_ledger(self.coop_id)
        self.last_hash = head.last_hash
        self.entries_before = head.entries or 0
        row = session.execute(select(Cooperative.currency_decimals, Cooperative.fiscal_year_start_month, Cooperative.books_start)
                              .where(Cooperative.id == self.coop_id)).one()
        self.facts = _Facts(self.coop_id, row[0], row[1], head.last_hash, row[2])
        self.accounts = [
            _Account(a.id, a.code, bool(a.postable), bool(a.active), a.subledger, a.role, bool(a.allow_overdraft))
            for a in session.execute(select(Account.id, Account.code, Account.postable, Account.active, Account.subledger, Account.role,
                                            Account.allow_overdraft).where(Account.cooperative_id == self.coop_id))
        ]
        self._cash_ids = {a.id for a in self.accounts if a.role in CASH_ROLES}
        self._cash = {a.id: a for a in self.accounts if a.id in self._cash_ids and not a.allow_overdraft}
        #: cash account id → (first date the batch takes money from it, a line number naming it)
        self._cash_out: dict[int, tuple[date, int]] = {}
        self.closed = {(y, m) for y, m in session.execute(select(Period.year, Period.month).where(
            Period.cooperative_id == self.coop_id, Period.closed.is_(True)))}
        self.closed_through = latest_closed_fiscal_year(self.coop_id, row[1])
        self.counters = {(jt, fy): n for jt, fy, n in session.execute(
            select(VoucherCounter.journal_type, VoucherCounter.fiscal_year, VoucherCounter.last_sequence)
            .where(VoucherCounter.cooperative_id == self.coop_id))}
        self._known_counters = set(self.counters)
        self._free_ids: list[int] = []
        self._entries: list[tuple] = []
        self._lines: list[tuple] = []
        self.posted = 0
        self.last_entry_id = head.last_entry_id

    @property
    def pending_lines(self) -> int:
        """Lines kept for the next :meth:`flush`."""
        return len(self._lines)

    # --- posting ---------------------------------------------------------------------------------

    def post(self, *, entry_date: date, description: str, lines, journal_type: str = "JU", reference: str | None = None) -> BulkEntry:
        """Check and number one entry and keep its rows for :meth:`flush`. Raises LedgerError (the
        codes of post_entry) and keeps nothing of this entry."""
        draft = _draft(entry_date, description, lines, journal_type, reference)
        request = _check(self.facts, draft, self.accounts, self.internal, False, self.source)
        fiscal_year = fiscal_year_of(entry_date, self.facts.fiscal_year_start_month)
        if (entry_date.year, entry_date.month) in self.closed or (self.closed_through is not None and fiscal_year <= self.closed_through):
            raise _period_closed_error(entry_date)
        check_entry_date(self.facts, entry_date)
        net: dict[int, int] = {}
        for c in request.lines:
            if c.account_id in self._cash:
                net[c.account_id] = net.get(c.account_id, 0) + c.debit - c.credit
        for account_id, delta in net.items():
            if delta < 0:
                first = self._cash_out.get(account_id)
                if first is None or entry_date < first[0]:
                    self._cash_out[account_id] = (entry_date, self.posted + 1)
        sequence = self.counters.get((journal_type, fiscal_year), 0) + 1
        number = f"{journal_type}/{fiscal_year}/{sequence:06d}"
        total = sum(c.debit for c in request.lines)
        rows = [(n, c.account_id, c.debit, c.credit, c.member_id, c.party_id, c.memo) for n, c in enumerate(request.lines, start=1)]
        digest = _content_hash(self.coop_id, number, journal_type, fiscal_year, sequence, entry_date, request.description,
                               request.reference, None, total, self.last_hash, rows)
        entry_id = self._next_id()
        now = datetime.now(UTC)
        values = {
            "cooperative_id": self.coop_id, "journal_type": journal_type, "fiscal_year": fiscal_year, "sequence": sequence,
            "number": number, "entry_date": entry_date, "description": request.description, "reference": request.reference,
            "source": self.source, "total": total, "idempotency_key": None, "request_hash": request.fingerprint(),
            "reverses_id": None, "created_by_id": self.actor_id, "created_at": now, "prev_hash": self.last_hash, "entry_hash": digest,
        }
        self._entries.append((entry_id, *(values[c] for c in _ENTRY_COLUMNS)))
        self._lines.extend((self.coop_id, entry_id, r[0], r[1], entry_date, *r[2:]) for r in rows)
        self.counters[(journal_type, fiscal_year)] = sequence
        self.last_hash = digest
        self.last_entry_id = entry_id
        self.posted += 1
        return BulkEntry(entry_id, number, total)

    def _next_id(self) -> int:
        """Entry ids claimed ahead: from the sequence on PostgreSQL (other cooperatives post at the
        same time), past the largest id on SQLite (the write lock is held since BEGIN IMMEDIATE)."""
        if not self._free_ids:
            conn = db.session.connection()
            if conn.dialect.name == "postgresql":
                self._free_ids = [r[0] for r in conn.exec_driver_sql(
                    "SELECT nextval(pg_get_serial_sequence('journal_entry', 'id')) FROM generate_series(1, %s)", (_IDS_PER_CLAIM,))]
            else:
                top = max([conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM journal_entry").scalar_one(),
                           *(e[0] for e in self._entries[-1:])])
                self._free_ids = list(range(top + 1, top + 1 + _IDS_PER_CLAIM))
            self._free_ids.reverse()
        return self._free_ids.pop()

    # --- writing ---------------------------------------------------------------------------------

    def flush(self) -> int:
        """Write the kept entries and lines, the voucher counters and the chain head (and one audit
        event for the batch). Returns the number of entries written. The caller commits."""
        if not self._entries:
            return 0
        conn = db.session.connection()
        dialect = conn.dialect.name
        entry_columns = ("id", *_ENTRY_COLUMNS)
        if dialect == "postgresql":
            cur = conn.connection.driver_connection.cursor()
            for table, columns, rows in (("journal_entry", entry_columns, self._entries), ("journal_line", _LINE_COLUMNS, self._lines)):
                rls.copy_rows(cur, table, columns, rows)
            cur.close()
        else:
            def sqlite_row(row):
                return tuple(_db_value("sqlite", v) if isinstance(v, date) else v for v in row)

            for table, columns, rows in (("journal_entry", entry_columns, self._entries), ("journal_line", _LINE_COLUMNS, self._lines)):
                conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",  # noqa: S608
                                     [sqlite_row(r) for r in rows])
        written = len(self._entries)
        paramstyle = conn.dialect.paramstyle
        for (jt, fy), n in self.counters.items():
            if (jt, fy) in self._known_counters:
                conn.exec_driver_sql(_driver_sql(paramstyle, _SET_COUNTER), (n, self.coop_id, jt, fy))
            else:
                conn.exec_driver_sql(_driver_sql(paramstyle, _NEW_COUNTER), (self.coop_id, jt, fy, n))
                self._known_counters.add((jt, fy))
        days: dict[tuple[int, date], int] = {}
        for line in self._lines:  # (coop, entry, line_no, account, date, debit, credit, …)
            if line[3] in self._cash_ids:
                days[(line[3], line[4])] = days.get((line[3], line[4]), 0) + line[5] - line[6]
        add_cash_days(conn, self.coop_id, [(account_id, day, net) for (account_id, day), net in sorted(days.items())])
        for account_id, (since, _entry_no) in self._cash_out.items():
            found = first_negative_day(conn, self.coop_id, account_id, since)
            if found is not None:
                raise _insufficient_funds(self._cash[account_id], 1, found[0], found[1], 0, self.facts.currency_decimals)
        self._cash_out.clear()
        head = db.session.scalar(select(LedgerHead).where(LedgerHead.cooperative_id == self.coop_id))
        head.last_hash = self.last_hash
        head.last_entry_id = self.last_entry_id
        head.entries = self.entries_before + self.posted
        total = sum(e[1 + _ENTRY_COLUMNS.index("total")] for e in self._entries)
        record("entry.bulk_posted", cooperative_id=self.coop_id, actor_id=self.actor_id, entries=written,
               lines=len(self._lines), total=str(money.from_sen(total)), source=self.source)
        db.session.flush()
        self._entries.clear()
        self._lines.clear()
        return written
