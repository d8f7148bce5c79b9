"""Load test: many cashiers at once against gunicorn, for a bounded time, on 127.0.0.1 only — and
proof afterwards that nothing was lost or doubled (performance §5; reliability "load without loss").

Set-up on a fresh database (PostgreSQL ``koppontren_bench_load`` by default, or SQLite in a temp
folder): one cooperative opened with the capital that pays for its stock (the ledger refuses to take
cash below zero), ``--cashiers`` cashier accounts, 40 products (a few of them scarce, so that cashiers
race for the last units), 60 members with a credit limit and some sukarela.

Then ``--processes`` client processes (default 2, so the races are between processes, not only
threads) each run their share of the cashiers as threads for ``--seconds``; every cashier keeps one
keep-alive connection and loops: a POS sale of 1–4 lines (cash, or on credit to a random member), and
every fifth turn a sukarela deposit or withdrawal for a random member through the savings page.
Expected refusals (out of stock, over the credit limit, a withdrawal larger than the balance) are
counted as refusals; anything else that is not a success — a 5xx, a dropped connection, a timeout — is
an error. The aim is zero errors.

Afterwards, in this process: ``koppontren check`` on the cooperative (balanced entries, gapless
vouchers, hash chain, subledgers = control accounts, inventory = stock values, stock = Σ moves),
every product's quantity = its purchases − its sales, and every member's sukarela in the ledger =
Σ of its savings transactions, never below zero.

    .venv/bin/python bench/load.py --db postgresql --cashiers 20 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pos_sale import Client, free_port, log, open_books, percentiles, stop  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "koppontren_bench_load"
PASSWORD = "bench-kasir-2026"  # noqa: S105 - a throw-away database
SLUG = "beban"
SCARCE = 4  # products with little stock: cashiers race for the last units
PRODUCTS = 40
MEMBERS = 60


def database_url(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'load.db'}"
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_DB}"))
    engine.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"


def set_up(url: str, cashiers: int) -> dict:
    from flask_migrate import upgrade

    from koppontren import create_app
    from koppontren.auth import services as auth
    from koppontren.clock import today
    from koppontren.extensions import db
    from koppontren.ledger import chart
    from koppontren.members import services as members
    from koppontren.savings import services as savings
    from koppontren.shop import services as shop
    from koppontren.tenancy.services import create_cooperative

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        coop = create_cooperative(SLUG, "Koperasi Uji Beban")
        for i in range(cashiers):
            auth.grant_role(coop, auth.create_user(f"kasir{i:02d}", f"Kasir {i}", PASSWORD), "cashier")
        supplier = shop.create_party(coop, kind="supplier", code="S1", name="Pemasok")
        products = [shop.create_product(coop, shop.ProductData(sku=f"P{i:03d}", name=f"Produk {i}", price=Decimal(2_000 + 250 * i))).id
                    for i in range(PRODUCTS)]
        items = [shop.PurchaseItem(pid, 40 if n < SCARCE else 1_000_000, Decimal(1_000)) for n, pid in enumerate(products)]
        open_books(coop, sum(Decimal(i.qty) * i.unit_cost for i in items))  # the stock, paid in cash below
        shop.record_purchase(coop, party_id=supplier.id, day=today(), items=items)
        shop.set_credit_limit(coop, "santri", Decimal(150_000))
        member_ids, member_numbers = [], []
        for i in range(MEMBERS):
            member = members.register_member(coop, members.MemberData(name=f"Santri {i}", category="santri", join_date=today()), actor=None)
            savings.deposit(coop, member, "sukarela", amount=Decimal(50_000), day=today())
            member_ids.append(member.id)
            member_numbers.append(member.number)
        cash = chart.account_for(coop, "cash").id
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        db.session.remove()
        db.engine.dispose()
    return {"products": products, "members": member_ids, "member_numbers": member_numbers, "cash": cash, "today": today().isoformat()}


def _cashier(port: int, login: str, world: dict, seconds: float, seed: int, out: list) -> None:
    """One cashier: sell, and now and then record a member's sukarela, until the time is up."""
    rng = random.Random(seed)
    client = Client(port)
    try:
        status, _ = client.request("POST", "/login", urlencode({"login": login, "password": PASSWORD}).encode(),
                                   "application/x-www-form-urlencoded")
    except Exception as err:
        out.append(("error", "login", 0.0, repr(err)))
        return
    if status != 302:
        out.append(("error", "login", 0.0, f"login HTTP {status}"))
        return
    turn = 0
    today = world["today"]  # the cooperative's date (Asia/Jakarta), not this machine's
    until = time.time() + seconds
    while time.time() < until:
        turn += 1
        start = time.perf_counter()
        try:
            if turn % 5 == 0:
                member = rng.choice(world["members"])
                withdraw = rng.random() < 0.5
                form = {"amount": str(rng.choice([5_000, 20_000, 60_000])), "date": today, "account": str(world["cash"])}
                if not withdraw:
                    form["kind"] = "sukarela"
                path = f"/{SLUG}/members/{member}/{'withdraw' if withdraw else 'deposit'}"
                status, body = client.request("POST", path, urlencode(form).encode(), "application/x-www-form-urlencoded")
                kind = "savings"
                outcome = "ok" if status == 302 else "refused" if status in (200, 400, 409, 422) else "error"
            else:
                lines = [{"product_id": pid, "quantity": rng.randint(1, 3)} for pid in rng.sample(world["products"], rng.randint(1, 4))]
                if rng.random() < 0.3:
                    payload = {"lines": lines, "payment": "credit", "member": rng.choice(world["member_numbers"])}
                else:
                    payload = {"lines": lines, "payment": "cash"}
                status, body = client.request("POST", f"/{SLUG}/shop/pos/sales", json.dumps(payload).encode(), "application/json")
                kind = "sale"
                outcome = "ok" if status == 201 else "refused" if status in (400, 409, 422) else "error"
        except Exception as err:
            out.append(("error", "transport", (time.perf_counter() - start) * 1000, repr(err)))
            client = Client(port)
            continue
        out.append((outcome, kind, (time.perf_counter() - start) * 1000, "" if outcome != "error" else f"HTTP {status} {body[:200]!r}"))


def _client_process(port: int, logins: list[str], world: dict, seconds: float, seed: int, queue) -> None:
    results: list = []
    threads = [threading.Thread(target=_cashier, args=(port, login, world, seconds, seed + i, results)) for i, login in enumerate(logins)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(results)


def verify(url: str) -> list[str]:
    """What must hold after the load: the integrity check, stock and savings against their movements."""
    from sqlalchemy import case, func, select

    from koppontren import create_app
    from koppontren.extensions import db
    from koppontren.ledger import chart, queries
    from koppontren.ledger.integrity import check_cooperative
    from koppontren.savings.models import SavingsTransaction
    from koppontren.shop.models import Product, StockMove
    from koppontren.tenancy.services import get_by_slug

    problems = []
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        coop = get_by_slug(SLUG)
        report = check_cooperative(coop)
        problems += [f"check {r.name}: {p}" for r in report.results for p in r.problems]
        moves = dict(db.session.execute(select(StockMove.product_id, func.sum(StockMove.qty))
                                        .where(StockMove.cooperative_id == coop.id).group_by(StockMove.product_id)).all())
        for product in db.session.scalars(select(Product).where(Product.cooperative_id == coop.id)):
            if product.qty != moves.get(product.id, 0) or product.qty < 0:
                problems.append(f"product {product.sku}: quantity {product.qty}, moves {moves.get(product.id, 0)}")
        sukarela = chart.account_for(coop, "savings_voluntary").id
        ledger = queries.member_balances(coop, [sukarela])
        signed = func.sum(case((SavingsTransaction.direction == "deposit", SavingsTransaction.amount), else_=-SavingsTransaction.amount))
        rows = db.session.execute(select(SavingsTransaction.member_id, signed)
                                  .where(SavingsTransaction.cooperative_id == coop.id, SavingsTransaction.kind == "sukarela")
                                  .group_by(SavingsTransaction.member_id)).all()
        for member_id, total in rows:
            balance = -ledger.get(member_id, {}).get(sukarela, 0)
            if balance != total or balance < 0:
                problems.append(f"member {member_id}: sukarela in the ledger {balance}, Σ transactions {total}")
        db.session.remove()
        db.engine.dispose()
    return problems


def run(kind: str, cashiers: int = 20, seconds: int = 60, processes: int = 2, workers: int = 4, seed: int = 2026) -> dict:
    """Set up, load for ``seconds``, verify; returns what ``report`` prints (bench/run.py calls this too)."""
    folder = Path(tempfile.mkdtemp(prefix="koppontren-load-"))
    server = None
    try:
        url = database_url(kind, folder)
        log(f"set-up on {kind} …")
        world = set_up(url, cashiers)
        port = free_port()
        env = dict(os.environ, BENCH_DATABASE_URL=url, KOPPONTREN_SECRET_KEY="bench-" + "x" * 40, PYTHONPATH=str(ROOT))
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen([str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT),  # noqa: S603
                                   "--pythonpath", str(ROOT / "bench"), "--log-level", "warning", "pos_app:app"], env=env)
        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        warm = Client(port)
        while warm.request("GET", "/healthz")[0] != 200:  # every worker has booted once the answers come quickly
            time.sleep(0.2)
        for _ in range(4 * workers):
            warm.request("GET", "/healthz")
        logins = [f"kasir{i:02d}" for i in range(cashiers)]
        log(f"{cashiers} cashiers in {processes} processes for {seconds} s against {workers} gunicorn workers …")
        queue = multiprocessing.get_context("fork").Queue()
        procs = [multiprocessing.get_context("fork").Process(target=_client_process,
                                                              args=(port, logins[p::processes], world, seconds, seed + 1000 * p, queue))
                 for p in range(processes)]
        started = time.time()
        for p in procs:
            p.start()
        results = [r for _ in procs for r in queue.get()]
        for p in procs:
            p.join()
        elapsed = max(time.time() - started, seconds)
        stop(server)
        server = None
        log("verifying …")
        problems = verify(url)
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(folder, ignore_errors=True)
    counts = Counter((outcome, what) for outcome, what, _, _ in results)
    return {"kind": kind, "cashiers": cashiers, "seconds": seconds, "processes": processes, "workers": workers, "elapsed": elapsed,
            "results": results, "counts": counts, "problems": problems,
            "errors": [r for r in results if r[0] == "error"], "ok_sales": counts[("ok", "sale")]}


def report(result: dict) -> bool:
    """Print the figures; True when the run is clean (no error, no problem, some sales)."""
    kind, cashiers, seconds, processes = result["kind"], result["cashiers"], result["seconds"], result["processes"]
    results, counts, problems, errors, elapsed = result["results"], result["counts"], result["problems"], result["errors"], result["elapsed"]
    sales_ms = [ms for outcome, what, ms, _ in results if what == "sale" and outcome == "ok"]
    all_ms = [ms for _, what, ms, _ in results if what in ("sale", "savings")]
    load = os.getloadavg()
    print(f"### Load: {cashiers} cashiers, {processes} client processes, {seconds} s, gunicorn {result['workers']} workers, {kind}\n")
    print(f"`bench/load.py --db {kind} --cashiers {cashiers} --seconds {seconds} --processes {processes}` "
          f"— load average at the end {load[0]:.2f}, nproc {os.cpu_count()}\n")
    print("| what | count |\n|---|---:|")
    for (outcome, what), n in sorted(counts.items()):
        print(f"| {what} {outcome} | {n:,} |")
    ok_sales = result["ok_sales"]
    print(f"\n- sales/s: **{ok_sales / elapsed:,.1f}** (all requests/s {len(all_ms) / elapsed:,.1f})")
    if sales_ms:
        p = percentiles(sales_ms)
        print(f"- sale latency: p50 {p['p50']:.1f} ms, p99 {p['p99']:.1f} ms, max {p['max']:.1f} ms")
    print(f"- errors (5xx, dropped connections, timeouts): **{len(errors)}**")
    for e in errors[:10]:
        print(f"  - {e[1]}: {e[3]}")
    print(f"- after the load: `koppontren check`, stock = Σ moves, sukarela = Σ transactions: "
          f"**{'clean' if not problems else f'{len(problems)} problems'}**")
    for problem in problems[:20]:
        print(f"  - {problem}")
    return not (errors or problems or not ok_sales)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--cashiers", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--processes", type=int, default=2, help="client processes the cashiers are spread over")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if not report(run(args.db, args.cashiers, args.seconds, args.processes, args.workers, args.seed)):
        raise SystemExit(1)

if __name__ == "__main__":
    main()
