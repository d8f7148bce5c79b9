"""SHU benchmarks: computing SHU for 10,000 members against the bare SQL of its bases, and the members'
slips as one PDF against one WeasyPrint document per member.

Two aims from issue #7:

* **Computation** — the SHU of a closed year for N members (default 10,000) with the bases read from
  the ledger: ``shu.services.member_bases`` (eligible members, savings at year end, net participation
  — SQL aggregates) + ``shu.compute.compute_shu`` (the pure allocation) should stay within 3× of the
  bare ``SELECT … GROUP BY member_id`` queries for the same bases through the driver, in the same run.
  ``compute_run`` (the whole draft: the above plus storing one share row per member, one commit) is
  timed beside them.
* **Slips** — 1,000 slips rendered as one PDF (``shu.documents.slips_pdf``: one HTML document per
  chunk of 100 with the slip style sheet parsed once, pages joined) should be at least 3× faster than
  1,000 separate plain WeasyPrint documents (``pdf.render_pdf`` of the same template and style sheet
  with one slip each, one process). The bulk PDF is timed in one process and in ``--processes``
  worker processes (default 2, what ``koppontren shu slips`` uses on a 2-CPU machine); the baseline
  is always one process. Wall time and this process's CPU time are printed (the workers' CPU is not
  in the parent's).

The data are bulk-inserted (executemany on SQLite, COPY on PostgreSQL) into a fresh database migrated
with Alembic: N members joined 1 January, each with pokok and 12 months of wajib and ~6 member
purchases on 4101 during the year, one entry per 200 member lines balanced on Kas; the year is then
closed with ``ledger.periods.close_year`` (the real closing entry). The bulk rows skip the hash chain
(``koppontren check`` would flag it; the benchmark database is thrown away).

    .venv/bin/python bench/shu.py --db sqlite
    .venv/bin/python bench/shu.py --db postgresql --members 10000 --slips 1000
    .venv/bin/python bench/shu.py --db sqlite --skip-compute --slips 1000 --processes 2
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_post import (
    ENTRY_COLUMNS,
    LINE_COLUMNS,
    build_database,
    code_version,
    date_param,
    for_driver,
    progress,
    progress_done,
    utc_now_param,
)
from sqlalchemy import select

from koppontren.auth.services import create_user
from koppontren.extensions import db
from koppontren.ledger import chart, periods, queries
from koppontren.ledger.models import Account
from koppontren.pdf import render_pdf
from koppontren.shu import documents, services
from koppontren.shu.compute import Figures, compute_shu
from koppontren.tenancy.models import Cooperative
from koppontren.tenancy.services import create_cooperative

YEAR = 2025
LINES_PER_ENTRY = 200
MEMBER_COLUMNS = ("id", "cooperative_id", "number", "name", "category", "join_date", "status", "created_at", "updated_at")

BARE_SAVINGS = ("SELECT member_id, SUM(credit - debit) FROM journal_line WHERE cooperative_id = ? AND member_id IS NOT NULL "
                "AND account_id IN (?, ?) AND entry_date <= ? GROUP BY member_id")
BARE_USAHA = ("SELECT member_id, account_id, SUM(credit - debit) FROM journal_line WHERE cooperative_id = ? AND member_id IS NOT NULL "
              "AND account_id IN ({ids}) AND entry_date >= ? AND entry_date <= ? GROUP BY member_id, account_id")
BARE_MEMBERS = "SELECT id, number, name FROM member WHERE cooperative_id = ? AND join_date <= ? AND status = 'aktif' ORDER BY number"


def load(bench, members: int) -> int:
    """The cooperative, its members and the year's lines; then the year-end close. Returns the coop id."""
    rng = random.Random(7)
    with bench.app.app_context():
        coop = create_cooperative("bench-shu", "Kopontren Bench SHU", books_start=date(YEAR, 1, 1))  # the year's lines start then
        coop_id = coop.id
        ids = {a.role: a.id for a in db.session.scalars(select(Account).where(Account.cooperative_id == coop_id, Account.role.is_not(None)))}
        db.session.commit()
        raw = db.engine.raw_connection()
        try:
            conn = raw.driver_connection
            cur = conn.cursor()
            kind = bench.kind
            now = utc_now_param(kind)
            if kind == "sqlite":
                cur.execute("BEGIN IMMEDIATE")
            cur.execute("SELECT coalesce(max(id), 0) FROM member")
            first_member = cur.fetchone()[0] + 1
            member_rows = [(first_member + i, coop_id, f"A-{i + 1:05d}", f"Anggota {i + 1}", "santri", date_param(kind, date(YEAR, 1, 1)),
                            "aktif", now, now) for i in range(members)]
            _insert(kind, cur, "member", MEMBER_COLUMNS, member_rows)
            # member lines: (day, account id, member id, credit sen)
            lines = []
            for i in range(members):
                mid = first_member + i
                lines.append((date(YEAR, 1, 1), ids["savings_principal"], mid, 100_000_00))
                for month in range(1, 13):
                    lines.append((date(YEAR, month, 1), ids["savings_mandatory"], mid, 10_000_00))
                for _ in range(rng.randint(0, 12)):
                    lines.append((date(YEAR, rng.randint(1, 12), rng.randint(1, 28)), ids["sales_shop_member"], mid,
                                  rng.randint(1, 500) * 1_000_00))
            lines.sort(key=lambda x: x[0])
            cur.execute("SELECT coalesce(max(id), 0) FROM journal_entry")
            entry_id = cur.fetchone()[0]
            cur.execute("SELECT coalesce(max(id), 0) FROM journal_line")
            line_id = cur.fetchone()[0]
            entries, jlines = [], []
            seq = 0
            for start in range(0, len(lines), LINES_PER_ENTRY):
                chunk = lines[start:start + LINES_PER_ENTRY]
                day = chunk[-1][0]
                entry_id += 1
                seq += 1
                total = sum(c for *_, c in chunk)
                entries.append((entry_id, coop_id, "JU", YEAR, seq, f"JU/{YEAR}/{seq:06d}", date_param(kind, day), f"Bench {seq}",
                                "bench", total, now, "0" * 64, "0" * 64))
                line_id += 1
                jlines.append((line_id, coop_id, entry_id, 1, ids["cash"], date_param(kind, day), total, 0, None))
                for n, (_d, account_id, mid, credit) in enumerate(chunk, start=2):
                    line_id += 1
                    jlines.append((line_id, coop_id, entry_id, n, account_id, date_param(kind, day), 0, credit, mid))
            _insert(kind, cur, "journal_entry", ENTRY_COLUMNS, entries)
            _insert(kind, cur, "journal_line", (*LINE_COLUMNS, "member_id"), jlines)
            cur.execute(for_driver(kind, "INSERT INTO voucher_counter (cooperative_id, journal_type, fiscal_year, last_sequence) VALUES (?, 'JU', ?, ?)"),
                        (coop_id, YEAR, seq))
            if kind == "postgresql":
                for table in ("member", "journal_entry", "journal_line"):
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
            conn.commit() if kind == "postgresql" else cur.execute("COMMIT")
            if kind == "postgresql":
                conn.autocommit = True
                cur.execute("ANALYZE")
                conn.autocommit = False
            cur.close()
        finally:
            raw.close()
        print(f"[{bench.kind}] loaded {members:,} members, {len(jlines):,} journal lines", file=sys.stderr)
        periods.close_year(db.session.get(Cooperative, coop_id), YEAR, actor=None)
    return coop_id


def _insert(kind, cur, table, columns, rows) -> None:
    if kind == "sqlite":
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)  # noqa: S608
    else:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def best_of(repeats: int, fn) -> tuple[float, object]:
    best, value = None, None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, value


def bench_compute(bench, coop_id: int, repeats: int) -> dict:
    with bench.app.app_context():
        coop = db.session.get(Cooperative, coop_id)
        first, last = date(YEAR, 1, 1), date(YEAR, 12, 31)
        roles = chart.accounts_by_role(coop, ["savings_principal", "savings_mandatory"])
        participation = [a.id for a in chart.accounts(coop) if a.statement_section == "partisipasi_anggota" and a.postable]
        kind = bench.kind
        raw = db.engine.raw_connection()

        def bare():
            cur = raw.driver_connection.cursor()
            cur.execute(for_driver(kind, BARE_MEMBERS), (coop_id, date_param(kind, last)))
            m = cur.fetchall()
            cur.execute(for_driver(kind, BARE_SAVINGS), (coop_id, roles["savings_principal"].id, roles["savings_mandatory"].id,
                                                         date_param(kind, last)))
            s = cur.fetchall()
            cur.execute(for_driver(kind, BARE_USAHA.format(ids=", ".join("?" * len(participation)))),
                        (coop_id, *participation, date_param(kind, first), date_param(kind, last)))
            u = cur.fetchall()
            cur.close()
            raw.driver_connection.rollback()
            return len(m), len(s), len(u)

        rules = services.rules_of(coop, YEAR).rules
        figures = services.year_figures(coop, YEAR)

        def project():
            bases = services.member_bases(coop, YEAR, rules)
            result = compute_shu(Figures(figures.shu, unit=100), bases, rules)
            db.session.rollback()
            return result

        bare()
        project()  # warm-up
        bare_s, counts = best_of(repeats, bare)
        project_s, result = best_of(repeats, project)
        run_s, _ = best_of(repeats, lambda: services.compute_run(coop, YEAR, actor=None))
        raw.close()
        members = len(result.members)
        assert counts[0] == members and sum(p.amount for p in result.pools) == figures.shu
        approver = create_user("bench.ketua", "Ketua", "bench-password-123")
        start = time.perf_counter()
        run = services.approve_run(coop, YEAR, day=date(YEAR + 1, 3, 15), decision="01/RAT", actor=approver)
        approve_s = time.perf_counter() - start
        lines = len(queries.get_entry(coop, run.entry_id).lines)
        return {"kind": kind, "members": members, "bare": bare_s, "project": project_s, "run": run_s, "approve": approve_s,
                "approve_lines": lines}


def bench_slips(bench, coop_id: int, slips: int, processes: int) -> dict:
    """The bulk PDF in one process and in ``processes`` worker processes, then the baseline: one
    plain WeasyPrint document per member (``render_pdf`` of the same template and style sheet, which
    the document links and WeasyPrint parses each time), one process. Wall and this process's CPU."""
    with bench.app.app_context(), bench.app.test_request_context():
        coop = db.session.get(Cooperative, coop_id)
        run = services.get_run(coop, YEAR)
        shares = services.shares_of(coop, run)[:slips]
        ids = [s.member_id for s in shares]
        documents.slips_pdf(coop, run, ids[:10])  # warm-up: fonts, templates
        out = {"kind": bench.kind, "slips": len(ids), "processes": processes}
        for label, n in (("bulk1", 1), ("bulkn", processes)):
            if label == "bulkn" and n == 1:
                continue
            done = 0

            def tick(k, label=label):
                nonlocal done
                done += k
                progress(f"[{bench.kind}] bulk slips ({label}) {done}/{len(ids)}")

            start, cpu = time.perf_counter(), time.process_time()
            pdf = documents.slips_pdf(coop, run, ids, progress=tick, processes=n)
            out[label] = time.perf_counter() - start
            out[label + "_cpu"] = time.process_time() - cpu
            out[label + "_bytes"] = len(pdf)
            progress_done()
        start, cpu = time.perf_counter(), time.process_time()
        total_bytes = 0
        for n, share in enumerate(shares, start=1):
            pdf = render_pdf("shu/slips.html", coop=coop, run=run, slips=[documents.slip_of(run, share)],
                             method_labels=services.METHOD_LABELS)
            total_bytes += len(pdf)
            if n % 25 == 0:
                progress(f"[{bench.kind}] one document per member {n}/{len(shares)}")
        out["single"] = time.perf_counter() - start
        out["single_cpu"] = time.process_time() - cpu
        out["single_bytes"] = total_bytes
        progress_done()
        return out


def run(kind: str, members: int, slips: int, repeats: int = 3, then=None, processes: int = 1,
        skip_compute: bool = False) -> tuple[dict | None, dict | None, object]:
    """One fresh database: the computation's figures and (``slips`` > 0) the slips' figures, as dicts,
    and what ``then(bench, coop_id)`` returned before the database is thrown away (bench/run.py calls
    this, and times hledger on the same ledger that way)."""
    bench = build_database(kind)
    try:
        coop_id = load(bench, members)
        if skip_compute:  # the slips need an approved-or-draft run; compute it once, untimed
            with bench.app.app_context():
                services.compute_run(db.session.get(Cooperative, coop_id), YEAR, actor=None)
            computed = None
        else:
            computed = bench_compute(bench, coop_id, repeats)
        slipped = bench_slips(bench, coop_id, slips, processes) if slips else None
        return computed, slipped, (then(bench, coop_id) if then else None)
    finally:
        bench.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--slips", type=int, default=1_000, help="slips rendered each way (0: skip)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2, help="worker processes of the second bulk run (1: only one bulk run)")
    parser.add_argument("--skip-compute", action="store_true", help="only the slips (the run is computed once, untimed)")
    args = parser.parse_args(argv)
    code, started = code_version(), datetime.now(UTC)
    computed, slips = [], []
    for kind in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        compute, slip, _ = run(kind, args.members, args.slips, args.repeats, processes=args.processes,
                               skip_compute=args.skip_compute)
        if compute:
            computed.append(compute)
        if slip:
            slips.append(slip)
    import os
    load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# bench/shu.py {' '.join(sys.argv[1:] if argv is None else argv)}\n")
    print(f"- ran {started:%Y-%m-%d %H:%M}–{datetime.now(UTC):%H:%M} UTC; load average at the end {load_avg}; nproc {os.cpu_count()}")
    print(f"- code at the start: {code}\n")
    if computed:
        print("| database | members | bare SQL of the bases | bases + compute_shu | ratio (aim ≤ 3×) | compute_run (draft stored, commit) "
              "| ratio | approve_run (one allocation entry) |")
        print("|---|---|---|---|---|---|---|---|")
    for r in computed:
        print(f"| {r['kind']} | {r['members']:,} | {r['bare'] * 1000:.0f} ms | {r['project'] * 1000:.0f} ms | {r['project'] / r['bare']:.2f}× "
              f"| {r['run'] * 1000:.0f} ms | {r['run'] / r['bare']:.2f}× | {r['approve'] * 1000:.0f} ms, {r['approve_lines']:,} lines |")
    if slips:
        print("\n| database | slips | one PDF, 1 process (wall / CPU) | one PDF, N processes (wall) | one WeasyPrint document per member, "
              "1 process (wall / CPU) | speed-up 1 process (wall; CPU) | speed-up N processes (wall) | bytes one PDF (1 / N) / sum of single |")
        print("|---|---|---|---|---|---|---|---|")
        for r in slips:
            n = r["processes"]
            multi = f"{r['bulkn']:.1f} s (N = {n})" if "bulkn" in r else "–"
            multi_ratio = f"{r['single'] / r['bulkn']:.2f}×" if "bulkn" in r else "–"
            print(f"| {r['kind']} | {r['slips']:,} | {r['bulk1']:.1f} s / {r['bulk1_cpu']:.1f} s | {multi} "
                  f"| {r['single']:.1f} s / {r['single_cpu']:.1f} s | {r['single'] / r['bulk1']:.2f}×; {r['single_cpu'] / r['bulk1_cpu']:.2f}× "
                  f"| {multi_ratio} | {r['bulk1_bytes']:,} / {r.get('bulkn_bytes', 0):,} / {r['single_bytes']:,} |")


if __name__ == "__main__":
    main()
