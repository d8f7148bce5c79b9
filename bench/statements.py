"""Statements benchmark: Neraca, PHU and the RAT pack PDF over a cooperative with many journal lines,
each beside its bare counterpart in the same run (issue 6).

* Neraca (``builders.balance_sheet``) vs the bare ``SUM(debit), SUM(credit) … GROUP BY account_id``
  up to the date it wraps — aim: within 2×.
* PHU (``builders.income_statement``) vs the bare period aggregate (it runs two: the period and the
  closing entries taken out).
* RAT pack PDF (build every statement + HTML + WeasyPrint) vs a bare WeasyPrint render of the same
  HTML (the PDF engine alone).

The data comes from bench/ledger_post.py's bulk path (COPY on PostgreSQL, executemany on SQLite):
balanced 4-line entries over the year on the accounts without a subledger, a fresh database
migrated with Alembic. Run by hand; figures go in bench/RESULTS.md:

    .venv/bin/python bench/statements.py --db postgresql --lines 1000000
    .venv/bin/python bench/statements.py --db sqlite --lines 200000
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ledger_post as lp
from weasyprint import HTML

from koppontren import pdf
from koppontren.extensions import db
from koppontren.statements import builders, documents, render
from koppontren.statements.model import ReportPeriod
from koppontren.tenancy.models import Cooperative

YEAR = ReportPeriod(date(lp.YEAR, 1, 1), date(lp.YEAR, 12, 31), "year")


def best(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bare(kind: str, sql: str, params: tuple) -> None:
    raw = db.engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        cur.execute(lp.for_driver(kind, sql), params)
        cur.fetchall()
        cur.close()
    finally:
        raw.close()


def run(kind: str, lines: int, repeats: int = 3, then=None) -> tuple[list[tuple[str, float, str, float]], object]:
    """Load ``lines`` lines into one cooperative of a fresh database and time each statement beside its
    bare counterpart: returns ``[(measure, project s, bare is, bare s)]`` and what ``then(bench,
    coop_id)`` returned (bench/run.py times hledger on the same ledger that way) before the database
    is thrown away."""
    bench = lp.build_database(kind)
    try:
        coop_id = lp.create_coops(bench, 1, "stmt")[0]
        accounts = sorted(lp.account_ids(bench, coop_id).values())
        load = lp.bulk_load(bench, [lp.CoopLoad(coop_id, lines, accounts)], 25_000)
        print(f"[{kind}] loaded {load.lines:,} lines / {load.entries:,} entries in {load.seconds:.0f} s", file=sys.stderr)
        with bench.app.app_context(), bench.app.test_request_context():
            coop = db.session.get(Cooperative, coop_id)
            as_of = (coop_id, lp.date_param(kind, YEAR.date_to))
            period = (coop_id, lp.date_param(kind, YEAR.date_from), lp.date_param(kind, YEAR.date_to))
            rows = []
            t_bare = best(repeats, lambda: bare(kind, lp.BARE_AGGREGATE_AS_OF, as_of))
            t_bs = best(repeats, lambda: builders.balance_sheet(coop, YEAR))
            rows.append(("Neraca (balance_sheet)", t_bs, "bare SUM … GROUP BY account_id ≤ as_of", t_bare))
            period_sql = ("SELECT account_id, SUM(debit), SUM(credit) FROM journal_line WHERE cooperative_id = ? "
                          "AND entry_date >= ? AND entry_date <= ? GROUP BY account_id")
            t_bare_p = best(repeats, lambda: bare(kind, period_sql, period))
            t_phu = best(repeats, lambda: builders.income_statement(coop, YEAR))
            rows.append(("PHU (income_statement)", t_phu, "bare period SUM … GROUP BY account_id", t_bare_p))
            params = {"period": "year", "year": str(lp.YEAR)}
            statements = []

            def pack() -> None:
                statements[:] = documents.pack_statements(coop, params)
                render.pack_pdf(coop, statements)

            t_pack = best(1, pack)
            html = render.document_html(coop, statements, pack=True)
            t_weasy = best(1, lambda: HTML(string=html, base_url=pdf.REPORTS_DIR.as_uri() + "/",
                                           url_fetcher=pdf.LocalFilesFetcher()).write_pdf(stylesheets=[render._stylesheet()]))
            rows.append(("RAT pack PDF (build + HTML + PDF)", t_pack, "bare WeasyPrint of the same HTML", t_weasy))
            db.session.remove()
        extra = then(bench, coop_id) if then else None
        return rows, extra
    finally:
        bench.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows, _ = run(args.db, args.lines, args.repeats)
    print(f"\n[{args.db}] {args.lines:,} journal lines in one cooperative")
    print(f"{'measure':<36} {'project':>10} {'bare':>10} {'ratio':>7}  bare is")
    for name, project, bare_name, bare_s in rows:
        ratio = Decimal(str(project)) / Decimal(str(bare_s)) if bare_s else Decimal(0)
        print(f"{name:<36} {project * 1000:>8.1f}ms {bare_s * 1000:>8.1f}ms {ratio:>6.2f}×  {bare_name}")

if __name__ == "__main__":
    main()
