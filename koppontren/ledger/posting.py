"""Posting and reversing journal entries — the only writer of ``journal_entry`` and ``journal_line``.

Every rule of DESIGN.md §3 "Ledger rules" is checked here before anything is written; the database
checks the same again where it can (triggers in the migrations). A refusal raises LedgerError with a
stable code and writes nothing.

Posting is the hot path of the app (issue 3: "posting speed"), so ``post_entry`` talks to the
database in a few precompiled statements through the session's connection instead of the ORM unit of
work: (1) lock the cooperative's chain head, claim the next voucher number, read the cooperative's
settings and the named accounts — one statement on PostgreSQL, two on SQLite; (2) after the rules
are checked in Python, write the entry unless its month is closed or its idempotency key taken,
with its lines, the new chain head and the audit event — one statement on PostgreSQL, four on
SQLite. Any refusal rolls back, which gives the claimed number back; a replay gives it back by hand.
The returned JournalEntry is built from the values written, without reading them back.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.attributes import instance_state

from koppontren import money
from koppontren.audit.services import event_values, record
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.ledger import chart, subledgers
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.fiscal import fiscal_year_of
from koppontren.ledger.models import Account, JournalEntry, JournalLine, LedgerHead, Period
from koppontren.operations.unit import in_unit, mark_failed, unit_of_work
from koppontren.tenancy.models import Cooperative

GENESIS_HASH = "0" * 64
_ZERO = Decimal(0)

JOURNAL_TYPES = {
    "JU": _l("Jurnal umum"),
    "KM": _l("Kas masuk"),
    "KK": _l("Kas keluar"),
    "PJ": _l("Penjualan"),
    "PB": _l("Pembelian"),
    "SP": _l("Simpanan"),
    "SHU": _l("SHU"),
    "PN": _l("Penutup"),
    "SA": _l("Saldo awal"),
    "MK": _l("Mutasi kas"),
}
SUBLEDGER_NAMES = {"member": _l("anggota"), "party": _l("pemasok/pelanggan")}
#: Types a person may pick for a manual journal; the others are posted by their modules.
MANUAL_JOURNAL_TYPES = ("JU", "KM", "KK")

#: Canonical JSON of the request fingerprint and of the entry hash. Encoders built once: json.dumps
#: with options builds a new encoder on every call. The formats are stored (request_hash, entry_hash)
#: and must never change.
_FINGERPRINT_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
_HASH_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class LineSpec:
    """One line to post. ``account``: an account code (str), id (int) or Account. Amounts are
    Decimal (or int) rupiah, exactly one of them positive. ``member_id``/``party_id`` name the
    subledger record where the account needs one."""

    account: str | int | Account
    debit: Decimal | int = Decimal(0)
    credit: Decimal | int = Decimal(0)
    member_id: int | None = None
    party_id: int | None = None
    memo: str | None = None


@dataclass(slots=True)
class _Checked:
    account_id: int
    debit: int
    credit: int
    member_id: int | None
    party_id: int | None
    memo: str | None


@dataclass
class PostingRequest:
    journal_type: str
    entry_date: date
    description: str
    reference: str | None
    lines: list[_Checked] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Hash of what was asked, to tell an idempotent retry from a different request."""
        payload = {
            "type": self.journal_type, "date": self.entry_date.isoformat(), "description": self.description,
            "reference": self.reference,
            "lines": [[c.account_id, c.debit, c.credit, c.member_id, c.party_id, c.memo] for c in self.lines],
        }
        return hashlib.sha256(_FINGERPRINT_JSON.encode(payload).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Account:
    """What posting needs of an account, read in the posting's own transaction (never cached)."""

    id: int
    code: str
    postable: bool
    active: bool
    subledger: str | None
    role: str | None = None
    allow_overdraft: bool = False


@dataclass(frozen=True, slots=True)
class _Facts:
    """The cooperative's settings as of this transaction, and its chain head when locked."""

    coop_id: int
    currency_decimals: int
    fiscal_year_start_month: int
    last_hash: str | None
    books_start: date | None = None


@dataclass(frozen=True, slots=True)
class _Draft:
    """A posting after the checks that need no database."""

    journal_type: str
    entry_date: date
    description: str
    reference: str | None
    lines: list[LineSpec]
    codes: tuple[str, ...]
    ids: tuple[int, ...]


def _pk(obj) -> int:
    """An instance's primary key without loading it: after a commit every instance is expired, and
    reading ``coop.id`` would cost a SELECT of the whole row."""
    identity = inspect(obj).identity
    return identity[0] if identity else obj.id


# --- validation -------------------------------------------------------------------------------------

def _amount_sen(value, decimals: int, line_no: int, side: str) -> int:
    # the common cases first, exact: a whole number of rupiah in range is valid at any decimals
    kind = type(value)
    if kind is Decimal:
        if value.is_finite() and _ZERO <= value <= money.MAX_AMOUNT and value == value.to_integral_value():
            return int(value) * money.SEN_PER_RUPIAH
    elif kind is int and 0 <= value <= money.MAX_AMOUNT:
        return value * money.SEN_PER_RUPIAH
    if value is None or value == "":
        return 0
    if isinstance(value, float | bool):
        raise LedgerError("invalid_amount", _l("Baris %(n)s: jumlah tidak boleh berupa float.", n=line_no), {f"lines.{line_no}.{side}": "float"})
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except Exception:
        raise LedgerError("invalid_amount", _l("Baris %(n)s: jumlah tidak sah.", n=line_no), {f"lines.{line_no}.{side}": _l("Tidak sah.")}) from None
    if not amount.is_finite():
        raise LedgerError("invalid_amount", _l("Baris %(n)s: jumlah tidak sah.", n=line_no), {f"lines.{line_no}.{side}": _l("Tidak sah.")})
    if amount < 0:
        raise LedgerError("invalid_line", _l("Baris %(n)s: jumlah tidak boleh negatif.", n=line_no), {f"lines.{line_no}.{side}": _l("Negatif.")})
    if amount != amount.quantize(Decimal(1).scaleb(-decimals)):
        raise LedgerError("invalid_amount", _l("Baris %(n)s: terlalu banyak angka desimal.", n=line_no),
                          {f"lines.{line_no}.{side}": _l("Terlalu banyak desimal.")})
    if abs(amount) > money.MAX_AMOUNT:
        raise _amount_too_large(f"lines.{line_no}.{side}")
    return money.to_sen(amount)


def _draft(entry_date, description: str, lines, journal_type: str, reference: str | None) -> _Draft:
    """The checks that need no database, and the account codes and ids the lines name."""
    if journal_type not in JOURNAL_TYPES:
        raise LedgerError("invalid_journal_type", _l("Jenis jurnal %(t)s tidak dikenal.", t=journal_type), {"journal_type": _l("Tidak dikenal.")})
    if isinstance(entry_date, datetime) or not isinstance(entry_date, date):
        raise LedgerError("invalid_date", _l("Tanggal jurnal tidak sah."), {"date": _l("Tidak sah.")})
    if entry_date.year < 1900 or entry_date.year > 2999:
        raise LedgerError("invalid_date", _l("Tanggal jurnal di luar jangkauan."), {"date": _l("Tidak sah.")})
    description = (description or "").strip()
    if not description or len(description) > 500:
        raise LedgerError("invalid_description", _l("Keterangan jurnal wajib diisi (paling banyak 500 karakter)."),
                          {"description": _l("Wajib diisi.")})
    reference = (reference or "").strip()[:100] or None
    lines = list(lines or [])
    if len(lines) < 2:
        raise LedgerError("too_few_lines", _l("Jurnal harus punya paling sedikit dua baris."), {"lines": _l("Minimal dua baris.")})
    codes: set[str] = set()
    ids: set[int] = set()
    for n, spec in enumerate(lines, start=1):
        if not isinstance(spec, LineSpec):
            raise LedgerError("invalid_line", _l("Baris %(n)s tidak sah.", n=n), {f"lines.{n}": _l("Tidak sah.")})
        ref = spec.account
        if isinstance(ref, Account):
            ids.add(_pk(ref))
        elif isinstance(ref, int) and not isinstance(ref, bool):
            ids.add(ref)
        else:
            codes.add(str(ref).strip())
    return _Draft(journal_type, entry_date, description, reference, lines, tuple(codes), tuple(ids))


def _resolve_account(ref, line_no: int, by_code: dict[str, _Account], by_id: dict[int, _Account],
                     allow_inactive: bool = False) -> _Account:
    if isinstance(ref, Account):
        account = by_id.get(_pk(ref))  # looked up in this cooperative: another cooperative's account is unknown
    elif isinstance(ref, int) and not isinstance(ref, bool):
        account = by_id.get(ref)
    else:
        account = by_code.get(str(ref).strip())
    if account is None:
        raise LedgerError("unknown_account", _l("Baris %(n)s: akun %(code)s tidak ada di koperasi ini.", n=line_no, code=ref),
                          {f"lines.{line_no}.account": _l("Tidak dikenal.")})
    if not account.postable:
        raise LedgerError("not_postable", _l("Baris %(n)s: akun %(code)s adalah akun kelompok, tidak bisa diisi.", n=line_no, code=account.code),
                          {f"lines.{line_no}.account": _l("Akun kelompok.")})
    if not account.active and not allow_inactive:
        raise LedgerError("inactive_account", _l("Baris %(n)s: akun %(code)s sudah dinonaktifkan.", n=line_no, code=account.code),
                          {f"lines.{line_no}.account": _l("Nonaktif.")})
    return account


def _check_subledger(coop_id: int, account: _Account, spec: LineSpec, line_no: int, internal: frozenset[str]) -> None:
    kind = account.subledger
    if kind in ("product", "santri") and kind not in internal:
        raise LedgerError("module_only_account",
                          _l("Baris %(n)s: akun %(code)s hanya diisi oleh modulnya sendiri (persediaan/dompet santri).", n=line_no, code=account.code),
                          {f"lines.{line_no}.account": _l("Hanya lewat modul.")})
    for ref_kind, ref in (("member", spec.member_id), ("party", spec.party_id)):
        needed = kind == ref_kind
        if ref is None:
            if needed:
                raise LedgerError("subledger_required",
                                  _l("Baris %(n)s: akun %(code)s wajib menyebut %(what)s.", n=line_no, code=account.code,
                                     what=SUBLEDGER_NAMES[ref_kind]),
                                  {f"lines.{line_no}.{ref_kind}": _l("Wajib diisi.")})
            continue
        plugin = subledgers.get(ref_kind)
        if plugin is None:
            raise LedgerError("subledger_unavailable",
                              _l("Baris %(n)s: buku pembantu %(kind)s belum tersedia.", n=line_no, kind=SUBLEDGER_NAMES[ref_kind]),
                              {f"lines.{line_no}.{ref_kind}": _l("Belum tersedia.")})
        if isinstance(ref, bool) or not isinstance(ref, int) or not plugin.exists(coop_id, ref):
            raise LedgerError(f"unknown_{ref_kind}", _l("Baris %(n)s: %(kind)s tidak ada di koperasi ini.", n=line_no, kind=SUBLEDGER_NAMES[ref_kind]),
                              {f"lines.{line_no}.{ref_kind}": _l("Tidak dikenal.")})


def _check_reserved(account: _Account, source: str, line_no: int) -> None:
    """An account a domain module keeps to itself (subledgers.reserve_roles) takes only that module's
    postings and reversals: its rules (savings: pokok once, sukarela never below zero, wajib months)
    can't be bypassed by a manual journal or an opening entry."""
    reserved = subledgers.reserved(account.role)
    if reserved is not None and source not in reserved.sources and source != "reversal":
        raise LedgerError("module_only_account",
                          _l("Baris %(n)s: akun %(code)s hanya diisi lewat modul %(module)s.", n=line_no, code=account.code,
                             module=reserved.label),
                          {f"lines.{line_no}.account": _l("Hanya lewat modul.")})


def _check(facts: _Facts, draft: _Draft, accounts: list[_Account], internal: frozenset[str], allow_inactive: bool,
           source: str = "manual") -> PostingRequest:
    """The rules that need the cooperative and its accounts: amounts, sides, accounts, subledgers, balance."""
    by_code = {a.code: a for a in accounts}
    by_id = {a.id: a for a in accounts}
    decimals = facts.currency_decimals
    request = PostingRequest(draft.journal_type, draft.entry_date, draft.description, draft.reference)
    total_debit = total_credit = 0
    for n, spec in enumerate(draft.lines, start=1):
        debit = _amount_sen(spec.debit, decimals, n, "debit")
        credit = _amount_sen(spec.credit, decimals, n, "credit")
        if (debit > 0) == (credit > 0):
            raise LedgerError("invalid_line", _l("Baris %(n)s: isi tepat satu sisi, debit atau kredit.", n=n),
                              {f"lines.{n}.debit": _l("Isi debit atau kredit.")})
        # the common case inline (an account code of a postable, active account; no role kept by a
        # module; no subledger); anything else through the full checks, which raise the refusals
        ref = spec.account
        account = by_code.get(ref.strip()) if type(ref) is str else None
        if account is None or not account.postable or not (account.active or allow_inactive):
            account = _resolve_account(ref, n, by_code, by_id, allow_inactive)
        if account.role is not None:
            _check_reserved(account, source, n)
        if account.subledger is not None or spec.member_id is not None or spec.party_id is not None:
            _check_subledger(facts.coop_id, account, spec, n, internal)
        memo = spec.memo
        memo = (memo.strip()[:200] or None) if memo else None
        request.lines.append(_Checked(account.id, debit, credit, spec.member_id, spec.party_id, memo))
        total_debit += debit
        total_credit += credit
    if total_debit != total_credit:
        raise LedgerError(
            "unbalanced",
            _l("Jurnal tidak seimbang: debit %(d)s, kredit %(c)s.",
               d=money.format_number(money.from_sen(total_debit), decimals),
               c=money.format_number(money.from_sen(total_credit), decimals)),
            {"lines": _l("Debit harus sama dengan kredit.")},
        )
    return request


#: Roles of the accounts that hold money (RULES-2 "Conventions"): none may end a day below zero.
CASH_ROLES = frozenset(chart.CASH_ROLES)


def latest_closed_fiscal_year(coop_id: int, start_month: int | None = None) -> int | None:
    """The latest fiscal year whose twelve months are all closed (a year-end close closes them), or None."""
    if start_month is None:
        start_month = db.session.scalar(select(Cooperative.fiscal_year_start_month).where(Cooperative.id == coop_id)) or 1
    months: dict[int, int] = {}
    for year, month in db.session.execute(select(Period.year, Period.month).where(
            Period.cooperative_id == coop_id, Period.closed.is_(True))):
        fy = fiscal_year_of(date(year, month, 1), start_month)
        months[fy] = months.get(fy, 0) + 1
    full = [fy for fy, n in months.items() if n == 12]
    return max(full) if full else None


def is_period_closed(coop_id: int, day: date, start_month: int | None = None) -> bool:
    """Whether an entry dated ``day`` is refused as closed: its month is closed, or its fiscal year is
    at or before the latest closed fiscal year, whatever its own months say (issue 18: a back-dated
    entry can't change an approved year)."""
    if db.session.scalar(select(Period.closed).where(
            Period.cooperative_id == coop_id, Period.year == day.year, Period.month == day.month)):
        return True
    if start_month is None:
        start_month = db.session.scalar(select(Cooperative.fiscal_year_start_month).where(Cooperative.id == coop_id)) or 1
    latest = latest_closed_fiscal_year(coop_id, start_month)
    return latest is not None and fiscal_year_of(day, start_month) <= latest


def _short_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def check_entry_date(facts: _Facts, day: date, allow_closed_period: bool = False) -> None:
    """Every entry lies between the books start and today, in the cooperative's time zone (issue 18).

    ``period_closed`` wins over both refusals: a date that breaks one is first checked against the
    closed periods. Raises LedgerError(code="period_closed" | "before_books_start" | "future_date").
    """
    early = facts.books_start is not None and day < facts.books_start
    late = not early and day > today()
    if not (early or late):
        return
    if not allow_closed_period and is_period_closed(facts.coop_id, day, facts.fiscal_year_start_month):
        raise _period_closed_error(day)
    if early:
        raise LedgerError("before_books_start",
                          _l("Tanggal %(d)s sebelum awal pembukuan koperasi (%(s)s).", d=_short_date(day), s=_short_date(facts.books_start)),
                          {"date": _l("Sebelum awal pembukuan.")})
    raise LedgerError("future_date", _l("Tanggal %(d)s belum tiba: jurnal tidak boleh bertanggal sesudah hari ini.", d=_short_date(day)),
                      {"date": _l("Sesudah hari ini.")})


def _amount_too_large(field: str) -> LedgerError:
    return LedgerError("amount_too_large", _l("Jumlah terlalu besar: paling banyak Rp1.000.000.000.000 per baris, dan saldo akun "
                                              "tidak boleh melampaui Rp1.000.000.000.000.000."), {field: _l("Terlalu besar.")})


def validate(
    coop: Cooperative, *, entry_date, description: str, lines, journal_type: str = "JU", reference: str | None = None,
    internal_subledgers: frozenset[str] = frozenset(), allow_closed_period: bool = False, allow_inactive: bool = False,
    check_period: bool = True,
) -> PostingRequest:
    """Check a posting against every rule without writing or taking the ledger lock; returns the checked request.

    For forms that want early feedback. ``check_period=False`` skips the closed-month check (the
    writer makes it again under the cooperative's ledger lock anyway).

    Raises LedgerError (see its codes).
    """
    db.session.flush()
    draft = _draft(entry_date, description, lines, journal_type, reference)
    facts, accounts = _load(db.session.connection(), _pk(coop), draft)
    request = _check(facts, draft, accounts, internal_subledgers, allow_inactive)
    if check_period and not allow_closed_period and is_period_closed(facts.coop_id, entry_date, facts.fiscal_year_start_month):
        raise _period_closed_error(entry_date)
    check_entry_date(facts, entry_date, allow_closed_period or not check_period)
    return request


def _period_closed_error(day: date) -> LedgerError:
    return LedgerError("period_closed", _l("Periode %(m)02d/%(y)s sudah ditutup.", m=day.month, y=day.year),
                       {"date": _l("Periode tertutup.")})


# --- statements -------------------------------------------------------------------------------------
# Written once per dialect (and per number of accounts or lines) and sent with exec_driver_sql: no
# statement is built or compiled per posting. SQL is written with "?" and turned into the driver's
# "%s" where needed; none of it contains a literal "?" or "%". Every piece of it is a constant of this
# module (names and placeholders): no value is ever formatted into SQL (hence the S608 noqa).

def _driver_sql(paramstyle: str, sql: str) -> str:
    return sql.replace("?", "%s") if paramstyle in ("format", "pyformat") else sql


def _placeholders(n: int) -> str:
    return ", ".join("?" * n)


def _account_match(n_codes: int, n_ids: int) -> str:
    return " OR ".join(
        ([f"a.code IN ({_placeholders(n_codes)})"] if n_codes else []) + ([f"a.id IN ({_placeholders(n_ids)})"] if n_ids else [])
    ) or "1 = 0"


_ACCOUNT_COLUMNS = "a.id, a.code, a.postable, a.active, a.subledger, a.role, a.allow_overdraft"


@functools.cache
def _load_sql(paramstyle: str, n_codes: int, n_ids: int, head: bool) -> str:
    """The cooperative's settings and the named accounts, one row per account (one row of NULL
    accounts when none matches); with ``head``, the chain head's hash too. Parameters: the codes, the
    ids, the cooperative."""
    source = "ledger_head h JOIN cooperative c ON c.id = h.cooperative_id" if head else "cooperative c"
    return _driver_sql(paramstyle, (
        f"SELECT {'h.last_hash' if head else 'NULL'}, c.currency_decimals, c.fiscal_year_start_month, c.books_start, {_ACCOUNT_COLUMNS} "  # noqa: S608
        f"FROM {source} LEFT JOIN account a ON a.cooperative_id = c.id AND ({_account_match(n_codes, n_ids)}) WHERE c.id = ?"
    ))


@functools.cache
def _lock_and_claim_sql(paramstyle: str, n_codes: int, n_ids: int) -> str:
    """PostgreSQL, one round trip: lock the chain head (queueing the cooperative's postings and period
    changes), then — only once it is locked, as the counter reads from it — claim the next voucher
    number of the journal type and fiscal year (the counter created on first use); and read the
    cooperative's settings and the named accounts. Parameters: the cooperative, the journal type, the
    entry's month, its year twice, the codes, the ids."""
    return _driver_sql(paramstyle, (
        "WITH h AS (SELECT cooperative_id, last_hash FROM ledger_head WHERE cooperative_id = ? FOR UPDATE), "  # noqa: S608
        "n AS (INSERT INTO voucher_counter (cooperative_id, journal_type, fiscal_year, last_sequence) "
        "SELECT h.cooperative_id, ?, CASE WHEN ? >= c.fiscal_year_start_month THEN ? ELSE ? - 1 END, 1 "
        "FROM h JOIN cooperative c ON c.id = h.cooperative_id "
        "ON CONFLICT (cooperative_id, journal_type, fiscal_year) DO UPDATE SET last_sequence = voucher_counter.last_sequence + 1 "
        "RETURNING fiscal_year, last_sequence) "
        f"SELECT h.last_hash, c.currency_decimals, c.fiscal_year_start_month, c.books_start, n.fiscal_year, n.last_sequence, {_ACCOUNT_COLUMNS} "
        "FROM h JOIN cooperative c ON c.id = h.cooperative_id CROSS JOIN n "
        f"LEFT JOIN account a ON a.cooperative_id = c.id AND ({_account_match(n_codes, n_ids)})"
    ))


#: SQLite: the next voucher number (the write lock is held since BEGIN IMMEDIATE).
_CLAIM_SQL = (
    "INSERT INTO voucher_counter (cooperative_id, journal_type, fiscal_year, last_sequence) VALUES (?, ?, ?, 1) "
    "ON CONFLICT (cooperative_id, journal_type, fiscal_year) DO UPDATE SET last_sequence = voucher_counter.last_sequence + 1 "
    "RETURNING last_sequence"
)
#: Gives back the number of a posting that turned out to be a replay. Exact: every claim is made
#: under the cooperative's ledger lock, which this transaction still holds.
_UNCLAIM_SQL = ("UPDATE voucher_counter SET last_sequence = last_sequence - 1 "
                "WHERE cooperative_id = ? AND journal_type = ? AND fiscal_year = ?")

_ENTRY_COLUMNS = ("cooperative_id", "journal_type", "fiscal_year", "sequence", "number", "entry_date", "description",
                  "reference", "source", "total", "idempotency_key", "request_hash", "reverses_id", "created_by_id",
                  "created_at", "prev_hash", "entry_hash")
#: A fiscal year at or after the entry's whose twelve months are all closed: the entry's year is then
#: closed whatever its own months say (issue 18). Parameters: the cooperative, the fiscal year's start
#: month, the entry's fiscal year, the start month again.
_LATER_CLOSED_YEAR = (
    "SELECT 1 FROM period q WHERE q.cooperative_id = ? AND q.closed "
    "AND (CASE WHEN q.month >= ? THEN q.year ELSE q.year - 1 END) >= ? "
    "GROUP BY (CASE WHEN q.month >= ? THEN q.year ELSE q.year - 1 END) HAVING count(*) = 12"
)
#: The entry, written only if its month and fiscal year are open (or closing is allowed) and its
#: idempotency key unused. This statement starts after the lock was taken, so on PostgreSQL its
#: snapshot sees every close and every entry committed before. Parameters: the 17 columns,
#: allow-closed, the cooperative, year, month, _LATER_CLOSED_YEAR's four, the cooperative, the key.
_INSERT_ENTRY = (
    f"INSERT INTO journal_entry ({', '.join(_ENTRY_COLUMNS)}) SELECT {_placeholders(len(_ENTRY_COLUMNS))} "  # noqa: S608
    "WHERE (? OR (NOT EXISTS (SELECT 1 FROM period p WHERE p.cooperative_id = ? AND p.year = ? AND p.month = ? AND p.closed) "
    f"AND NOT EXISTS ({_LATER_CLOSED_YEAR}))) "
    "AND NOT EXISTS (SELECT 1 FROM journal_entry k WHERE k.cooperative_id = ? AND k.idempotency_key = ?) RETURNING id"
)
_LINE_COLUMNS = "cooperative_id, entry_id, line_no, account_id, entry_date, debit, credit, member_id, party_id, memo"
#: SQLite allows 32,766 parameters per statement (10 per line): larger entries (an opening balance
#: with a line per member) go in INSERTs of this many lines.
_SQLITE_LINES_PER_INSERT = 500
_AUDIT_COLUMNS = "cooperative_id, actor_id, action, login, ip_address, detail, created_at"


@functools.cache
def _write_sql(dialect: str, paramstyle: str, n_lines: int, audit: bool) -> tuple[str, ...]:
    """PostgreSQL: the entry, its lines, the chain head and the audit event in one statement (one
    round trip; the lines' foreign key and the deferred balance trigger see the entry inserted by the
    same statement), all of it written only if the entry is. The lines come as one array per column,
    so the statement is the same for any number of lines and has few parameters: psycopg caches its
    parsing and prepares it on the server. SQLite has no data-modifying WITH: four statements, the
    lines as one multi-row INSERT (of ``n_lines``; more than _SQLITE_LINES_PER_INSERT lines take several)."""
    if dialect == "postgresql":  # n_lines does not matter
        parts = [
            f"WITH e AS ({_INSERT_ENTRY})",
            f"l AS (INSERT INTO journal_line ({_LINE_COLUMNS}) "  # noqa: S608
            "SELECT ?, e.id, u.line_no, u.account_id, ?, u.debit, u.credit, u.member_id, u.party_id, u.memo FROM e, "
            "unnest(CAST(? AS integer[]), CAST(? AS integer[]), CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS integer[]), "
            "CAST(? AS integer[]), CAST(? AS text[])) AS u (line_no, account_id, debit, credit, member_id, party_id, memo))",
            "h AS (UPDATE ledger_head SET last_entry_id = e.id, last_hash = ?, entries = coalesce(ledger_head.entries, 0) + 1 "
            "FROM e WHERE ledger_head.cooperative_id = ?)",
            # the cash accounts' day rows (one per account: ON CONFLICT may touch a row once per statement)
            "c AS (INSERT INTO cash_day (cooperative_id, account_id, day, net) SELECT ?, u.account_id, ?, u.net FROM e, "
            "unnest(CAST(? AS integer[]), CAST(? AS bigint[])) AS u (account_id, net) "
            "ON CONFLICT (cooperative_id, account_id, day) DO UPDATE SET net = cash_day.net + excluded.net)",
        ]
        if audit:
            parts.append(f"a AS (INSERT INTO audit_event ({_AUDIT_COLUMNS}) SELECT ?, ?, ?, ?, ?, CAST(? AS JSON), ? FROM e)")  # noqa: S608
        return (_driver_sql(paramstyle, ", ".join(parts) + " SELECT id FROM e"),)  # noqa: S608
    statements = [
        _INSERT_ENTRY,
        f"INSERT INTO journal_line ({_LINE_COLUMNS}) VALUES {', '.join([f'({_placeholders(10)})'] * n_lines)}",  # noqa: S608
        "UPDATE ledger_head SET last_entry_id = ?, last_hash = ?, entries = coalesce(entries, 0) + 1 WHERE cooperative_id = ?",
    ]
    if audit:
        statements.append(f"INSERT INTO audit_event ({_AUDIT_COLUMNS}) VALUES ({_placeholders(7)})")  # noqa: S608
    return tuple(_driver_sql(paramstyle, s) for s in statements)


@dataclass(frozen=True, slots=True)
class _Claim:
    """What the locked start of a posting read and claimed."""

    facts: _Facts
    accounts: list[_Account]
    fiscal_year: int
    sequence: int
    cursor: sqlite3.Cursor | None = None  # SQLite: the driver's cursor the posting's statements go through


def _sqlite_cursor(conn: Connection) -> sqlite3.Cursor:
    """SQLite: a cursor of the session connection's own sqlite3 connection, in the transaction
    the session began (BEGIN IMMEDIATE). A posting sends its statements through it rather than
    through ``exec_driver_sql``, whose execution context, result object and events cost more per
    statement than SQLite takes to run it; sqlite3 keeps the statements prepared (its cache is keyed
    by the SQL text, which is built once per shape here). The session still owns the transaction:
    its commit or rollback ends what these statements did. Driver errors are turned into
    SQLAlchemy's by post_entry and reverse (_driver_errors), as exec_driver_sql would."""
    return conn.connection.driver_connection.cursor()


class _driver_errors:  # noqa: N801 - used as a context manager, like contextlib's
    """Turn sqlite3's exceptions raised by statements sent through _sqlite_cursor into
    SQLAlchemy's (IntegrityError, OperationalError, …), as ``exec_driver_sql`` would raise them."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, err, _tb) -> bool:
        if kind is not None and issubclass(kind, sqlite3.Error):
            raise DBAPIError.instance(None, None, err, sqlite3.Error) from err
        return False


_DRIVER_ERRORS = _driver_errors()


def _accounts(rows, first: int) -> list[_Account]:
    return [_Account(r[first], r[first + 1], bool(r[first + 2]), bool(r[first + 3]), r[first + 4], r[first + 5], bool(r[first + 6]))
            for r in rows if r[first] is not None]


def _as_date(value) -> date | None:
    """A DATE column read through the driver: a date on PostgreSQL, ISO text on SQLite."""
    if value is None or type(value) is date:
        return value
    return date.fromisoformat(str(value)[:10])


def _load(conn: Connection, coop_id: int, draft: _Draft) -> tuple[_Facts, list[_Account]]:
    """The cooperative's settings and the named accounts, without locking (for validate())."""
    rows = conn.exec_driver_sql(_load_sql(conn.dialect.paramstyle, len(draft.codes), len(draft.ids), False),
                                (*draft.codes, *draft.ids, coop_id)).all()
    if not rows:
        raise LookupError(f"cooperative {coop_id} does not exist")
    return _Facts(coop_id, rows[0][1], rows[0][2], None, _as_date(rows[0][3])), _accounts(rows, 4)


def _lock_and_claim(conn: Connection, coop_id: int, draft: _Draft) -> _Claim:
    """Lock the cooperative's ledger, claim the next voucher number of the draft's journal type and
    fiscal year, and read the cooperative's settings, chain head and named accounts. A refusal after
    this must roll back, which gives the number back (gapless)."""
    paramstyle, day = conn.dialect.paramstyle, draft.entry_date
    for _attempt in range(2):
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(_lock_and_claim_sql(paramstyle, len(draft.codes), len(draft.ids)), (
                coop_id, draft.journal_type, day.month, day.year, day.year, *draft.codes, *draft.ids,
            )).all()
            if rows:
                first = rows[0]
                return _Claim(_Facts(coop_id, first[1], first[2], first[0], _as_date(first[3])), _accounts(rows, 6), first[4], first[5])
        else:
            cursor = _sqlite_cursor(conn)
            rows = cursor.execute(_load_sql(paramstyle, len(draft.codes), len(draft.ids), True), (*draft.codes, *draft.ids, coop_id)).fetchall()
            if rows:
                first = rows[0]
                facts = _Facts(coop_id, first[1], first[2], first[0], _as_date(first[3]))
                fiscal_year = fiscal_year_of(day, facts.fiscal_year_start_month)
                sequence = cursor.execute(_CLAIM_SQL, (coop_id, draft.journal_type, fiscal_year)).fetchall()[0][0]  # all: the statement completes
                return _Claim(facts, _accounts(rows, 4), fiscal_year, sequence, cursor)
        lock_ledger(coop_id)  # a cooperative without a chain head yet (start_chain normally made it)
    raise LookupError(f"cooperative {coop_id} does not exist")


def _db_value(dialect: str, value):
    """Dates and times as SQLAlchemy stores them: ISO text on SQLite (Date ``YYYY-MM-DD``, DateTime
    ``YYYY-MM-DD HH:MM:SS.ffffff``, the UTC time without its offset); the driver adapts them on
    PostgreSQL."""
    if dialect != "sqlite":
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    return value.isoformat()


# --- after the write: no cash below zero, no balance past the cap ---------------------------------

#: Lines from this amount (sen; Rp1.000.000.000) on have their account's balance checked against
#: money.MAX_BALANCE; smaller lines can't bring a balance near a BIGINT's limit in any real ledger.
_BIG_LINE_SEN = 1_000_000_000 * money.SEN_PER_RUPIAH
_MAX_BALANCE_SEN = int(money.MAX_BALANCE) * money.SEN_PER_RUPIAH
#: A cash account's day rows (``cash_day``, kept by every writer of journal lines): the day's net
#: movement added in — a few hundred rows a year, however many lines the account has.
_CASH_DAY_UPSERT = ("INSERT INTO cash_day (cooperative_id, account_id, day, net) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (cooperative_id, account_id, day) DO UPDATE SET net = cash_day.net + excluded.net")
#: The first day from a date on that ends below zero, with its balance: the walk over the later days
#: in SQL, one round trip. Parameters: the cooperative, the account, the date, twice.
_FIRST_SHORT_DAY_SQL = (
    "SELECT day, running + before FROM (SELECT day, SUM(net) OVER (ORDER BY day ROWS UNBOUNDED PRECEDING) AS running "
    "FROM cash_day WHERE cooperative_id = ? AND account_id = ? AND day >= ?) AS later, "
    "(SELECT COALESCE(SUM(net), 0) AS before FROM cash_day WHERE cooperative_id = ? AND account_id = ? AND day < ?) AS opening "
    "WHERE running + before < 0 ORDER BY day LIMIT 1"
)
_BALANCE_SQL = "SELECT COALESCE(SUM(debit) - SUM(credit), 0) FROM journal_line WHERE cooperative_id = ? AND account_id = ?"


def _query(conn: Connection, cursor: sqlite3.Cursor | None, sql: str, params: tuple) -> list[tuple]:
    if cursor is not None:
        return cursor.execute(sql, params).fetchall()
    return [tuple(r) for r in conn.exec_driver_sql(_driver_sql(conn.dialect.paramstyle, sql), params).all()]


#: Fills one cooperative's ``cash_day`` rows from its journal lines (with "?" for the cooperative):
#: for tools that load lines past post_entry (the benchmarks' history); migration 0020 does the same.
CASH_DAY_FILL_SQL = (
    "INSERT INTO cash_day (cooperative_id, account_id, day, net) "  # noqa: S608 - constants only
    "SELECT l.cooperative_id, l.account_id, l.entry_date, SUM(l.debit) - SUM(l.credit) FROM journal_line l "
    "JOIN account a ON a.cooperative_id = l.cooperative_id AND a.id = l.account_id "
    f"WHERE l.cooperative_id = ? AND a.role IN ({', '.join(repr(r) for r in sorted(CASH_ROLES))}) "
    "GROUP BY l.cooperative_id, l.account_id, l.entry_date"
)


def cash_day_nets(accounts: list[_Account], request: PostingRequest) -> dict[int, int]:
    """The entry's net movement (sen) per cash account it touches, zero nets left out."""
    cash_ids = {a.id for a in accounts if a.role in CASH_ROLES}
    nets: dict[int, int] = {}
    for line in request.lines:
        if line.account_id in cash_ids:
            nets[line.account_id] = nets.get(line.account_id, 0) + line.debit - line.credit
    return {account_id: net for account_id, net in nets.items() if net}


def add_cash_days(conn: Connection, coop_id: int, rows: list[tuple[int, date, int]], cursor: sqlite3.Cursor | None = None) -> None:
    """Add (account id, day, net sen) movements of cash accounts to their ``cash_day`` rows, in the
    writer's transaction (RULES-2 §8.1's check reads them)."""
    params = [(coop_id, account_id, _db_value(conn.dialect.name, day), net) for account_id, day, net in rows if net]
    if not params:
        return
    if cursor is not None:
        cursor.executemany(_CASH_DAY_UPSERT, params)
    else:
        conn.exec_driver_sql(_driver_sql(conn.dialect.paramstyle, _CASH_DAY_UPSERT), params)


def first_negative_day(conn: Connection, coop_id: int, account_id: int, since: date,
                       cursor: sqlite3.Cursor | None = None) -> tuple[date, int] | None:
    """The first day from ``since`` on whose end-of-day balance (debit − credit, sen) of the account is
    below zero, with that balance; None when there is none. Intra-day order is ignored (RULES-2 §8.1)."""
    db_day = _db_value(conn.dialect.name, since)
    short = _query(conn, cursor, _FIRST_SHORT_DAY_SQL, (coop_id, account_id, db_day, coop_id, account_id, db_day))
    return (_as_date(short[0][0]), int(short[0][1])) if short else None


def _insufficient_funds(account: _Account, line_no: int, day: date, balance: int, net: int, decimals: int) -> LedgerError:
    available = balance - net  # the day's balance without this entry
    shortfall = -balance
    fmt = functools.partial(money.format_number, decimals=decimals)
    return LedgerError(
        "insufficient_funds",
        _l("Saldo akun %(code)s tidak cukup: saldo akhir hari %(d)s %(bal)s, kurang %(short)s. Kas dan bank tidak boleh bersaldo "
           "negatif.", code=account.code, d=_short_date(day), bal=fmt(money.from_sen(available)), short=fmt(money.from_sen(shortfall))),
        {f"lines.{line_no}.account": _l("Saldo tidak cukup."), "account": account.code, "date": day.isoformat(),
         "balance": str(money.from_sen(available)), "shortfall": str(money.from_sen(shortfall))},
    )


def check_written_entry(conn: Connection, facts: _Facts, accounts: list[_Account], request: PostingRequest,
                        cursor: sqlite3.Cursor | None = None) -> None:
    """After an entry's rows are written, in its transaction and under the ledger lock: its cash
    accounts' day rows are brought up to date; no cash or bank account it takes money from ends that
    day or any later day below zero (unless the account allows an overdraft), and no large line takes
    its account's balance past money.MAX_BALANCE. A refusal
    raises LedgerError(code="insufficient_funds" | "amount_too_large"); the caller rolls back."""
    by_id = {a.id: a for a in accounts}
    net: dict[int, int] = {}
    first_line: dict[int, int] = {}
    big: dict[int, tuple[int, str]] = {}
    for n, line in enumerate(request.lines, start=1):
        net[line.account_id] = net.get(line.account_id, 0) + line.debit - line.credit
        first_line.setdefault(line.account_id, n)
        if max(line.debit, line.credit) >= _BIG_LINE_SEN:
            big.setdefault(line.account_id, (n, "debit" if line.debit else "credit"))
    for account_id, (n, side) in big.items():
        balance = int(_query(conn, cursor, _BALANCE_SQL, (facts.coop_id, account_id))[0][0] or 0)
        if abs(balance) > _MAX_BALANCE_SEN:
            raise _amount_too_large(f"lines.{n}.{side}")
    if conn.dialect.name != "postgresql":  # PostgreSQL wrote them with the entry (_write_sql)
        add_cash_days(conn, facts.coop_id, [(account_id, request.entry_date, delta)
                                            for account_id, delta in cash_day_nets(accounts, request).items()], cursor)
    for account_id, delta in net.items():
        account = by_id.get(account_id)
        if delta >= 0 or account is None or account.role not in CASH_ROLES or account.allow_overdraft:
            continue
        found = first_negative_day(conn, facts.coop_id, account_id, request.entry_date, cursor)
        if found is not None:
            raise _insufficient_funds(account, first_line[account_id], found[0], found[1], delta, facts.currency_decimals)


# --- writing --------------------------------------------------------------------------------------

def start_chain(coop: Cooperative) -> LedgerHead:
    """Create the cooperative's chain head (at cooperative creation, so postings never race to)."""
    head = db.session.scalar(select(LedgerHead).where(LedgerHead.cooperative_id == coop.id))
    if head is None:
        head = LedgerHead(cooperative_id=coop.id, last_hash=GENESIS_HASH, entries=0)
        db.session.add(head)
        db.session.flush()
    return head


def lock_ledger(coop_id: int) -> LedgerHead:
    """Lock the cooperative's chain head: postings, period changes and the opening-balance check of one
    cooperative queue here (PostgreSQL row lock; SQLite writers are already serialised: every write
    transaction begins IMMEDIATE, see create_app). Checks that must not race a posting run after it."""
    head = db.session.scalar(select(LedgerHead).where(LedgerHead.cooperative_id == coop_id).with_for_update())
    if head is None:
        head = LedgerHead(cooperative_id=coop_id, last_hash=GENESIS_HASH, entries=0)
        db.session.add(head)
        db.session.flush()
    return head


def _content_hash(coop_id: int, number: str, journal_type: str, fiscal_year: int, sequence: int, entry_date: date,
                  description: str, reference: str | None, reverses_id: int | None, total: int, prev_hash: str,
                  rows: list[tuple]) -> str:
    payload = {
        "coop": coop_id, "number": number, "type": journal_type, "fy": fiscal_year,
        "seq": sequence, "date": entry_date.isoformat(), "description": description,
        "reference": reference, "reverses": reverses_id, "total": total,
        "lines": sorted([list(r) for r in rows]), "prev": prev_hash,
    }
    return hashlib.sha256(_HASH_JSON.encode(payload).encode()).hexdigest()


def entry_hash(entry: JournalEntry, lines: list[JournalLine] | list[tuple], reverses_number: str | None = None) -> str:
    """SHA-256 over an entry's canonical content and the previous entry's hash.

    ``lines`` are JournalLine rows or tuples (line_no, account_id, debit, credit, member_id, party_id, memo).
    """
    rows = [
        (ln.line_no, ln.account_id, ln.debit, ln.credit, ln.member_id, ln.party_id, ln.memo) if isinstance(ln, JournalLine) else tuple(ln)
        for ln in lines
    ]
    return _content_hash(entry.cooperative_id, entry.number, entry.journal_type, entry.fiscal_year, entry.sequence,
                         entry.entry_date, entry.description, entry.reference, entry.reverses_id, entry.total,
                         entry.prev_hash, rows)


def _find_by_key(coop_id: int, key: str) -> JournalEntry | None:
    return db.session.scalar(select(JournalEntry).where(JournalEntry.cooperative_id == coop_id, JournalEntry.idempotency_key == key))


def _not_written(conn: Connection, claim: _Claim, request: PostingRequest, idempotency_key: str | None, fingerprint: str,
                 allow_closed_period: bool) -> JournalEntry:
    """The entry was not written: its month is closed, or its key names an earlier entry (returned
    for a replay, the claimed number given back). Both read under the lock, as the write did."""
    coop_id = claim.facts.coop_id
    if not allow_closed_period and is_period_closed(coop_id, request.entry_date, claim.facts.fiscal_year_start_month):
        raise _period_closed_error(request.entry_date)
    existing = _find_by_key(coop_id, idempotency_key) if idempotency_key else None
    if existing is None:
        raise RuntimeError("entry not written, yet its month is open and its key unused")
    if existing.request_hash != fingerprint:
        raise LedgerError("idempotency_conflict",
                          _l("Kunci idempotensi ini sudah dipakai untuk jurnal lain (%(n)s).", n=existing.number),
                          {"idempotency_key": _l("Sudah dipakai.")})
    unclaim = (coop_id, request.journal_type, claim.fiscal_year)
    if claim.cursor is not None:
        claim.cursor.execute(_UNCLAIM_SQL, unclaim)
    else:
        conn.exec_driver_sql(_driver_sql(conn.dialect.paramstyle, _UNCLAIM_SQL), unclaim)
    existing.was_replayed = True
    return existing


def _write(conn: Connection, claim: _Claim, request: PostingRequest, *, source: str, idempotency_key: str | None,
           actor_id: int | None, reverses_id: int | None = None, allow_closed_period: bool = False,
           audit: bool = True) -> dict | JournalEntry:
    """Write the entry with the claimed number, its lines, the chain head and (``audit``) the
    ``entry.posted`` event, unless the month is closed or the key taken. Returns the entry's column
    values, or the earlier entry when the idempotency key replays it."""
    dialect, paramstyle = conn.dialect.name, conn.dialect.paramstyle
    facts, fiscal_year, sequence = claim.facts, claim.fiscal_year, claim.sequence
    coop_id, day = facts.coop_id, request.entry_date
    fingerprint = request.fingerprint()
    number = f"{request.journal_type}/{fiscal_year}/{sequence:06d}"
    total = sum(c.debit for c in request.lines)
    rows = [(n, c.account_id, c.debit, c.credit, c.member_id, c.party_id, c.memo) for n, c in enumerate(request.lines, start=1)]
    prev_hash = facts.last_hash
    digest = _content_hash(coop_id, number, request.journal_type, fiscal_year, sequence, day, request.description,
                           request.reference, reverses_id, total, prev_hash, rows)
    now = datetime.now(UTC)
    values = {
        "cooperative_id": coop_id, "journal_type": request.journal_type, "fiscal_year": fiscal_year, "sequence": sequence,
        "number": number, "entry_date": day, "description": request.description, "reference": request.reference,
        "source": source, "total": total, "idempotency_key": idempotency_key, "request_hash": fingerprint,
        "reverses_id": reverses_id, "created_by_id": actor_id, "created_at": now, "prev_hash": prev_hash, "entry_hash": digest,
    }
    db_day, db_now = _db_value(dialect, day), _db_value(dialect, now)
    entry_params = (
        *(db_day if c == "entry_date" else db_now if c == "created_at" else values[c] for c in _ENTRY_COLUMNS),
        allow_closed_period, coop_id, day.year, day.month,
        coop_id, facts.fiscal_year_start_month, fiscal_year, facts.fiscal_year_start_month, coop_id, idempotency_key,
    )
    event = ()
    if audit:
        event = event_values("entry.posted", cooperative_id=coop_id, actor_id=actor_id, number=number,
                             total=str(money.from_sen(total)), source=source)
        event = (coop_id, actor_id, event["action"], event["login"], event["ip_address"], json.dumps(event["detail"]), db_now)
    statements = _write_sql(dialect, paramstyle, min(len(rows), _SQLITE_LINES_PER_INSERT), audit)
    if len(statements) == 1:  # PostgreSQL: one statement, the lines as column arrays
        columns = [list(column) for column in zip(*rows, strict=True)]
        cash = cash_day_nets(claim.accounts, request)
        written = conn.exec_driver_sql(statements[0], (*entry_params, coop_id, db_day, *columns, digest, coop_id,
                                                       coop_id, db_day, list(cash), list(cash.values()), *event)).first()
    else:  # SQLite, through the driver's cursor
        cursor = claim.cursor
        insert_entry, insert_lines, update_head, *insert_audit = statements
        written = next(iter(cursor.execute(insert_entry, entry_params).fetchall()), None)
        if written is not None:
            entry_id = written[0]
            if len(rows) <= _SQLITE_LINES_PER_INSERT:
                cursor.execute(insert_lines, [p for r in rows for p in (coop_id, entry_id, r[0], r[1], db_day, *r[2:])])
            else:
                for start in range(0, len(rows), _SQLITE_LINES_PER_INSERT):
                    chunk = rows[start:start + _SQLITE_LINES_PER_INSERT]
                    cursor.execute(_write_sql(dialect, paramstyle, len(chunk), audit)[1],
                                   [p for r in chunk for p in (coop_id, entry_id, r[0], r[1], db_day, *r[2:])])
            cursor.execute(update_head, (entry_id, digest, coop_id))
            if insert_audit:
                cursor.execute(insert_audit[0], event)
    if written is None:
        return _not_written(conn, claim, request, idempotency_key, fingerprint, allow_closed_period)
    values["id"] = written[0]
    return values


def _attach(values: dict) -> JournalEntry:
    """The entry just written, as a persistent instance of the session, without reading it back.

    Built the way the ORM builds a loaded row: a bare instance (``class_manager.new_instance()``, no
    constructor and its per-attribute change events), every column put in its ``__dict__`` as
    loaded, unmodified state, its identity key set, and the state registered in the session's identity
    map by ``Session._update_impl`` — the step of ``Session.add`` for an instance that has an identity,
    without the cascade walk over the mapper's relationships that ``add`` also makes (the entry's
    only relationship, ``lines``, is view-only; unloaded, it loads on first access). ``add`` after
    make_transient_to_detached, as before, cost about 5× as much. Checked by the posting tests: the
    instance is persistent, is what ``session.get`` returns, and its lines load."""
    mapper = _entry_mapper()
    entry = mapper.class_manager.new_instance()
    entry.__dict__.update(values, reversed_by_id=None)
    state = instance_state(entry)
    state.key = mapper.identity_key_from_primary_key((values["id"],))
    db.session()._update_impl(state)
    entry.was_replayed = False
    return entry


@functools.cache
def _entry_mapper():
    return inspect(JournalEntry)


def post_entry(
    coop: Cooperative, *, entry_date: date, description: str, lines, journal_type: str = "JU",
    reference: str | None = None, source: str = "manual", idempotency_key: str | None = None, actor=None,
    internal_subledgers: frozenset[str] = frozenset(), allow_closed_period: bool = False, allow_inactive: bool = False,
    commit: bool = True,
) -> JournalEntry:
    """Post one balanced entry and return it, or raise LedgerError and write nothing. Refusals that
    need the cooperative or its books (amounts, accounts, subledgers, balance, closed month, key
    conflict) roll the session back: that releases the ledger lock and gives the claimed voucher
    number back.

    With ``idempotency_key``: the same key and content again returns the first entry (its
    ``was_replayed`` is True); the same key with different content raises ``idempotency_conflict``.
    ``internal_subledgers`` is for modules that keep their own subledger (the shop passes
    ``{"product"}`` for inventory lines backed by stock moves). ``commit=False`` lets a domain
    service post inside its own unit of work and commit once.
    """
    key = (idempotency_key or "").strip()[:200] or None
    session = db.session
    session.flush()  # the statements below go past the unit of work: it must hold nothing pending
    coop_id = _pk(coop)
    draft = _draft(entry_date, description, lines, journal_type, reference)
    actor_id = getattr(actor, "id", None)
    joined = in_unit()
    request = None
    try:
        with unit_of_work() if commit else contextlib.nullcontext():
            conn = session.connection()
            with _DRIVER_ERRORS:
                claim = _lock_and_claim(conn, coop_id, draft)
                request = _check(claim.facts, draft, claim.accounts, internal_subledgers, allow_inactive, source)
                check_entry_date(claim.facts, draft.entry_date, allow_closed_period)
                written = _write(conn, claim, request, source=source, idempotency_key=key, actor_id=actor_id,
                                 allow_closed_period=allow_closed_period)
                if not isinstance(written, JournalEntry):
                    check_written_entry(conn, claim.facts, claim.accounts, request, claim.cursor)
    except IntegrityError:
        if joined:  # the caller's unit rolls back; its operation key recognises a replayed request
            mark_failed()
            raise
        # Another transaction committed the same idempotency key between our check and our insert.
        session.rollback()
        if key and request is not None and (existing := _find_by_key(coop_id, key)) is not None:
            if existing.request_hash != request.fingerprint():
                raise LedgerError("idempotency_conflict", _l("Kunci idempotensi ini sudah dipakai untuk jurnal lain.")) from None
            existing.was_replayed = True
            return existing
        raise
    except Exception:
        if joined:
            mark_failed()
        else:
            session.rollback()
        raise
    # after the commit, so the values stay loaded (a commit would expire them)
    return written if isinstance(written, JournalEntry) else _attach(written)


def reverse(
    coop: Cooperative, entry: JournalEntry, *, entry_date: date | None = None, description: str | None = None,
    actor=None, idempotency_key: str | None = None, commit: bool = True,
) -> JournalEntry:
    """Undo ``entry`` by posting its mirror image (debits and credits swapped) and linking the two.

    Raises LedgerError(code="already_reversed" | "cannot_reverse_reversal" | "invalid_date" |
    "period_closed" | "not_found").
    """
    coop_id = _pk(coop)
    if entry.cooperative_id != coop_id:
        raise LedgerError("not_found", _l("Jurnal tidak ditemukan."))
    actor_id = getattr(actor, "id", None)
    joined = in_unit()
    try:
        with unit_of_work() if commit else contextlib.nullcontext():
            for guard in subledgers.reversal_guards():  # before the ledger lock: guards lock their own rows first, as their modules do
                guard(coop, entry)
            lock_ledger(coop_id)
            db.session.refresh(entry)
            if entry.reverses_id is not None:
                raise LedgerError("cannot_reverse_reversal", _l("Jurnal %(n)s adalah pembalik; posting ulang jurnal aslinya bila perlu.", n=entry.number))
            if entry.reversed_by_id is not None:
                raise LedgerError("already_reversed", _l("Jurnal %(n)s sudah dibalik.", n=entry.number))
            day = entry_date or max(today(), entry.entry_date)
            if day < entry.entry_date:
                raise LedgerError("invalid_date", _l("Tanggal pembalikan tidak boleh sebelum tanggal jurnal asli."), {"date": _l("Terlalu awal.")})
            lines = [
                LineSpec(ln.account_id, debit=money.from_sen(ln.credit), credit=money.from_sen(ln.debit),
                         member_id=ln.member_id, party_id=ln.party_id, memo=ln.memo)
                for ln in entry.lines
            ]
            draft = _draft(day, description or f"Pembalik {entry.number}: {entry.description}"[:500], lines,
                           entry.journal_type, entry.number)
            conn = db.session.connection()
            with _DRIVER_ERRORS:
                claim = _lock_and_claim(conn, coop_id, draft)
                request = _check(claim.facts, draft, claim.accounts, frozenset({"member", "party", "product", "santri"}), allow_inactive=True,
                                 source="reversal")
                check_entry_date(claim.facts, day)
                written = _write(conn, claim, request, source="reversal", idempotency_key=(idempotency_key or "").strip() or None,
                                 actor_id=actor_id, reverses_id=entry.id, audit=False)
                if not isinstance(written, JournalEntry):
                    check_written_entry(conn, claim.facts, claim.accounts, request, claim.cursor)
            reversal = written if isinstance(written, JournalEntry) else _attach(written)
            if not reversal.was_replayed:
                db.session.execute(
                    update(JournalEntry)
                    .where(JournalEntry.cooperative_id == coop_id, JournalEntry.id == entry.id, JournalEntry.reversed_by_id.is_(None))
                    .values(reversed_by_id=reversal.id)
                )
                record("entry.reversed", cooperative_id=coop_id, actor_id=actor_id, number=entry.number, reversal=reversal.number)
    except Exception:
        if joined:
            mark_failed()
        else:
            db.session.rollback()
        raise
    db.session.refresh(entry)
    return reversal
