"""Ledger benchmarks: posting throughput and trial-balance speed, each against bare SQL on the same database.

DESIGN.md: "speed is measured, not asserted". Two aims from the issue are checked here:

* **Posting** — ``post_entry`` (validation, voucher counter, hash chain, audit event, one commit per
  entry: the real cost of one request) should reach at least 40 % of the throughput of bare
  ``INSERT INTO journal_entry`` + ``INSERT INTO journal_line`` statements, one commit per entry, on the
  same database and in the same run (so the disk, the triggers and the indexes are the same for both).
* **Trial balance** — ``queries.trial_balance(coop)`` over a cooperative with 1,000,000 journal lines
  (among 10 cooperatives) should stay within 2× of the bare ``SUM … GROUP BY account_id`` it wraps,
  with and without an ``as_of`` date.

Every phase builds a fresh database migrated with Alembic, exactly like the test suite does:
SQLite in a temporary file (WAL, via the app's engine hooks) or PostgreSQL ``koppontren_bench`` on
127.0.0.1 (dropped and created again). Money is integer sen or ``Decimal`` rupiah, never float.

Run by hand (figures go in bench/RESULTS.md with the command):

    .venv/bin/python bench/ledger_post.py --db sqlite --entries 2000
    .venv/bin/python bench/ledger_post.py --db postgresql --lines 1000000
    .venv/bin/python bench/ledger_post.py --db both --entries 5000 --lines 1000000 --covering-index --profile pyinstrument
    .venv/bin/python bench/ledger_post.py --db postgresql --skip-trial-balance --history-lines 0 --no-analyze
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import heapq
import io
import logging
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, event, select, text

from koppontren import create_app
from koppontren.extensions import db
from koppontren.ledger.models import Account
from koppontren.ledger.opening import OpeningPlan, post_opening
from koppontren.ledger.posting import CASH_DAY_FILL_SQL, GENESIS_HASH, LineSpec, post_entry
from koppontren.ledger.queries import trial_balance
from koppontren.tenancy.models import Cooperative
from koppontren.tenancy.services import create_cooperative

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/koppontren_bench"
PG_BENCH_DB = "koppontren_bench"

YEAR = 2025
YEAR_START = date(YEAR, 1, 1)
MID_YEAR = date(YEAR, 6, 30)
JOURNAL_TYPE = "KK"  # kas keluar: paying expenses in cash
EXPENSE_UTILITIES, EXPENSE_SUPPLIES, CASH = "6102", "6103", "1101"
CAPITAL = "3103"  # Modal Penyertaan: the capital paid in that funds Kas Besar (see open_books)
#: Whole rupiah: the most one planned entry pays out of cash (see posting_plan).
MAX_ENTRY_RUPIAH = 2_500_000 + 750_000
#: Whole rupiah of Kas Besar beyond what the planned entries pay out: the bulk history moves 1101 both
#: ways at random (a few hundred million at most, even at 100,000 lines), and must not take it below zero.
CASH_MARGIN_RUPIAH = 10_000_000_000
SEN_PER_RUPIAH = 100
POSTING_AIM = Decimal("0.40")  # project ÷ raw throughput, at least
TRIAL_BALANCE_AIM = Decimal(2)  # project ÷ bare time, at most
LINES_PER_BULK_ENTRY = 4


def progress(message: str) -> None:
    """One updating line on stderr, so long phases show they are alive without cluttering stdout."""
    sys.stderr.write(f"\r  {message}\033[K")
    sys.stderr.flush()


def progress_done() -> None:
    sys.stderr.write("\n")
    sys.stderr.flush()


# --- databases --------------------------------------------------------------------------------------

@dataclass
class BenchDatabase:
    """A freshly migrated database and the app bound to it; ``close()`` disposes of both."""

    kind: str  # "sqlite" | "postgresql"
    url: str
    app: Flask
    tmpdir: Path | None = None

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def _recreate_postgres_database() -> None:
    """DROP/CREATE need a connection outside any transaction, to the maintenance database."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_BENCH_DB}"))
    admin.dispose()


def build_database(kind: str) -> BenchDatabase:
    """A fresh database migrated with Alembic, the way tests/conftest.py builds one."""
    from flask_migrate import upgrade

    tmpdir = None
    if kind == "sqlite":
        tmpdir = Path(tempfile.mkdtemp(prefix="koppontren-bench-"))
        url = f"sqlite:///{tmpdir / 'bench.db'}"
    else:
        _recreate_postgres_database()
        url = PG_BENCH_URL
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one migration log per run is enough on stderr
    return BenchDatabase(kind, url, app, tmpdir)


def create_coops(bench: BenchDatabase, count: int, prefix: str, books_start: date = YEAR_START) -> list[int]:
    """Cooperatives made through the service, so each has the seeded chart and a chain head. Their books
    start on ``books_start`` (default 1 January of YEAR): the ledger refuses entries dated earlier, and
    the benchmarks' entries are dated across YEAR."""
    ids = []
    with bench.app.app_context():
        for n in range(1, count + 1):
            ids.append(create_cooperative(f"{prefix}-{n}", f"Kopontren Bench {prefix} {n}", books_start=books_start).id)
    return ids


def open_books(bench: BenchDatabase, coop_id: int, capital: int) -> None:
    """The opening balance of a cooperative that starts with ``capital`` whole rupiah paid in: Dr 1101 Kas
    Besar / Cr 3103 Modal Penyertaan, one SA entry dated its books start (``ledger.opening.post_opening``,
    as koppontren/generate.py opens its books). The ledger refuses a payment that would take cash below
    zero, so the cash a benchmark pays out must be there first."""
    with bench.app.app_context():
        coop = db.session.get(Cooperative, coop_id)
        plan = OpeningPlan(lines=[LineSpec(CASH, debit=Decimal(capital)), LineSpec(CAPITAL, credit=Decimal(capital))])
        post_opening(coop, plan, actor=None)
        db.session.remove()


def capital_for(entries: int) -> int:
    """Whole rupiah of capital that covers ``entries`` planned payments and the history's swings."""
    return CASH_MARGIN_RUPIAH + MAX_ENTRY_RUPIAH * entries


def account_ids(bench: BenchDatabase, coop_id: int) -> dict[str, int]:
    """Account code -> id of the cooperative's postable accounts that need no subledger (the ones a
    plain journal may use)."""
    with bench.app.app_context():
        rows = db.session.execute(
            select(Account.code, Account.id).where(Account.cooperative_id == coop_id, Account.postable.is_(True),
                                                   Account.subledger.is_(None)).order_by(Account.code)
        ).all()
        db.session.rollback()
    return dict(rows)


def for_driver(kind: str, sql: str) -> str:
    """SQL is written with ``?`` (sqlite3's paramstyle); psycopg wants ``%s``."""
    return sql if kind == "sqlite" else sql.replace("?", "%s")


def utc_now_param(kind: str) -> datetime | str:
    """``created_at`` as the driver wants it: SQLAlchemy stores SQLite DateTime as ISO text."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%d %H:%M:%S.%f") if kind == "sqlite" else now


def date_param(kind: str, day: date) -> date | str:
    """A date as the driver wants it: SQLAlchemy stores SQLite Date as ``YYYY-MM-DD`` text."""
    return day.isoformat() if kind == "sqlite" else day


# --- 1. posting ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlannedEntry:
    """One expense paid in cash: Dr utilities, Dr supplies, Cr cash. Amounts in whole rupiah."""

    day: date
    utilities: int
    supplies: int
    description: str

    @property
    def total(self) -> int:
        return self.utilities + self.supplies


def posting_plan(count: int, seed: int, label: str) -> list[PlannedEntry]:
    """The same amounts and dates for both paths, so they write exactly the same books."""
    rng = random.Random(seed)
    return [
        PlannedEntry(YEAR_START + timedelta(days=rng.randrange(365)), rng.randrange(5_000, 2_500_000),
                     rng.randrange(1_000, 750_000), f"Bayar listrik & ATK {label} #{i}")
        for i in range(count)
    ]


def post_with_project(coop: Cooperative, entry: PlannedEntry) -> None:
    """Post one planned entry through ``post_entry`` with account codes and its own commit — what one
    request of the journal page or the API costs (minus HTTP and templates)."""
    post_entry(coop, entry_date=entry.day, description=entry.description, journal_type=JOURNAL_TYPE, lines=[
        LineSpec(EXPENSE_UTILITIES, debit=Decimal(entry.utilities)),
        LineSpec(EXPENSE_SUPPLIES, debit=Decimal(entry.supplies)),
        LineSpec(CASH, credit=Decimal(entry.total)),
    ])


@dataclass(frozen=True)
class Timing:
    """Wall time and this process's CPU time: their difference is time spent waiting for the
    database (round trips, the server's work, fsync)."""

    wall: float = 0.0
    cpu: float = 0.0

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)


def run_plan(plan: list[PlannedEntry], post: Callable[[PlannedEntry], None], label: str | None = None) -> Timing:
    """Post every planned entry one by one and time it. With a label, a counter on stderr every 100
    entries (one string format per 100 entries: nothing measurable)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    for i, entry in enumerate(plan, start=1):
        post(entry)
        if label and (i % 100 == 0 or i == len(plan)):
            progress(f"{label}: {i}/{len(plan)} entries")
    timing = Timing(time.perf_counter() - start, time.process_time() - start_cpu)
    if label:
        progress_done()
    return timing


def post_plan_with_project(coop_id: int, plan: list[PlannedEntry], label: str | None = None) -> Timing:
    """The project path for a whole plan, inside the caller's app context."""
    coop = db.session.get(Cooperative, coop_id)
    return run_plan(plan, lambda entry: post_with_project(coop, entry), label)


RAW_SQL = {
    "sqlite": {
        "begin": "BEGIN IMMEDIATE",
        "entry": "INSERT INTO journal_entry (cooperative_id, journal_type, fiscal_year, sequence, number, entry_date, description, "
                 "source, total, request_hash, created_at, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "lines": "INSERT INTO journal_line (cooperative_id, entry_id, line_no, account_id, entry_date, debit, credit) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)",
    },
    "postgresql": {
        "begin": None,  # psycopg opens the transaction on the first statement
        "entry": "INSERT INTO journal_entry (cooperative_id, journal_type, fiscal_year, sequence, number, entry_date, description, "
                 "source, total, request_hash, created_at, prev_hash, entry_hash) "
                 "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        "lines": "INSERT INTO journal_line (cooperative_id, entry_id, line_no, account_id, entry_date, debit, credit) "
                 "VALUES (%s, %s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s, %s)",
    },
}


class RawPoster:
    """Bare SQL through the driver's own connection: the floor the project's posting is measured
    against. It keeps just enough state (sequence, previous hash) for the rows to satisfy every
    constraint and trigger; it checks nothing and writes no counter, head or audit row."""

    def __init__(self, kind: str, dbapi_conn, coop_id: int, accounts: dict[str, int]) -> None:
        self.kind = kind
        self.conn = dbapi_conn
        self.coop_id = coop_id
        self.sql = RAW_SQL[kind]
        self.utilities, self.supplies, self.cash = accounts[EXPENSE_UTILITIES], accounts[EXPENSE_SUPPLIES], accounts[CASH]
        self.sequence = 0
        self.prev_hash = GENESIS_HASH

    def post(self, entry: PlannedEntry) -> None:
        self.sequence += 1
        number = f"{JOURNAL_TYPE}/{entry.day.year}/{self.sequence:06d}"
        total = entry.total * SEN_PER_RUPIAH
        request_hash = hashlib.sha256(f"{number}|{total}".encode()).hexdigest()
        entry_hash = hashlib.sha256(f"{self.prev_hash}|{request_hash}".encode()).hexdigest()
        day = date_param(self.kind, entry.day)
        cur = self.conn.cursor()
        if self.sql["begin"]:
            cur.execute(self.sql["begin"])
        cur.execute(self.sql["entry"], (self.coop_id, JOURNAL_TYPE, entry.day.year, self.sequence, number, day, entry.description,
                                        "manual", total, request_hash, utc_now_param(self.kind), self.prev_hash, entry_hash))
        entry_id = cur.lastrowid if self.kind == "sqlite" else cur.fetchone()[0]
        c = self.coop_id
        cur.execute(self.sql["lines"], (
            c, entry_id, 1, self.utilities, day, entry.utilities * SEN_PER_RUPIAH, 0,
            c, entry_id, 2, self.supplies, day, entry.supplies * SEN_PER_RUPIAH, 0,
            c, entry_id, 3, self.cash, day, 0, total,
        ))
        if self.kind == "sqlite":
            cur.execute("COMMIT")
        else:
            self.conn.commit()
        cur.close()
        self.prev_hash = entry_hash


@dataclass
class StatementStats:
    """What post_entry sends to the database, measured with SQLAlchemy's cursor events on a separate
    run: per statement kind, how often and how long inside the driver's execute (round trip and the
    server's work included). BEGIN (PostgreSQL), COMMIT and pool pings happen outside these events."""

    entries: int = 0
    wall: float = 0.0
    #: False on SQLite: post_entry sends its statements through the driver's own cursor there (and
    #: BEGIN straight to the driver), which SQLAlchemy's cursor events don't see; they are counted
    #: with sqlite3's trace callback instead, which gives no time
    timed: bool = True
    calls: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)

    @property
    def per_entry(self) -> Decimal:
        return Decimal(sum(self.calls.values())) / max(self.entries, 1)

    @property
    def driver_seconds(self) -> float:
        return sum(self.seconds.values())


def statement_stats(bench: BenchDatabase, coop_id: int, plan: list[PlannedEntry]) -> StatementStats:
    stats = StatementStats(entries=len(plan))

    def before(conn, _cursor, _statement, _params, _context, _many) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn, _cursor, statement, _params, _context, many) -> None:
        words = statement.split()
        if words[0] == "WITH":  # a statement of several parts: name what it reads, locks and writes
            parts = [f"{w[1:]} {words[i + 2] if w == '(INSERT' else words[i + 1]}" for i, w in enumerate(words) if w in ("(INSERT", "(UPDATE")]
            lock = ["SELECT … FOR UPDATE"] if "FOR UPDATE" in statement else []
            kind = "WITH " + ", ".join(lock + parts)
        else:
            kind = " ".join(words[:3] if words[0] in ("INSERT", "UPDATE") else words[:2])
        kind = kind.split("(")[0].rstrip(",") + (" (executemany)" if many else "")
        stats.calls[kind] += 1
        stats.seconds[kind] += time.perf_counter() - conn.info.pop("bench_t0")

    if bench.kind == "sqlite":
        return sqlite_statement_counts(bench, coop_id, plan, stats)
    with bench.app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        try:
            stats.wall = post_plan_with_project(coop_id, plan).wall
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)
    return stats


def sqlite_statement_counts(bench: BenchDatabase, coop_id: int, plan: list[PlannedEntry], stats: StatementStats) -> StatementStats:
    """SQLite: every statement the driver runs, counted with sqlite3's trace callback on each
    connection the pool hands out (BEGIN and COMMIT included; no time per statement)."""
    stats.timed = False
    traced = []

    def trace(statement: str) -> None:
        words = statement.split()
        kind = " ".join(words[:3] if words[0] in ("INSERT", "UPDATE") else words[:2])
        stats.calls[kind.split("(")[0].rstrip(",")] += 1

    def checkout(dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.set_trace_callback(trace)
        traced.append(dbapi_connection)

    with bench.app.app_context():
        event.listen(db.engine.pool, "checkout", checkout)
        try:
            stats.wall = post_plan_with_project(coop_id, plan).wall
        finally:
            event.remove(db.engine.pool, "checkout", checkout)
            for conn in traced:
                conn.set_trace_callback(None)
    return stats


def profile_posting(bench: BenchDatabase, coop_id: int, plan: list[PlannedEntry], profiler: str) -> str:
    """Where the project's posting time goes, as text (pyinstrument tree or cProfile's top functions)."""
    with bench.app.app_context():
        if profiler == "pyinstrument":
            from pyinstrument import Profiler

            prof = Profiler(interval=0.0005)
            prof.start()
            post_plan_with_project(coop_id, plan)
            prof.stop()
            return prof.output_text(unicode=False, color=False, show_all=False)
        prof = cProfile.Profile()
        prof.runcall(post_plan_with_project, coop_id, plan)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


@dataclass
class PostingResult:
    kind: str
    entries: int
    history_lines: int  # per cooperative, loaded before posting
    project_halves: list[Timing]
    raw_halves: list[Timing]
    statements: StatementStats
    profile: str | None = None

    @property
    def project(self) -> Timing:
        return self.project_halves[0] + self.project_halves[1]

    @property
    def raw(self) -> Timing:
        return self.raw_halves[0] + self.raw_halves[1]

    @property
    def project_rate(self) -> Decimal:
        return Decimal(self.entries) / Decimal(repr(self.project.wall))

    @property
    def raw_rate(self) -> Decimal:
        return Decimal(self.entries) / Decimal(repr(self.raw.wall))

    @property
    def ratio(self) -> Decimal:
        return self.project_rate / self.raw_rate


def analyze(bench: BenchDatabase) -> None:
    """PostgreSQL: refresh the planner's statistics, as autovacuum would in production.

    The plans that matter here are cached per connection and made from the statistics of the moment:
    the foreign-key checks journal_line -> journal_entry and the balance trigger's ``SELECT total`` /
    ``SUM`` by entry. Made from statistics of a (nearly) empty ledger, they scan — sequentially, or
    through an index on ``cooperative_id`` alone — and their cost then grows with the size of the
    ledger at every posting. This server runs with autovacuum off, so nothing refreshes them unless
    someone runs ANALYZE. (SQLite finds the entry by its rowid and needs nothing.)
    """
    if bench.kind != "postgresql":
        return
    with bench.app.app_context():
        db.session.execute(text("ANALYZE journal_entry, journal_line, account, voucher_counter, ledger_head"))
        db.session.commit()


def bench_posting(kind: str, entries: int, warmup: int, profiler: str | None, history_lines: int, stats: bool = True) -> PostingResult:
    """Project path on cooperative A, raw SQL on cooperative B, same database, same entries.

    Each cooperative first gets ``history_lines`` lines of history through the bulk path, so the
    tables and their statistics look like a ledger in use rather than a fresh install (see
    analyze()), then its opening balance (open_books: capital paid into Kas Besar on 1 January, which
    the entries' payments draw on — post_entry refuses to take cash below zero, and reading 1101's
    balance from the entry's date on is part of what it costs now; the raw path checks nothing).
    Both paths then post a warm-up (statement caches, mapper configuration, the pool) and the timed
    entries in two halves in A-B-B-A order, so a drift of the machine favours neither; the halves are
    reported so a cost growing with the ledger shows.
    """
    print(f"[{kind}] posting: building database", file=sys.stderr)
    bench = build_database(kind)
    try:
        coops = create_coops(bench, 3, "post")
        project_coop, raw_coop, extra_coop = coops
        if history_lines:
            bulk_load(bench, [CoopLoad(c, history_lines, sorted(account_ids(bench, c).values())) for c in coops], 25_000)
        for coop_id in coops:  # untimed; the same capital for all three, so their books stay alike: enough for the most
            # any of them pays out (project and raw: warm-up + entries; extra: up to 1,000 counted + entries profiled)
            open_books(bench, coop_id, capital_for(warmup + 3 * entries))
        accounts = account_ids(bench, raw_coop)
        plan = posting_plan(entries, seed=42, label="timed")
        halves = (plan[: entries // 2], plan[entries // 2:])
        warm = posting_plan(warmup, seed=7, label="warm-up")
        with bench.app.app_context():
            dbapi = db.engine.raw_connection()
            try:
                poster = RawPoster(kind, dbapi.driver_connection, raw_coop, accounts)
                post_plan_with_project(project_coop, warm)
                run_plan(warm, poster.post)
                if stats:
                    analyze(bench)
                project = [post_plan_with_project(project_coop, halves[0], f"[{kind}] post_entry, 1st half")]
                raw = [run_plan(halves[0], poster.post, f"[{kind}] raw SQL, 1st half")]
                raw.append(run_plan(halves[1], poster.post, f"[{kind}] raw SQL, 2nd half"))
                project.append(post_plan_with_project(project_coop, halves[1], f"[{kind}] post_entry, 2nd half"))
            finally:
                dbapi.close()
            verify_posting(kind, project_coop, raw_coop, len(warm) + len(plan))
            db.session.remove()

        statements = statement_stats(bench, extra_coop, posting_plan(min(entries, 1000), seed=9, label="count"))
        profile = None
        if profiler:
            print(f"[{kind}] posting: profiling {entries} more entries with {profiler}", file=sys.stderr)
            profile = profile_posting(bench, extra_coop, posting_plan(entries, seed=11, label="profile"), profiler)
        return PostingResult(kind, entries, history_lines, project, raw, statements, profile)
    finally:
        bench.close()


def verify_posting(kind: str, project_coop: int, raw_coop: int, expected_entries: int) -> None:
    """Both paths must have written the same books; a benchmark of wrong work is worthless."""
    sums = {}
    for coop_id in (project_coop, raw_coop):
        row = db.session.execute(text(
            "SELECT count(DISTINCT l.entry_id), count(*), sum(l.debit), sum(l.credit) FROM journal_line l "
            "JOIN journal_entry e ON e.cooperative_id = l.cooperative_id AND e.id = l.entry_id "
            "WHERE l.cooperative_id = :c AND e.journal_type = :t"
        ), {"c": coop_id, "t": JOURNAL_TYPE}).one()
        sums[coop_id] = tuple(int(v) for v in row)
    db.session.rollback()
    project, raw = sums[project_coop], sums[raw_coop]
    if project != raw or project[0] != expected_entries or project[2] != project[3]:
        raise SystemExit(f"[{kind}] posting paths wrote different books: project {project}, raw {raw}")


# --- 2. trial balance ----------------------------------------------------------------------------------

ENTRY_COLUMNS = ("id", "cooperative_id", "journal_type", "fiscal_year", "sequence", "number", "entry_date", "description",
                 "source", "total", "created_at", "prev_hash", "entry_hash")
LINE_COLUMNS = ("id", "cooperative_id", "entry_id", "line_no", "account_id", "entry_date", "debit", "credit")


@dataclass
class CoopLoad:
    """What to load into one cooperative: ``lines`` lines in entries of LINES_PER_BULK_ENTRY lines
    (the last entry takes the remainder), on ``accounts``."""

    coop_id: int
    lines: int
    accounts: list[int]
    sequence: int = 0
    prev_hash: str = GENESIS_HASH

    @property
    def entries(self) -> int:
        return max(1, self.lines // LINES_PER_BULK_ENTRY)

    def lines_of(self, j: int) -> int:
        return self.lines - LINES_PER_BULK_ENTRY * (self.entries - 1) if j == self.entries - 1 else LINES_PER_BULK_ENTRY


@dataclass
class Batch:
    entries: list[tuple] = field(default_factory=list)
    lines: list[tuple] = field(default_factory=list)


def balanced_amounts(rng: random.Random, n_lines: int) -> list[tuple[int, int]]:
    """(debit, credit) in sen for ``n_lines`` lines that balance: random whole-rupiah debits, their total
    cut into random positive whole-rupiah credits."""
    n_debit = n_lines // 2
    debits = [rng.randrange(1_000, 5_000_000) * SEN_PER_RUPIAH for _ in range(n_debit)]
    total = sum(debits)
    n_credit = n_lines - n_debit
    cuts = sorted(SEN_PER_RUPIAH * c for c in rng.sample(range(1, total // SEN_PER_RUPIAH), n_credit - 1))  # whole rupiah, as the
    # cooperatives' currency_decimals (0) allow: the hledger export writes whole IDR and must balance
    credits = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    return [(d, 0) for d in debits] + [(0, c) for c in credits]


def interleaved_schedule(loads: list[CoopLoad]) -> Iterator[tuple[int, CoopLoad, int]]:
    """Every cooperative's entries spread evenly over the year and merged in date order, as they would
    arrive in production: one cooperative's lines end up scattered among the others' on disk.
    Yields (day of year, load, entry index)."""

    def one(load: CoopLoad) -> Iterator[tuple[int, int, CoopLoad, int]]:
        n = load.entries
        for j in range(n):
            # position in the year as an exact integer fraction of n (no float)
            yield (2 * j + 1) * 365 * 1_000_000 // (2 * n), load.coop_id, load, j

    for key, _coop, load, j in heapq.merge(*(one(load) for load in loads)):
        yield key // 1_000_000, load, j


def bulk_rows(kind: str, loads: list[CoopLoad], batch_entries: int, first_entry_id: int, first_line_id: int) -> Iterator[Batch]:
    """Balanced entries and their lines, ready for COPY / executemany, ``batch_entries`` per batch
    except the first, which is FIRST_BATCH_ENTRIES (see bulk_load)."""
    rng = random.Random(2025)
    created_at = utc_now_param(kind)
    entry_id, line_id = first_entry_id, first_line_id
    batch = Batch()
    for day_of_year, load, j in interleaved_schedule(loads):
        day = YEAR_START + timedelta(days=day_of_year)
        day_value = date_param(kind, day)
        load.sequence += 1
        number = f"JU/{YEAR}/{load.sequence:06d}"
        amounts = balanced_amounts(rng, load.lines_of(j))
        total = sum(d for d, _ in amounts)
        entry_hash = hashlib.sha256(f"{load.prev_hash}|{number}|{total}".encode()).hexdigest()
        batch.entries.append((entry_id, load.coop_id, "JU", YEAR, load.sequence, number, day_value, f"Transaksi {number}",
                              "bench", total, created_at, load.prev_hash, entry_hash))
        for line_no, (debit, credit) in enumerate(amounts, start=1):
            batch.lines.append((line_id, load.coop_id, entry_id, line_no, rng.choice(load.accounts), day_value, debit, credit))
            line_id += 1
        load.prev_hash = entry_hash
        entry_id += 1
        if len(batch.entries) >= (batch_entries if entry_id - first_entry_id > FIRST_BATCH_ENTRIES else FIRST_BATCH_ENTRIES):
            yield batch
            batch = Batch()
    if batch.entries:
        yield batch


FIRST_BATCH_ENTRIES = 500


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - fixed names


def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


@dataclass
class LoadResult:
    seconds: float
    commit_seconds: float  # PostgreSQL: the deferred balance triggers run here
    entries: int
    lines: int


def bulk_load(bench: BenchDatabase, loads: list[CoopLoad], batch_entries: int) -> LoadResult:
    """Fast path around the ORM: COPY on PostgreSQL, executemany on SQLite, explicit ids, one commit
    per batch (on PostgreSQL each commit runs the deferred balance trigger once per line and per
    entry of the batch). On PostgreSQL the first batch is small and followed by ANALYZE, for the
    reason given in analyze(). Counters, chain heads and sequences are brought up to date at the end, so
    the database stays usable by the app."""
    total_entries = sum(load.entries for load in loads)
    total_lines = sum(load.lines for load in loads)
    commit_seconds = 0.0
    with bench.app.app_context():
        raw = db.engine.raw_connection()
        try:
            conn = raw.driver_connection
            cur = conn.cursor()
            cur.execute("SELECT coalesce(max(id), 0) FROM journal_entry")
            first_entry = cur.fetchone()[0] + 1
            cur.execute("SELECT coalesce(max(id), 0) FROM journal_line")
            first_line = cur.fetchone()[0] + 1
            if bench.kind == "postgresql":
                conn.commit()
            start = time.perf_counter()
            done_entries = done_lines = 0
            for batch in bulk_rows(bench.kind, loads, batch_entries, first_entry, first_line):
                if bench.kind == "sqlite":
                    cur.execute("BEGIN IMMEDIATE")
                    cur.executemany(_insert_sql("journal_entry", ENTRY_COLUMNS), batch.entries)
                    cur.executemany(_insert_sql("journal_line", LINE_COLUMNS), batch.lines)
                    commit_start = time.perf_counter()
                    cur.execute("COMMIT")
                else:
                    for table, columns, rows in (("journal_entry", ENTRY_COLUMNS, batch.entries), ("journal_line", LINE_COLUMNS, batch.lines)):
                        with cur.copy(_copy_sql(table, columns)) as copy:
                            for row in rows:
                                copy.write_row(row)
                    commit_start = time.perf_counter()
                    conn.commit()
                commit_seconds += time.perf_counter() - commit_start
                if bench.kind == "postgresql" and done_entries == 0:
                    cur.execute("ANALYZE journal_entry, journal_line")  # see analyze(): or every line reads every entry
                    conn.commit()
                done_entries += len(batch.entries)
                done_lines += len(batch.lines)
                progress(f"[{bench.kind}] bulk load: {done_lines:,}/{total_lines:,} lines, {done_entries:,}/{total_entries:,} entries, "
                         f"{time.perf_counter() - start:.0f} s")
            seconds = time.perf_counter() - start
            progress_done()
            _finish_load(bench.kind, cur, loads)
            if bench.kind == "sqlite":
                cur.execute("COMMIT")
            else:
                conn.commit()
                conn.autocommit = True
                print(f"[{bench.kind}] ANALYZE", file=sys.stderr)
                cur.execute("ANALYZE")
                conn.autocommit = False
            cur.close()
        finally:
            raw.close()
    return LoadResult(seconds, commit_seconds, total_entries, total_lines)


def _finish_load(kind: str, cur, loads: list[CoopLoad]) -> None:
    """Voucher counters, chain heads and (PostgreSQL) id sequences after inserting explicit ids."""
    if kind == "sqlite":
        cur.execute("BEGIN IMMEDIATE")
    for load in loads:
        cur.execute(for_driver(kind, "INSERT INTO voucher_counter (cooperative_id, journal_type, fiscal_year, last_sequence) VALUES (?, 'JU', ?, ?)"),
                    (load.coop_id, YEAR, load.sequence))
        cur.execute(for_driver(kind, "UPDATE ledger_head SET last_hash = ?, entries = ?, "
                                     "last_entry_id = (SELECT max(id) FROM journal_entry WHERE cooperative_id = ?) WHERE cooperative_id = ?"),
                    (load.prev_hash, load.sequence, load.coop_id, load.coop_id))
        # the cash accounts' day rows, which post_entry keeps for the lines it writes and the
        # no-negative-cash rule reads: this history went in past post_entry
        cur.execute(for_driver(kind, CASH_DAY_FILL_SQL), (load.coop_id,))
    if kind == "postgresql":
        for table in ("journal_entry", "journal_line"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608


BARE_AGGREGATE = "SELECT account_id, SUM(debit), SUM(credit) FROM journal_line WHERE cooperative_id = ? GROUP BY account_id"
BARE_AGGREGATE_AS_OF = ("SELECT account_id, SUM(debit), SUM(credit) FROM journal_line WHERE cooperative_id = ? AND entry_date <= ? "
                        "GROUP BY account_id")


def bare_aggregate(kind: str, dbapi_conn, coop_id: int, as_of: date | None) -> tuple[float, list[tuple]]:
    """The SQL trial_balance wraps, through the driver with nothing around it: (seconds, rows)."""
    if as_of is None:
        sql, params = BARE_AGGREGATE, (coop_id,)
    else:
        sql, params = BARE_AGGREGATE_AS_OF, (coop_id, date_param(kind, as_of))
    sql = for_driver(kind, sql)
    cur = dbapi_conn.cursor()
    start = time.perf_counter()
    cur.execute(sql, params)
    rows = cur.fetchall()
    elapsed = time.perf_counter() - start
    cur.close()
    if kind == "postgresql":
        dbapi_conn.rollback()
    return elapsed, rows


def best_of(repeats: int, fn: Callable[[], tuple[float, list]]) -> tuple[float, list]:
    """Best of ``repeats`` timed runs after one untimed warm-up (page cache, plans); ``fn`` returns
    (seconds, result) so it can leave its own set-up out of the time."""
    _, result = fn()
    return min(fn()[0] for _ in range(repeats)), result


@dataclass(frozen=True)
class QueryTiming:
    coop: str  # "large" (the measured one) or "small" (one of the others)
    lines: int  # journal lines of that cooperative
    query: str
    index: str  # "as migrated" or "+ covering index"
    project: float  # seconds, best of N
    bare: float
    plan: str

    @property
    def ratio(self) -> Decimal:
        return Decimal(repr(self.project)) / Decimal(repr(self.bare))


@dataclass
class TrialBalanceResult:
    kind: str
    load: LoadResult
    timings: list[QueryTiming]


#: What-if, on the benchmark's throwaway database only: the aggregate's index with the summed columns,
#: so the database answers from the index alone instead of visiting every line's row.
COVERING_INDEX = {
    "sqlite": "CREATE INDEX ix_bench_journal_line_cover ON journal_line (cooperative_id, account_id, entry_date, debit, credit)",
    "postgresql": "CREATE INDEX ix_bench_journal_line_cover ON journal_line (cooperative_id, account_id, entry_date) INCLUDE (debit, credit)",
}


def add_covering_index(bench: BenchDatabase) -> None:
    """Create COVERING_INDEX; on PostgreSQL also VACUUM, since index-only scans need the visibility
    map (autovacuum sets it in production). Through the driver in autocommit: the app's SQLite
    ``begin`` hook would otherwise open a transaction that the pool rolls back."""
    print(f"[{bench.kind}] creating the covering index (what-if)", file=sys.stderr)
    with bench.app.app_context():
        dbapi = db.engine.raw_connection()
        try:
            conn = dbapi.driver_connection
            if bench.kind == "postgresql":
                conn.autocommit = True  # VACUUM refuses to run in a transaction
            cur = conn.cursor()  # SQLite: the app's connect hook left it in autocommit (isolation_level None)
            cur.execute(COVERING_INDEX[bench.kind])
            if bench.kind == "postgresql":
                cur.execute("VACUUM ANALYZE journal_line")
                conn.autocommit = False
            cur.close()
        finally:
            dbapi.close()
        # Fresh connections: sqlite3 caches prepared statements per connection, and a cached
        # EXPLAIN QUERY PLAN never re-reads the schema, so it would still show the old plan.
        db.engine.dispose()


def query_plan(kind: str, dbapi_conn, coop_id: int, as_of: date | None) -> str:
    """The scans the database chooses for the bare aggregate, so a reader sees which index served it."""
    sql, params = (BARE_AGGREGATE, (coop_id,)) if as_of is None else (BARE_AGGREGATE_AS_OF, (coop_id, date_param(kind, as_of)))
    cur = dbapi_conn.cursor()
    if kind == "sqlite":
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = "; ".join(row[3] for row in cur.fetchall())
    else:
        cur.execute("EXPLAIN " + for_driver(kind, sql), params)
        nodes = [row[0].split("  (cost")[0].strip().removeprefix("->").strip() for row in cur.fetchall()]
        plan = "; ".join(n for n in nodes if "Scan" in n)
        dbapi_conn.rollback()
    cur.close()
    return plan


def time_queries(bench: BenchDatabase, coops: dict[str, tuple[int, int]], index: str, repeats: int) -> list[QueryTiming]:
    """trial_balance vs the bare aggregate for each cooperative, whole year and as of mid-year; checks
    that both return the same totals."""
    out = []
    with bench.app.app_context():
        dbapi = db.engine.raw_connection()
        try:
            for coop_label, (coop_id, coop_lines) in coops.items():
                for query, as_of in (("whole year", None), (f"as_of {MID_YEAR.isoformat()}", MID_YEAR)):
                    print(f"[{bench.kind}] timing trial_balance, {coop_label} cooperative, {query}, {index}", file=sys.stderr)
                    project_s, rows = best_of(repeats, lambda c=coop_id, d=as_of: _trial_balance_request(bench.app, c, d))
                    bare_s, bare_rows = best_of(repeats, lambda c=coop_id, d=as_of: bare_aggregate(bench.kind, dbapi.driver_connection, c, d))
                    _check_same_totals(bench.kind, query, rows, bare_rows)
                    plan = query_plan(bench.kind, dbapi.driver_connection, coop_id, as_of)
                    out.append(QueryTiming(coop_label, coop_lines, query, index, project_s, bare_s, plan))
        finally:
            dbapi.close()
    return out


def bench_trial_balance(kind: str, lines: int, other_lines: int, coops: int, batch_entries: int, repeats: int,
                        covering: bool) -> TrialBalanceResult:
    """Load ``lines`` lines into one cooperative and ``other_lines`` into each of the others, then time
    trial_balance against the bare aggregate for the large cooperative and a small one, whole year
    and as of mid-year; with ``covering``, again after adding COVERING_INDEX."""
    print(f"[{kind}] trial balance: building database", file=sys.stderr)
    bench = build_database(kind)
    try:
        coop_ids = create_coops(bench, coops, "tb")
        main = coop_ids[len(coop_ids) // 2]  # in the middle, neither first nor last on disk
        loads = [CoopLoad(c, lines if c == main else other_lines, sorted(account_ids(bench, c).values())) for c in coop_ids]
        load = bulk_load(bench, loads, batch_entries)
        measured = {"large": (main, lines)}
        if len(coop_ids) > 1:
            measured["small"] = (coop_ids[1], other_lines)
        timings = time_queries(bench, measured, "as migrated", repeats)
        if covering:
            add_covering_index(bench)
            timings += time_queries(bench, measured, "+ covering index", repeats)
        return TrialBalanceResult(kind, load, timings)
    finally:
        bench.close()


def _trial_balance_request(app: Flask, coop_id: int, as_of: date | None) -> tuple[float, list[tuple[int, int, int]]]:
    """trial_balance as a GET page runs it: its own session (nothing cached from the last run) and, on
    SQLite, a deferred read transaction (see _sqlite_begin in create_app). Only the call is timed:
    resolving the cooperative is the tenancy layer's job, done once per request whatever the page."""
    with app.test_request_context("/", method="GET"):
        coop = db.session.get(Cooperative, coop_id)
        start = time.perf_counter()
        rows = trial_balance(coop, as_of=as_of)
        elapsed = time.perf_counter() - start
        out = [(r.account.id, r.debit, r.credit) for r in rows]
        db.session.remove()
    return elapsed, out


def _check_same_totals(kind: str, label: str, rows: list[tuple], bare_rows: list[tuple]) -> None:
    project = sorted((int(a), int(d), int(c)) for a, d, c in rows)
    bare = sorted((int(a), int(d), int(c)) for a, d, c in bare_rows)
    if project != bare or sum(d for _, d, _ in bare) != sum(c for _, _, c in bare):
        raise SystemExit(f"[{kind}] trial balance ({label}) differs from the bare aggregate")


# --- report --------------------------------------------------------------------------------------------

def fmt(value: Decimal, places: str = "0.1") -> str:
    return f"{value.quantize(Decimal(places)):,}"


def ms(seconds: float, places: str = "0.1") -> str:
    return fmt(Decimal(repr(seconds)) * 1000, places)


def print_posting(results: list[PostingResult]) -> None:
    print("\n## Posting: entries of 3 lines, one commit per entry\n")
    print("| database | history lines per coop | entries | post_entry entries/s | raw SQL entries/s | ratio post_entry ÷ raw | aim ≥ 40 % "
          "| post_entry ms/entry (Python CPU) | raw SQL ms/entry (Python CPU) | ms/entry 1st → 2nd half, post_entry; raw | "
          "SQL statements per post_entry |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---|---:|")
    for r in results:
        verdict = "met" if r.ratio >= POSTING_AIM else "NOT met"
        halves = [ms(h.wall / (r.entries // 2 if i == 0 else r.entries - r.entries // 2), "0.01")
                  for hs in (r.project_halves, r.raw_halves) for i, h in enumerate(hs)]
        print(f"| {r.kind} | {r.history_lines:,} | {r.entries:,} | {fmt(r.project_rate)} | {fmt(r.raw_rate)} | {fmt(r.ratio * 100)} % | {verdict} | "
              f"{ms(r.project.wall / r.entries, '0.01')} ({ms(r.project.cpu / r.entries, '0.01')}) | "
              f"{ms(r.raw.wall / r.entries, '0.01')} ({ms(r.raw.cpu / r.entries, '0.01')}) | "
              f"{halves[0]} → {halves[1]}; {halves[2]} → {halves[3]} | {fmt(r.statements.per_entry)} |")
    for r in results:
        st = r.statements
        if not st.timed:
            print(f"\n### Statements of one post_entry on {r.kind} (mean of {st.entries:,} entries, counted with sqlite3's trace callback)\n")
            print(f"{ms(st.wall / st.entries, '0.01')} ms per entry in all. post_entry sends its statements through the driver's cursor "
                  "on SQLite, which SQLAlchemy's cursor events don't see: counted, not timed.\n")
            print("| statement | per entry |")
            print("|---|---:|")
            for kind, calls in st.calls.most_common():
                print(f"| `{kind}` | {fmt(Decimal(calls) / st.entries)} |")
            continue
        print(f"\n### Statements of one post_entry on {r.kind} (mean of {st.entries:,} entries, measured with cursor events)\n")
        print(f"{ms(st.wall / st.entries, '0.01')} ms per entry in all, of which {ms(st.driver_seconds / st.entries, '0.01')} ms "
              "inside the driver's execute (round trip and server work); the rest is Python above the driver, COMMIT and BEGIN.\n")
        print("| statement | per entry | ms per entry |")
        print("|---|---:|---:|")
        for kind, seconds in st.seconds.most_common():
            print(f"| `{kind}` | {fmt(Decimal(st.calls[kind]) / st.entries)} | {ms(seconds / st.entries, '0.001')} |")
    for r in results:
        if r.profile:
            print(f"\n### Profile of post_entry on {r.kind}\n\n```\n{r.profile.rstrip()}\n```")


def print_trial_balance(results: list[TrialBalanceResult]) -> None:
    print("\n## Trial balance\n")
    print("| database | lines loaded (entries) | load s (of which commit) |")
    print("|---|---:|---:|")
    for r in results:
        print(f"| {r.kind} | {r.load.lines:,} ({r.load.entries:,}) | {r.load.seconds:.0f} ({r.load.commit_seconds:.0f}) |")
    print("\n| database | cooperative (lines) | query | index | trial_balance ms | bare SQL ms | ratio | aim ≤ 2× | plan of the bare SQL |")
    print("|---|---|---|---|---:|---:|---:|---|---|")
    for r in results:
        for t in r.timings:
            verdict = "met" if t.ratio <= TRIAL_BALANCE_AIM else "NOT met"
            print(f"| {r.kind} | {t.coop} ({t.lines:,}) | {t.query} | {t.index} | {ms(t.project)} | {ms(t.bare)} | "
                  f"{fmt(t.ratio, '0.01')}× | {verdict} | {t.plan} |")


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def code_version() -> str:
    """The commit measured and whether the app's code had uncommitted changes (read-only git): other
    engineers change the ledger while benchmarks run, and a figure is only useful with its code."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,  # noqa: S603, S607
                                  timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    dirty = [line[3:] for line in git("status", "--porcelain", "--", "koppontren", "migrations").splitlines()]
    return f"{head}, uncommitted changes in: {', '.join(dirty)}" if dirty else f"{head}, clean"


def print_header(argv: list[str], code: str, started: datetime) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# bench/ledger_post.py {' '.join(argv)}\n")
    print(f"- ran {started:%Y-%m-%d %H:%M}–{datetime.now(UTC):%H:%M} UTC; load average (1, 5, 15 min) at the end {load}; nproc {os.cpu_count()}")
    print(f"- code at the start: {code}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--entries", type=int, default=2000, help="entries posted by each path (default 2000)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed entries each path posts first (default 50)")
    parser.add_argument("--lines", type=int, default=1_000_000, help="journal lines of the measured cooperative (default 1,000,000)")
    parser.add_argument("--other-lines", type=int, default=50_000, help="journal lines of each other cooperative (default 50,000)")
    parser.add_argument("--coops", type=int, default=10, help="cooperatives in the trial-balance database (default 10)")
    parser.add_argument("--batch", type=int, default=25_000, help="entries per commit in the bulk load (default 25,000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per query, best kept (default 3)")
    parser.add_argument("--skip-posting", action="store_true")
    parser.add_argument("--skip-trial-balance", action="store_true")
    parser.add_argument("--history-lines", type=int, default=100_000,
                        help="posting: lines of history bulk-loaded into each posting cooperative first (default 100,000; 0 = fresh install)")
    parser.add_argument("--no-analyze", action="store_true",
                        help="posting on PostgreSQL: skip the ANALYZE after the warm-up (with --history-lines 0: plans made on empty tables)")
    parser.add_argument("--covering-index", action="store_true",
                        help="trial balance: time again after adding a covering index (what-if, on the throwaway database)")
    parser.add_argument("--profile", choices=("pyinstrument", "cprofile"), help="also profile post_entry and print where time goes")
    args = parser.parse_args(argv)
    if args.coops < 1 or args.lines < 2 or args.other_lines < 2 or args.entries < 1:
        parser.error("need at least one cooperative, two lines per cooperative and one entry")

    code, started = code_version(), datetime.now(UTC)  # the modules were imported just now
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    posting: list[PostingResult] = []
    balances: list[TrialBalanceResult] = []
    for kind in kinds:
        if not args.skip_posting:
            posting.append(bench_posting(kind, args.entries, args.warmup, args.profile, args.history_lines, stats=not args.no_analyze))
        if not args.skip_trial_balance:
            balances.append(bench_trial_balance(kind, args.lines, args.other_lines, args.coops, args.batch, args.repeats, args.covering_index))
    print_header(sys.argv[1:] if argv is None else argv, code, started)
    if posting:
        print_posting(posting)
    if balances:
        print_trial_balance(balances)


if __name__ == "__main__":
    main()
