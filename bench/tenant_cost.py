"""Tenant isolation of cost (issue 10 §4): one cooperative's statements with N journal lines, in a
database holding only that cooperative and in one holding C such cooperatives — aim: the crowded
database at most 1.3× the lone one (every statement query filters and is indexed on cooperative_id
first, so the others' lines are never read).

Both databases are fresh and migrated with Alembic (bench/ledger_post.py's build_database); the lines
come from its bulk path (balanced 4-line entries over the year, COPY on PostgreSQL, executemany on
SQLite), every cooperative's entries interleaved in date order as they would arrive, so the measured
cooperative's lines lie scattered among the others' on disk. On PostgreSQL the load ends with VACUUM
ANALYZE, as autovacuum would do (it is off on the benchmark machine): index-only scans need the
visibility map. The measured cooperative sits in the middle of the others.

Timed, best of ``--repeats`` after a warm-up, in one request context like a GET of the page:
Neraca (``builders.balance_sheet``), PHU (``income_statement``), Arus Kas (``cash_flow``) and Neraca
Saldo (``trial_balance``) for the year — the builders bench/statements.py times.

    .venv/bin/python bench/tenant_cost.py --db both                 # 100,000 lines × 100 cooperatives
    .venv/bin/python bench/tenant_cost.py --db both --quick         # 10,000 lines × 10 cooperatives

``main(argv)`` returns the figures as a dict (for bench/run.py) and prints a Markdown table.
The PostgreSQL database (``--pg-database``, default koppontren_tenant_cost) is dropped and created
again on every run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ledger_post as lp

from koppontren.extensions import db
from koppontren.statements import builders
from koppontren.statements.model import ReportPeriod
from koppontren.tenancy.models import Cooperative

YEAR = ReportPeriod(date(lp.YEAR, 1, 1), date(lp.YEAR, 12, 31), "year")
STATEMENTS = {
    "Neraca": lambda coop: builders.balance_sheet(coop, YEAR),
    "PHU": lambda coop: builders.income_statement(coop, YEAR),
    "Arus Kas": lambda coop: builders.cash_flow(coop, YEAR),
    "Neraca Saldo": lambda coop: builders.trial_balance(coop, YEAR),
}
AIM = 1.3


def _use_database(name: str) -> None:
    """Point ledger_post's PostgreSQL helpers at our own throwaway database."""
    lp.PG_BENCH_DB = name
    lp.PG_BENCH_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _vacuum(bench: lp.BenchDatabase) -> None:
    if bench.kind != "postgresql":
        return
    with bench.app.app_context():
        raw = db.engine.raw_connection()
        try:
            raw.driver_connection.autocommit = True
            raw.driver_connection.execute("VACUUM ANALYZE")
        finally:
            raw.close()


def time_statements(bench: lp.BenchDatabase, coop_id: int, repeats: int) -> dict[str, float]:
    """Seconds per statement (best of ``repeats`` after one warm-up), and their sum as "total"."""
    out = {}
    with bench.app.app_context(), bench.app.test_request_context("/", method="GET"):
        coop = db.session.get(Cooperative, coop_id)
        for name, build in STATEMENTS.items():
            build(coop)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                build(coop)
                times.append(time.perf_counter() - start)
            out[name] = min(times)
        db.session.remove()
    out["total"] = sum(out.values())
    return out


def measure(kind: str, lines: int, coops: int, repeats: int) -> dict:
    """The lone database, then the crowded one; their figures and the ratio."""
    figures: dict = {"kind": kind, "lines": lines, "coops": coops}
    for label, count in (("one", 1), ("many", coops)):
        print(f"[{kind}] {label}: building a database with {count} cooperative(s) of {lines:,} lines", file=sys.stderr)
        bench = lp.build_database(kind)
        try:
            ids = lp.create_coops(bench, count, "tc")
            loads = [lp.CoopLoad(c, lines, sorted(lp.account_ids(bench, c).values())) for c in ids]
            load = lp.bulk_load(bench, loads, 25_000)
            _vacuum(bench)
            figures[f"{label}_load_s"] = load.seconds
            figures[label] = time_statements(bench, ids[len(ids) // 2], repeats)
        finally:
            bench.close()
    figures["ratio"] = figures["many"]["total"] / figures["one"]["total"]
    figures["ratios"] = {name: figures["many"][name] / figures["one"][name] for name in STATEMENTS}
    return figures


def print_table(results: list[dict], argv: list[str], started: datetime) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# bench/tenant_cost.py {' '.join(argv)}\n")
    print(f"- ran {started:%Y-%m-%d %H:%M}–{datetime.now(UTC):%H:%M} UTC; load average at the end {load}; nproc {os.cpu_count()}")
    print(f"- code at the start: {lp.code_version()}\n")
    print(f"| database | lines per coop | coops in the crowded db | statement | alone ms | among the others ms | ratio (aim ≤ {AIM}×) |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for r in results:
        for name in [*STATEMENTS, "total"]:
            ratio = r["many"][name] / r["one"][name]
            mark = "" if name != "total" else (" met" if ratio <= AIM else " NOT met")
            label = f"**{name}**" if name == "total" else name
            print(f"| {r['kind']} | {r['lines']:,} | {r['coops']} | {label} | {r['one'][name] * 1000:.1f} | {r['many'][name] * 1000:.1f} "
                  f"| {ratio:.2f}×{mark} |")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--lines", type=int, default=100_000, help="journal lines of each cooperative")
    parser.add_argument("--coops", type=int, default=100, help="cooperatives in the crowded database")
    parser.add_argument("--quick", action="store_true", help="10,000 lines × 10 cooperatives (for bench/run.py --quick)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pg-database", default="koppontren_tenant_cost")
    args = parser.parse_args(argv)
    if args.quick:
        args.lines, args.coops = 10_000, 10
    if args.lines < 4 or args.coops < 2:
        parser.error("--lines must be at least 4 and --coops at least 2")
    _use_database(args.pg_database)
    started = datetime.now(UTC)
    results = [measure(kind, args.lines, args.coops, args.repeats)
               for kind in (("sqlite", "postgresql") if args.db == "both" else (args.db,))]
    print_table(results, sys.argv[1:] if argv is None else argv, started)
    return {r["kind"]: r for r in results}


if __name__ == "__main__":
    main()
