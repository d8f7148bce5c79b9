"""POS benchmark: sales of 5 lines through the shop service and through the HTTP endpoint, beside a
bare Flask JSON endpoint on the same server.

DESIGN.md: "speed is measured, not asserted". The aim from the issue: a sale's p99 latency over HTTP
under 5× the bare endpoint's p99, both served by gunicorn (2 workers) on loopback in the same run.

Phases, on a fresh database migrated with Alembic (SQLite file in a temporary folder, or PostgreSQL
``koppontren_bench_pos`` on 127.0.0.1, dropped and created again):

1. set-up: a cooperative, a cashier, its opening balance (capital paid into Kas Besar, enough for the
   purchase), 50 products with plenty of stock (one purchase, paid in cash), a member;
2. service: N sales of 5 random products (1-3 units each, cash) through ``shop.services.record_sale``
   in this process, one commit each — the cost of the work without HTTP;
3. HTTP: gunicorn serves ``bench/pos_app.py`` with 2 sync workers; one client (keep-alive, stdlib
   http.client) logs in as the cashier and posts N sales as JSON to ``/<coop>/shop/pos/sales``, then
   makes N requests to ``/bench/ping``; in A-B-B-A order, latency of every request recorded.

Prints Markdown tables (sales/s, p50, p90, p99, max) on stdout; progress on stderr. Run by hand:

    .venv/bin/python bench/pos_sale.py --db sqlite --sales 500
    .venv/bin/python bench/pos_sale.py --db postgresql --sales 500
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "koppontren_bench_pos"
PASSWORD = "bench-kasir-2026"  # noqa: S105 - a throw-away database


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def database_url(kind: str, folder: Path, pg_db: str = PG_DB) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'pos.db'}"
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {pg_db}"))
    engine.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_db}"


#: Units of each product bought at set-up, and their unit cost (whole rupiah).
STOCK, UNIT_COST = 1_000_000, 3_000


def open_books(coop, capital: Decimal) -> None:
    """The cooperative's opening balance, on its books start: ``capital`` paid in, Dr 1101 Kas Besar /
    Cr 3103 Modal Penyertaan (``ledger.opening.post_opening``, as koppontren/generate.py opens its
    books). The ledger refuses a payment that would take cash below zero: the stock is paid from this."""
    from koppontren.ledger import chart, opening
    from koppontren.ledger.posting import LineSpec

    plan = opening.OpeningPlan(lines=[LineSpec(chart.account_for(coop, "cash"), debit=capital),
                                      LineSpec(chart.account_for(coop, "participation_capital"), credit=capital)])
    opening.post_opening(coop, plan, actor=None)


def set_up(url: str, n_products: int) -> tuple[list[int], int]:
    """Migrate, create the cooperative ``bench`` with a cashier, its opening capital, products in stock
    and a member."""
    from flask_migrate import upgrade

    from koppontren import create_app
    from koppontren.auth import services as auth
    from koppontren.clock import today
    from koppontren.extensions import db
    from koppontren.members import services as members
    from koppontren.shop import services as shop
    from koppontren.tenancy.services import create_cooperative

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        coop = create_cooperative("bench", "Koperasi Benchmark")
        cashier = auth.create_user("bench.kasir", "Kasir Benchmark", PASSWORD)
        auth.grant_role(coop, cashier, "cashier")
        open_books(coop, Decimal(STOCK * UNIT_COST * n_products))  # the purchase below, in cash
        supplier = shop.create_party(coop, kind="supplier", code="S1", name="Pemasok")
        ids = [shop.create_product(coop, shop.ProductData(sku=f"P{i:03d}", name=f"Produk {i}", price=Decimal(5_000 + 500 * i),
                                                          barcode=f"899{i:010d}")).id for i in range(n_products)]
        shop.record_purchase(coop, party_id=supplier.id, day=today(),
                             items=[shop.PurchaseItem(i, STOCK, Decimal(UNIT_COST)) for i in ids])
        member = members.register_member(coop, members.MemberData(name="Anggota Benchmark", category="santri", join_date=today()),
                                         actor=None)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        member_id = member.id
        db.session.remove()
        db.engine.dispose()
    return ids, member_id


def basket(ids: list[int], rng: random.Random) -> list[dict]:
    return [{"product_id": pid, "quantity": rng.randint(1, 3)} for pid in rng.sample(ids, 5)]


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": q[49], "p90": q[89], "p99": q[98], "max": ordered[-1]}


def service_phase(url: str, ids: list[int], n: int, seed: int) -> list[float]:
    from koppontren import create_app
    from koppontren.extensions import db
    from koppontren.shop import services as shop
    from koppontren.tenancy.services import get_by_slug

    rng = random.Random(seed)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    samples = []
    with app.app_context():
        for _ in range(n):
            items = [shop.SaleItem(i["product_id"], i["quantity"]) for i in basket(ids, rng)]
            start = time.perf_counter()
            shop.record_sale(get_by_slug("bench"), items=items, payment="cash")
            samples.append((time.perf_counter() - start) * 1000)
        db.session.remove()
        db.engine.dispose()
    return samples


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive HTTP connection with a cookie jar of one session cookie."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)  # a busy machine
        self.cookie = ""

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None,
                extra: dict | None = None) -> tuple[int, bytes]:
        headers = {**({"Cookie": self.cookie} if self.cookie else {}), **(extra or {})}
        if content_type:
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, data


def cpu_seconds(master_pid: int, url: str) -> dict[str, float]:
    """CPU time (user + system) used so far by gunicorn's workers and, on PostgreSQL, by the server
    processes serving the benchmark's database (from /proc; Linux only): a figure that a busy
    machine disturbs far less than latency."""
    tick = os.sysconf("SC_CLK_TCK")
    database = url.rsplit("/", 1)[-1] if url.startswith("postgresql") else None
    out = {"workers": 0.0, "database": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[1]) == master_pid:
            out["workers"] += used
        elif database and cmdline.startswith("postgres: ") and f" postgres {database} " in cmdline:
            out["database"] += used
    return out


def stop(server: subprocess.Popen) -> None:
    """SIGTERM (gunicorn's graceful stop), and SIGKILL if it is not gone in 30 s (a busy machine)."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)


def http_phase(url: str, ids: list[int], n: int, seed: int, workers: int) -> tuple[list[float], list[float], Counter]:
    port = free_port()
    token = f"{os.getpid()}-{time.time_ns()}"
    env = dict(os.environ, BENCH_DATABASE_URL=url, KOPPONTREN_SECRET_KEY="bench-" + "x" * 40, PYTHONPATH=str(ROOT),
               BENCH_SERVER_TOKEN=token)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--pythonpath", str(ROOT / "bench"),
               "--log-level", "warning", "pos_app:app"]
    server = subprocess.Popen(command, env=env)  # noqa: S603 - our own gunicorn and arguments
    try:
        deadline = time.time() + 90  # a busy machine boots gunicorn slowly
        while True:
            try:
                with closing(socket.create_connection(("127.0.0.1", port), timeout=1)):
                    break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        client = Client(port)
        for _attempt in range(50):  # the port may answer before our gunicorn has it (another program's server)
            status, data = client.request("GET", "/bench/ping")
            if status == 200 and json.loads(data).get("server") == token:
                break
            if server.poll() is not None:
                raise RuntimeError("gunicorn did not start (port taken?)")
            time.sleep(0.2)
        else:
            raise RuntimeError("another server answers on the benchmark's port")
        status, _ = client.request("POST", "/login", urlencode({"login": "bench.kasir", "password": PASSWORD}).encode(),
                                   "application/x-www-form-urlencoded")
        if status != 302:
            raise RuntimeError(f"login failed: HTTP {status}")
        rng = random.Random(seed)
        counter = iter(range(10**9))
        sale_ms: list[float] = []
        ping_ms: list[float] = []

        def sales(count: int) -> None:
            for _ in range(count):
                body = json.dumps({"lines": basket(ids, rng), "payment": "cash"}).encode()
                key = {"Idempotency-Key": f"bench-{seed}-{next(counter)}"}
                start = time.perf_counter()
                status, data = client.request("POST", "/bench/shop/pos/sales", body, "application/json", key)
                sale_ms.append((time.perf_counter() - start) * 1000)
                if status != 201:
                    raise RuntimeError(f"sale failed: HTTP {status} {data[:300]!r}")

        def pings(count: int) -> None:
            for _ in range(count):
                start = time.perf_counter()
                status, _ = client.request("GET", "/bench/ping")
                ping_ms.append((time.perf_counter() - start) * 1000)
                if status != 200:
                    raise RuntimeError(f"ping failed: HTTP {status}")

        warm = max(10, n // 20)
        sales(warm)
        pings(warm)
        sale_ms.clear()
        ping_ms.clear()
        half = n // 2
        cpu: Counter = Counter()

        def timed(kind: str, fn, count: int) -> None:
            before = cpu_seconds(server.pid, url)
            fn(count)
            after = cpu_seconds(server.pid, url)
            for side in after:
                cpu[kind, side] += after[side] - before.get(side, 0.0)

        timed("sale", sales, half)  # A-B-B-A: both see the same machine state on average
        timed("ping", pings, half)
        timed("ping", pings, n - half)
        timed("sale", sales, n - half)
        return sale_ms, ping_ms, cpu
    finally:
        stop(server)


def _statement_kind(statement: str) -> str:
    words = statement.split()
    if not words:
        return "?"
    if words[0] == "WITH":  # a statement of several parts: name what it locks and writes
        parts = [f"{w[1:]} {words[i + 2] if w == '(INSERT' else words[i + 1]}" for i, w in enumerate(words) if w in ("(INSERT", "(UPDATE")]
        lock = ["SELECT … FOR UPDATE"] if "FOR UPDATE" in statement else []
        return ("WITH " + ", ".join(lock + parts)).split("(")[0].rstrip(",")
    if words[0] == "SELECT":
        depth, table = 0, "?"
        for i, word in enumerate(words):  # the first FROM outside parentheses (not a subquery's)
            if word == "FROM" and depth == 0 and i + 1 < len(words):
                table = words[i + 1]
                break
            depth += word.count("(") - word.count(")")
        return f"SELECT … FROM {table}" + (" … FOR UPDATE" if "FOR UPDATE" in statement else "")  # noqa: S608 - a label, not SQL
    return " ".join(words[:3] if words[0] in ("INSERT", "UPDATE", "DELETE") else words[:2]).split("(")[0]


def statements_phase(url: str, ids: list[int], n: int, seed: int, profile: bool) -> tuple[Counter, int, str | None]:
    """The statements one HTTP sale sends, counted with SQLAlchemy's events on the real app in this
    process (Flask's test client: the same request code as under gunicorn, without the socket):
    every cursor execute by kind, each transaction's BEGIN and COMMIT and the pool's pre-ping (on
    PostgreSQL each is a round trip). With ``profile``, cProfile over the same requests."""
    import cProfile
    import io
    import pstats

    from sqlalchemy import event

    sys.path.insert(0, str(ROOT / "bench"))
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ.setdefault("KOPPONTREN_SECRET_KEY", "bench-" + "x" * 40)
    from pos_app import app

    from koppontren.extensions import db

    calls: Counter = Counter()
    client = app.test_client()
    status = client.post("/login", data={"login": "bench.kasir", "password": PASSWORD}).status_code
    if status != 302:
        raise RuntimeError(f"login failed: HTTP {status}")
    rng = random.Random(seed)
    counter = iter(range(10**9))

    def sale() -> None:
        body = {"lines": basket(ids, rng), "payment": "cash"}
        response = client.post("/bench/shop/pos/sales", json=body, headers={"Idempotency-Key": f"stmt-{seed}-{next(counter)}"})
        if response.status_code != 201:
            raise RuntimeError(f"sale failed: HTTP {response.status_code} {response.data[:300]!r}")

    for _ in range(10):  # warm-up: caches, prepared statements
        sale()
    with app.app_context():
        engine = db.engine
    dialect = engine.dialect
    original_ping = dialect.do_ping

    def ping(dbapi_connection):
        calls["(pool pre-ping)"] += 1
        return original_ping(dbapi_connection)

    def on_execute(_conn, _cursor, statement, _params, _context, many) -> None:
        calls[_statement_kind(statement) + (" (executemany)" if many else "")] += 1

    def on_begin(_conn) -> None:
        if dialect.name != "sqlite":  # SQLite: the BEGIN is a statement of its own (see create_app)
            calls["BEGIN"] += 1

    def on_commit(_conn) -> None:
        calls["COMMIT"] += 1

    def on_rollback(_conn) -> None:
        calls["ROLLBACK (connection back to the pool)"] += 1

    dialect.do_ping = ping
    hooks = [("before_cursor_execute", on_execute), ("begin", on_begin), ("commit", on_commit), ("rollback", on_rollback)]
    for name, fn in hooks:
        event.listen(engine, name, fn)
    profiler = cProfile.Profile() if profile else None
    try:
        if profiler:
            profiler.enable()
        for _ in range(n):
            sale()
        if profiler:
            profiler.disable()
    finally:
        dialect.do_ping = original_ping
        for name, fn in hooks:
            event.remove(engine, name, fn)
    calls = Counter({k: v for k, v in calls.items() if v})
    text = None
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        text = out.getvalue()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return calls, n, text


def table(rows: list[tuple[str, list[float], float]]) -> str:
    out = ["| path | requests | per second | p50 ms | p90 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, samples, seconds in rows:
        p = percentiles(samples)
        out.append(f"| {name} | {len(samples):,} | {len(samples) / seconds:,.1f} | {p['p50']:.2f} | {p['p90']:.2f} | {p['p99']:.2f} | {p['max']:.2f} |")
    return "\n".join(out)


def run(kind: str, sales: int = 500, products: int = 50, workers: int = 2, seed: int = 2026, statements: int = 100,
        profile: bool = False, pg_database: str = PG_DB) -> dict:
    """Every phase on a fresh database; returns the samples (ms) and counts that ``report`` prints.
    bench/run.py calls this too."""
    folder = Path(tempfile.mkdtemp(prefix="koppontren-pos-bench-"))
    try:
        url = database_url(kind, folder, pg_database)
        log(f"set-up on {kind} …")
        ids, _member = set_up(url, products)
        log(f"service: {sales} sales …")
        start = time.perf_counter()
        service = service_phase(url, ids, sales, seed)
        service_seconds = time.perf_counter() - start
        log(f"HTTP: gunicorn {workers} workers, {sales} sales and {sales} pings …")
        sale_ms, ping_ms, cpu = http_phase(url, ids, sales, seed + 1, workers)
        counted = None
        if statements:
            log(f"statements of {statements} sales (in process) …")
            counted = statements_phase(url, ids, statements, seed + 2, profile)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"kind": kind, "sales": sales, "service": service, "service_seconds": service_seconds, "sale_ms": sale_ms,
            "ping_ms": ping_ms, "cpu": cpu, "counted": counted,
            "p99_ratio": percentiles(sale_ms)["p99"] / percentiles(ping_ms)["p99"]}


def report(result: dict) -> None:
    kind, sales = result["kind"], result["sales"]
    service, sale_ms, ping_ms, cpu, counted = result["service"], result["sale_ms"], result["ping_ms"], result["cpu"], result["counted"]
    load = os.getloadavg()
    print(f"### POS sales of 5 lines on {kind} (`bench/pos_sale.py --db {kind} --sales {sales}`)\n")
    print(f"- load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; nproc {os.cpu_count()}\n")
    print(table([("record_sale (service, in process)", service, result["service_seconds"]),
                 ("POST /<coop>/shop/pos/sales (gunicorn)", sale_ms, sum(sale_ms) / 1000),
                 ("GET /bench/ping (bare Flask JSON, same server)", ping_ms, sum(ping_ms) / 1000)]))
    ratio = result["p99_ratio"]
    print(f"\np99 of a sale over HTTP ÷ p99 of the bare endpoint: **{ratio:.1f}×** (aim < 5×: {'met' if ratio < 5 else 'NOT met'})")
    print("\nCPU per request (user + system, from /proc), less disturbed by a busy machine than latency:\n")
    print("| path | gunicorn worker ms | database server ms |\n|---|---:|---:|")
    for what, samples in (("sale", sale_ms), ("ping", ping_ms)):
        database = f"{cpu[what, 'database'] * 1000 / len(samples):.2f}" if kind == "postgresql" else "(in the worker)"
        print(f"| {what} | {cpu[what, 'workers'] * 1000 / len(samples):.2f} | {database} |")
    if counted:
        calls, n, profile_text = counted
        print(f"\n#### What one `POST /<coop>/shop/pos/sales` sends on {kind} (mean of {n} sales, SQLAlchemy events)\n")
        print(f"{sum(calls.values()) / n:.1f} in all per sale.\n")
        print("| statement | per sale |\n|---|---:|")
        for what, count in calls.most_common():
            print(f"| `{what}` | {count / n:.2f} |")
        if profile_text:
            print(f"\n#### cProfile of {n} sales (cumulative)\n\n```\n{profile_text.strip()}\n```")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sales", type=int, default=500, help="sales per phase (and as many pings)")
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--statements", type=int, default=100, help="sales whose statements are counted (0: skip)")
    parser.add_argument("--profile", action="store_true", help="cProfile the counted sales (printed after the tables)")
    parser.add_argument("--pg-database", default=PG_DB, help="PostgreSQL database to drop and create (default %(default)s)")
    args = parser.parse_args(argv)
    report(run(args.db, args.sales, args.products, args.workers, args.seed, args.statements, args.profile, args.pg_database))


if __name__ == "__main__":
    main()
