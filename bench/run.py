"""The benchmark suite: every benchmark of bench/, each figure of the project beside its bare baseline
measured in the same run, the ratio, on SQLite and PostgreSQL, and one summary table at the end.

DESIGN.md: "speed is measured, not asserted". Nothing here fails on a time: the run fails (exit 1)
only when a benchmark crashes or one of its correctness checks fails — the two posting paths wrote
different books, a trial balance differs from the bare aggregate, hledger disagrees with the
project on an account's balance, the load test had an error or ``koppontren check`` found a problem.

What runs, for each database (details in bench/README.md):

* ``ledger_post.py`` — ``post_entry`` vs a raw SQL insert of the same entry, one commit each; the
  trial balance vs the bare ``SUM … GROUP BY account_id``;
* ``statements.py`` — Neraca and PHU vs their bare aggregates, the RAT pack PDF vs a bare WeasyPrint
  render of the same HTML; on the same ledger, the peer: ``hledger -f FILE balance`` on the file
  ``koppontren export hledger`` writes, against the project's trial balance — and both must give the
  same balance on every account (checked again on the SHU ledger, which has members and a closed year);
* ``pos_sale.py`` — a POS sale over HTTP vs a bare Flask endpoint on the same gunicorn;
* ``shu.py`` — SHU bases + computation vs the bare queries, bulk slips vs one document per member;
* ``tenant_cost.py`` — when present: one cooperative's statements alone vs among many;
* ``load.py`` — PostgreSQL only: 20 cashiers against gunicorn, zero errors and a clean check afterwards
  (no baseline: it is there for its correctness check).

``--quick`` uses small sizes (about 2–3 minutes for ``--db both`` on a 2-core machine); CI runs that
once so the benchmarks cannot rot. Without it the sizes are those the benchmarks' own defaults use
for RESULTS.md (about 25 minutes for ``--db both``).

    .venv/bin/python bench/run.py --quick --db both
    .venv/bin/python bench/run.py --db both --markdown /tmp/bench.md
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import ledger_post as lp  # noqa: E402
import load as load_bench  # noqa: E402
import pos_sale  # noqa: E402
import shu as shu_bench  # noqa: E402
import statements as statements_bench  # noqa: E402

from koppontren.extensions import db  # noqa: E402
from koppontren.ledger import queries  # noqa: E402
from koppontren.tenancy.models import Cooperative  # noqa: E402

SIZES = {
    # quick posting: 1,000 entries per path, not fewer — SQLite's WAL checkpoints (one per ~60 commits,
    # ~4 ms each) land unevenly on the two paths of a short run and swing its ratio by ±10 points
    "quick": {"entries": 1_000, "warmup": 20, "history_lines": 5_000, "tb_lines": 30_000, "tb_other_lines": 3_000, "tb_coops": 3,
              "repeats": 2, "statement_lines": 8_000, "pos_sales": 100, "shu_members": 200, "shu_slips": 20,
              "load_seconds": 15, "load_cashiers": 20},
    "full": {"entries": 2_000, "warmup": 50, "history_lines": 100_000, "tb_lines": 1_000_000, "tb_other_lines": 50_000, "tb_coops": 10,
             "repeats": 3, "statement_lines": 200_000, "pos_sales": 500, "shu_members": 10_000, "shu_slips": 1_000,
             "load_seconds": 60, "load_cashiers": 20},
}
HLEDGER = shutil.which("hledger")


@dataclass
class Row:
    """One line of the summary: the project's figure, its baseline's, and project ÷ baseline."""

    kind: str
    benchmark: str
    project: str  # what the project did
    project_value: str
    baseline: str
    baseline_value: str
    ratio: str
    aim: str


class CheckFailedError(Exception):
    """A benchmark's correctness check failed (as opposed to a crash)."""


def say(message: str) -> None:
    print(message, flush=True)


def ms(seconds: float | Decimal) -> str:
    return f"{float(seconds) * 1000:,.1f} ms"  # display of a duration, not money


def ratio(project: float | Decimal, baseline: float | Decimal) -> str:
    if not baseline:
        return "—"
    value = float(project) / float(baseline)
    return f"{value:.2f}×" if value >= 0.1 else f"{value:.3f}×"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


# --- the benchmarks -------------------------------------------------------------------------------

def ledger_posting(kind: str, size: dict) -> list[Row]:
    r = lp.bench_posting(kind, size["entries"], size["warmup"], None, size["history_lines"], stats=True)
    project, raw = r.project.wall / r.entries, r.raw.wall / r.entries
    say(f"[{kind}] posting: post_entry {ms(project)}/entry, raw SQL {ms(raw)}/entry, {r.ratio * 100:.1f} % of raw throughput")
    return [Row(kind, f"ledger posting, {r.entries:,} entries of 3 lines, one commit each", "post_entry", f"{ms(project)}/entry",
                "raw SQL INSERTs", f"{ms(raw)}/entry", ratio(project, raw),
                f"≤ 2.5× (≥ 40 % of raw throughput): {verdict(r.ratio >= lp.POSTING_AIM)}")]


def trial_balance(kind: str, size: dict) -> list[Row]:
    r = lp.bench_trial_balance(kind, size["tb_lines"], size["tb_other_lines"], size["tb_coops"], 25_000, size["repeats"], False)
    rows = []
    for t in r.timings:
        say(f"[{kind}] trial balance, {t.coop} cooperative ({t.lines:,} lines), {t.query}: {ms(t.project)} vs bare {ms(t.bare)}")
        rows.append(Row(kind, f"trial balance, {t.lines:,} lines ({t.coop} of {size['tb_coops']} coops), {t.query}", "trial_balance",
                        ms(t.project), "bare SUM … GROUP BY", ms(t.bare), ratio(t.project, t.bare),
                        f"≤ 2×: {verdict(t.ratio <= lp.TRIAL_BALANCE_AIM)}"))
    return rows


def _export_hledger(bench: lp.BenchDatabase, slug: str, folder: Path) -> tuple[Path, float]:
    """``koppontren export hledger --coop SLUG --out FILE``, the console script, on the bench database."""
    path = folder / f"{slug}.journal"
    env = dict(os.environ, KOPPONTREN_DATABASE_URL=bench.url, KOPPONTREN_INSTANCE_PATH=str(folder / "instance"),
               KOPPONTREN_CONFIG="development")
    start = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("koppontren")), "export", "hledger", "--coop", slug, "--out", str(path)],  # noqa: S603
                          env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode:
        sys.stderr.write(done.stderr)
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise RuntimeError(f"koppontren export hledger on {bench.url} failed ({done.returncode}): {last}")
    return path, time.perf_counter() - start


def _hledger_balances(path: Path) -> tuple[float, dict[str, Decimal]]:
    start = time.perf_counter()
    done = subprocess.run([HLEDGER, "-f", str(path), "balance", "--flat", "--no-total", "-O", "csv", "--empty"],  # noqa: S603
                          capture_output=True, text=True, check=True, timeout=1800)
    elapsed = time.perf_counter() - start
    theirs = {}
    for row in list(csv.reader(io.StringIO(done.stdout)))[1:]:
        code = row[0].rsplit(":", 1)[-1].split(" ", 1)[0]
        theirs[code] = Decimal(row[1].replace("IDR", "").replace(",", "").strip() or "0")
    return elapsed, theirs


def _project_balances(bench: lp.BenchDatabase, coop_id: int) -> tuple[float, dict[str, Decimal]]:
    """The trial balance as a GET request runs it (its own session), timed; net debit per account code."""
    with bench.app.test_request_context("/", method="GET"):
        coop = db.session.get(Cooperative, coop_id)
        start = time.perf_counter()
        rows = queries.trial_balance(coop)
        elapsed = time.perf_counter() - start
        ours = {r.account.code: Decimal(r.net_debit) / 100 for r in rows}
        db.session.remove()
    return elapsed, ours


def hledger_peer(kind: str, label: str, repeats: int) -> Callable[[lp.BenchDatabase, int], Row | None]:
    """A ``then`` hook for statements.run / shu.run: export the cooperative, time hledger's balance
    against the project's trial balance (best of ``repeats`` each, after a warm-up) and check that they
    agree on every account."""

    def peer(bench: lp.BenchDatabase, coop_id: int) -> Row | None:
        if HLEDGER is None:
            say(f"[{kind}] hledger is not installed: the peer comparison is skipped")
            return None
        with bench.app.app_context():
            coop = db.session.get(Cooperative, coop_id)
            slug = coop.slug
            lines = db.session.execute(db.text("SELECT count(*) FROM journal_line WHERE cooperative_id = :c"), {"c": coop_id}).scalar_one()
            db.session.remove()
        folder = Path(tempfile.mkdtemp(prefix="koppontren-hledger-"))
        try:
            path, export_s = _export_hledger(bench, slug, folder)
            with bench.app.app_context():
                _project_balances(bench, coop_id)
                project_s, ours = min((_project_balances(bench, coop_id) for _ in range(repeats)), key=lambda x: x[0])
            hledger_s, theirs = min((_hledger_balances(path) for _ in range(max(1, repeats))), key=lambda x: x[0])
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        ours_nz = {c: v for c, v in ours.items() if v}
        theirs_nz = {c: v for c, v in theirs.items() if v}
        if ours_nz != theirs_nz or not ours_nz:
            differ = sorted(set(ours_nz) ^ set(theirs_nz) | {c for c in ours_nz if theirs_nz.get(c) not in (None, ours_nz[c])})
            raise CheckFailedError(f"[{kind}] hledger and the trial balance disagree on {label}: accounts {differ[:10]}")
        say(f"[{kind}] hledger on {label} ({lines:,} lines): hledger balance {ms(hledger_s)}, trial_balance {ms(project_s)}, "
            f"export {export_s:.1f} s; {len(ours_nz)} account balances agree")
        return Row(kind, f"hledger peer, {label} ({lines:,} lines; export {export_s:.1f} s)", "trial_balance", ms(project_s),
                   "hledger -f FILE balance", ms(hledger_s), ratio(project_s, hledger_s),
                   f"same balances: yes ({len(ours_nz)} accounts)")

    return peer


def statements(kind: str, size: dict) -> list[Row]:
    lines = size["statement_lines"]
    rows, peer = statements_bench.run(kind, lines, size["repeats"], then=hledger_peer(kind, "the statements ledger", size["repeats"]))
    out = []
    for name, project, bare_name, bare_s in rows:
        say(f"[{kind}] {name}: {ms(project)} vs {bare_name} {ms(bare_s)}")
        aim = "≤ 2×: " + verdict(project <= 2 * bare_s) if "PDF" not in name else "(the PDF engine's share)"
        out.append(Row(kind, f"statements, {lines:,} lines: {name.split(' (')[0]}", name, ms(project), bare_name, ms(bare_s),
                       ratio(project, bare_s), aim))
    if peer:
        out.append(peer)
    return out


def pos(kind: str, size: dict) -> list[Row]:
    r = pos_sale.run(kind, sales=size["pos_sales"], statements=0)
    sale, ping = pos_sale.percentiles(r["sale_ms"]), pos_sale.percentiles(r["ping_ms"])
    say(f"[{kind}] POS sale over HTTP p50/p99 {sale['p50']:.2f}/{sale['p99']:.2f} ms, bare endpoint {ping['p50']:.2f}/{ping['p99']:.2f} ms")
    return [Row(kind, f"POS sale of 5 lines over HTTP, {r['sales']:,} sales, p99", "POST /<coop>/shop/pos/sales", f"{sale['p99']:.2f} ms",
                "GET /bench/ping (bare Flask)", f"{ping['p99']:.2f} ms", f"{r['p99_ratio']:.2f}×", f"< 5×: {verdict(r['p99_ratio'] < 5)}"),
            Row(kind, f"POS sale of 5 lines over HTTP, {r['sales']:,} sales, p50", "POST /<coop>/shop/pos/sales", f"{sale['p50']:.2f} ms",
                "GET /bench/ping (bare Flask)", f"{ping['p50']:.2f} ms", f"{sale['p50'] / ping['p50']:.2f}×", "")]


def shu(kind: str, size: dict) -> list[Row]:
    rows: list[Row] = []
    compute, slips, peer = shu_bench.run(kind, size["shu_members"], size["shu_slips"], size["repeats"], processes=2,
                                         then=hledger_peer(kind, "the SHU ledger (members, closed year)", size["repeats"]))
    say(f"[{kind}] SHU for {compute['members']:,} members: bases + compute_shu {ms(compute['project'])} vs bare queries {ms(compute['bare'])}")
    rows.append(Row(kind, f"SHU of {compute['members']:,} members", "member_bases + compute_shu", ms(compute["project"]),
                    "bare SQL of the bases", ms(compute["bare"]), ratio(compute["project"], compute["bare"]),
                    f"≤ 3×: {verdict(compute['project'] <= 3 * compute['bare'])}"))
    if slips:
        say(f"[{kind}] {slips['slips']:,} SHU slips: one PDF {slips['bulk1']:.2f} s vs one document per member {slips['single']:.2f} s")
        rows.append(Row(kind, f"SHU slips, {slips['slips']:,} members, 1 process", "slips_pdf (one PDF)", f"{slips['bulk1']:.2f} s",
                        "one WeasyPrint document per member", f"{slips['single']:.2f} s", ratio(slips["bulk1"], slips["single"]),
                        f"≤ 0.33× (bulk ≥ 3× faster): {verdict(slips['single'] >= 3 * slips['bulk1'])}"))
        if "bulkn" in slips:
            rows.append(Row(kind, f"SHU slips, {slips['slips']:,} members, {slips['processes']} processes", "slips_pdf (one PDF)",
                            f"{slips['bulkn']:.2f} s", "one WeasyPrint document per member, 1 process", f"{slips['single']:.2f} s",
                            ratio(slips["bulkn"], slips["single"]), f"≤ 0.33× (bulk ≥ 3× faster): {verdict(slips['single'] >= 3 * slips['bulkn'])}"))
    if peer:
        rows.append(peer)
    return rows


def tenant_cost(kind: str, size: dict, quick: bool) -> list[Row]:
    """bench/tenant_cost.py (written beside this runner) when it exists: its ``main(argv)`` prints its
    figures; the ratio is read from what it returns (a number, or a dict / object with ``ratio``) or else
    from the last "N.NN×" it prints."""
    try:
        module = importlib.import_module("tenant_cost")
    except ModuleNotFoundError as err:
        if err.name != "tenant_cost":
            raise  # the file is there but does not import: a crash, not a skip
        say(f"[{kind}] bench/tenant_cost.py is not there: tenant isolation of cost skipped")
        return []
    argv = ["--db", kind] + (["--quick"] if quick else [])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = module.main(argv)
    text = out.getvalue()
    sys.stdout.write(text)
    if isinstance(result, dict) and isinstance(result.get(kind), dict):
        result = result[kind]  # tenant_cost.main returns its figures per database
    value = result if isinstance(result, int | float | Decimal) else (
        result.get("ratio") if isinstance(result, dict) else getattr(result, "ratio", None))
    if value is None:
        import re

        found = re.findall(r"(\d+(?:\.\d+)?)\s*×", text)
        value = Decimal(found[-1]) if found else None
    shown = f"{Decimal(str(value)):.2f}×" if value is not None else "see its output"
    ok = value is not None and Decimal(str(value)) <= Decimal("1.3")
    return [Row(kind, "tenant isolation of cost (bench/tenant_cost.py)", "statements, one coop among many", "(see its output)",
                "the same coop alone", "(see its output)", shown, f"≤ 1.3×: {verdict(ok)}")]


def load(kind: str, size: dict) -> list[Row]:
    r = load_bench.run(kind, cashiers=size["load_cashiers"], seconds=size["load_seconds"])
    clean = load_bench.report(r)
    if not clean:
        raise CheckFailedError(f"[{kind}] load test: {len(r['errors'])} errors, {len(r['problems'])} problems after the load, "
                          f"{r['ok_sales']} sales")
    p = pos_sale.percentiles([m for outcome, what, m, _ in r["results"] if what == "sale" and outcome == "ok"])
    return [Row(kind, f"load: {r['cashiers']} cashiers, {r['seconds']} s, gunicorn {r['workers']} workers", "sales/s (p99)",
                f"{r['ok_sales'] / r['elapsed']:,.1f} ({p['p99']:.0f} ms)", "—", "—", "—",
                "0 errors, check clean: yes")]


# --- the runner -----------------------------------------------------------------------------------

BENCHMARKS: dict[str, Callable[..., list[Row]]] = {
    "posting": ledger_posting, "trial-balance": trial_balance, "statements": statements, "pos": pos, "shu": shu,
    "tenant-cost": tenant_cost, "load": load,
}


def summary(rows: list[Row], failures: list[str], header: str) -> str:
    out = [header, "", "| database | benchmark | project | figure | baseline | figure | project ÷ baseline | aim |",
           "|---|---|---|---:|---|---:|---:|---|"]
    for r in rows:
        out.append(f"| {r.kind} | {r.benchmark} | {r.project} | {r.project_value} | {r.baseline} | {r.baseline_value} | {r.ratio} | {r.aim} |")
    if failures:
        out += ["", "**Failed:**", *[f"- {f}" for f in failures]]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="small sizes: the whole suite in a few minutes (CI)")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only these benchmarks (repeatable)")
    parser.add_argument("--require-hledger", action="store_true", help="a missing hledger is a failure, not a skip (CI)")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the summary table to FILE as Markdown")
    args = parser.parse_args(argv)
    size = SIZES["quick" if args.quick else "full"]
    if args.require_hledger and HLEDGER is None:
        parser.error("hledger is not installed (Debian package hledger)")
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    names = args.only or list(BENCHMARKS)
    code, started, clock = lp.code_version(), datetime.now(UTC), time.perf_counter()
    rows: list[Row] = []
    failures: list[str] = []
    for kind in kinds:
        for name in names:
            if name == "load" and kind != "postgresql":
                continue  # the load test is about PostgreSQL (SQLite serialises writers by design)
            say(f"\n== [{kind}] {name}")
            start = time.perf_counter()
            try:
                fn = BENCHMARKS[name]
                rows += fn(kind, size, args.quick) if name == "tenant-cost" else fn(kind, size)
            except (Exception, SystemExit) as exc:  # one benchmark's failure must not hide the others' figures
                traceback.print_exc()
                what = "check failed" if isinstance(exc, CheckFailedError | SystemExit) else "crashed"
                message = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]  # the traceback is above
                failures.append(f"[{kind}] {name} {what}: {type(exc).__name__}: {message}")
            say(f"== [{kind}] {name}: {time.perf_counter() - start:.0f} s")
    elapsed = time.perf_counter() - clock
    load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    command = "bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    header = (f"## `{command}`\n\n- ran {started:%Y-%m-%d %H:%M} UTC for {elapsed / 60:.1f} min; load average at the end {load_avg}; "
              f"nproc {os.cpu_count()}; {os.uname().machine}\n- code: {code}\n- times are wall clock; ratios are project ÷ baseline "
              "of the same run (below 1 means the project is faster)")
    table = summary(rows, failures, header)
    say("\n" + table)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table, encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
