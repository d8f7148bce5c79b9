"""Crash safety (reliability and security §1): gunicorn is killed with SIGKILL in the middle of a
burst of POS sales (four cashiers, session login) and journal postings (the treasurer, through the
JSON API with a bearer token), restarted, and the clients retry with the same idempotency keys.
Every request that was answered 201 is in the ledger exactly once, every retried one exactly once,
nothing else is there, and ``koppontren check`` is clean — on SQLite and on PostgreSQL (whichever the
suite runs on). An API key whose first request died mid-flight answers 409 ``in_progress`` until it is
stale (KOPPONTREN_API_IDEMPOTENCY_STALE_SECONDS, short here), then the retry completes."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from tests.helpers import scratch_database

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "kasir-crash-2026"
CASHIERS = 4
BEFORE_KILL = 60  # sales sent before the kill, across all cashiers
PER_CASHIER = 40

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def crash_db(database_url, tmp_path):
    with scratch_database(database_url, tmp_path, "crash") as url:
        yield url


def _seed(url: str) -> tuple[list[int], str]:
    from flask_migrate import upgrade

    from koppontren import create_app
    from koppontren.auth import services as auth
    from koppontren.auth import tokens
    from koppontren.clock import today
    from koppontren.extensions import db
    from koppontren.shop import services as shop
    from koppontren.tenancy.services import create_cooperative
    from tests.helpers import Builder

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        coop = create_cooperative("tahan", "Koperasi Tahan Banting")
        for i in range(CASHIERS):
            auth.grant_role(coop, auth.create_user(f"kasir{i}", f"Kasir {i}", PASSWORD), "cashier")
        supplier = shop.create_party(coop, kind="supplier", code="S1", name="Pemasok")
        ids = [shop.create_product(coop, shop.ProductData(sku=f"P{i}", name=f"Produk {i}", price=Decimal(2_000 + 100 * i))).id
               for i in range(8)]
        Builder().fund(coop, 900_000_000, today())  # the stock below is paid from money the cooperative has
        shop.record_purchase(coop, party_id=supplier.id, day=today(), items=[shop.PurchaseItem(i, 100_000, Decimal(1_000)) for i in ids])
        treasurer = auth.create_user("bendahara", "Bendahara", PASSWORD)
        auth.grant_role(coop, treasurer, "treasurer")
        token = tokens.create_token(coop, treasurer)[1]
        day = today().isoformat()
        db.session.remove()
        db.engine.dispose()
    return ids, token, day


class _Server:
    def __init__(self, url: str, port: int):
        self.url, self.port, self.process = url, port, None

    def start(self) -> None:
        env = dict(os.environ, CRASH_DATABASE_URL=self.url, PYTHONPATH=str(ROOT), KOPPONTREN_API_IDEMPOTENCY_STALE_SECONDS="6")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), "--log-level", "error",
             "tests.security.crash_app:app"], env=env, start_new_session=True)
        deadline = time.time() + 60
        while True:
            try:
                with closing(socket.create_connection(("127.0.0.1", self.port), timeout=1)):
                    return
            except OSError:
                if time.time() > deadline or self.process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no graceful shutdown, no finished requests."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


class _Cashier:
    def __init__(self, port: int, login: str):
        self.port, self.login, self.cookie, self.conn = port, login, "", None

    def _request(self, method: str, path: str, body: bytes, headers: dict) -> tuple[int, dict, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = dict(headers, Cookie=self.cookie) if self.cookie else headers
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, dict(response.getheaders()), data

    def log_in(self) -> None:
        status, _, _ = self._request("POST", "/login", urlencode({"login": self.login, "password": PASSWORD}).encode(),
                                     {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302

    def sell(self, key: str, items: list[dict]) -> tuple[int, dict, dict]:
        status, headers, data = self._request("POST", "/tahan/shop/pos/sales", json.dumps({"lines": items, "payment": "cash"}).encode(),
                                              {"Content-Type": "application/json", "Idempotency-Key": key})
        return status, headers, (json.loads(data) if data else {})


class _Treasurer(_Cashier):
    """Posts journal entries through the API with a bearer token (no session)."""

    def __init__(self, port: int, token: str, day: str):
        super().__init__(port, "bendahara")
        self.token, self.day = token, day

    def post(self, key: str, n: int) -> tuple[int, dict, dict]:
        body = {"date": self.day, "description": f"Biaya operasional {n}",
                "lines": [{"account": "6102", "debit": str(1_000 + n)}, {"account": "1101", "credit": str(1_000 + n)}]}
        status, headers, data = self._request("POST", "/api/v1/coops/tahan/journal-entries", json.dumps(body).encode(),
                                              {"Content-Type": "application/json", "Idempotency-Key": key,
                                               "Authorization": f"Bearer {self.token}"})
        return status, headers, (json.loads(data) if data else {})

    def post_until_done(self, key: str, n: int, limit: float = 90) -> tuple[int, dict, dict]:
        """Retry as a POS client would: a key still 'in progress' (its first request died) is tried again."""
        deadline = time.time() + limit
        while True:
            status, headers, body = self.post(key, n)
            if status != 409 or body.get("error", {}).get("code") != "in_progress" or time.time() > deadline:
                return status, headers, body
            time.sleep(float(headers.get("Retry-After", 1)))


def _basket(ids: list[int], n: int) -> list[dict]:
    return [{"product_id": ids[(n + j) % len(ids)], "quantity": 1 + (n + j) % 3} for j in range(3)]


def test_sigkill_in_the_middle_of_a_burst_loses_nothing_and_duplicates_nothing(crash_db):
    ids, token, day = _seed(crash_db)
    server = _Server(crash_db, _free_port())
    server.start()
    outcomes: dict[str, dict | None] = {}  # key -> the 201 body, or None when no answer came
    postings: dict[str, dict | None] = {}  # the same for the treasurer's API postings
    baskets: dict[str, list[dict]] = {}
    sent = Counter()
    lock = threading.Lock()
    killed = threading.Event()

    def burst(i: int) -> None:
        cashier = _Cashier(server.port, f"kasir{i}")
        try:
            cashier.log_in()
        except (OSError, http.client.HTTPException):
            if killed.is_set():  # on a slow machine the kill can land before this cashier's login
                return
            raise
        for n in range(PER_CASHIER):
            key = f"kasir{i}-{n}"
            baskets[key] = _basket(ids, n + i)
            try:
                status, _, body = cashier.sell(key, baskets[key])
            except (OSError, http.client.HTTPException):
                outcomes[key] = None
                if killed.is_set():
                    return
                continue
            assert status == 201, body
            outcomes[key] = body
            with lock:
                sent["total"] += 1
                if sent["total"] == BEFORE_KILL and not killed.is_set():
                    killed.set()
                    server.kill()

    def api_burst() -> None:
        treasurer = _Treasurer(server.port, token, day)
        for n in range(PER_CASHIER):
            key = f"ju-{n}"
            try:
                status, _, body = treasurer.post(key, n)
            except (OSError, http.client.HTTPException):
                postings[key] = None
                if killed.is_set():
                    return
                continue
            assert status == 201, body
            postings[key] = body

    threads = [threading.Thread(target=burst, args=(i,)) for i in range(CASHIERS)] + [threading.Thread(target=api_burst)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert killed.is_set(), "the burst ended before the kill"
        answered = {k: v for k, v in outcomes.items() if v is not None}
        unanswered = [k for k, v in outcomes.items() if v is None]

        server.start()
        cashiers = {}
        for key in list(outcomes):
            login = key.split("-")[0]
            if login not in cashiers:
                cashiers[login] = _Cashier(server.port, login)
                cashiers[login].log_in()
        retried = {}
        for key in unanswered:  # the client never heard back: retry with the same key
            status, _, body = cashiers[key.split("-")[0]].sell(key, baskets[key])
            assert status == 201, body
            retried[key] = body
        for key in list(answered)[:15]:  # a retry of an answered sale replays it, it doesn't sell again
            status, headers, body = cashiers[key.split("-")[0]].sell(key, baskets[key])
            assert status == 201 and headers.get("Idempotent-Replayed") == "true"
            assert body["voucher"] == answered[key]["voucher"]
        treasurer = _Treasurer(server.port, token, day)
        api_answered = {k: v for k, v in postings.items() if v is not None}
        api_retried = {}
        for key in [k for k, v in postings.items() if v is None]:
            status, _, body = treasurer.post_until_done(key, int(key.split("-")[1]))
            assert status == 201, body
            api_retried[key] = body
        for key in list(api_answered)[:10]:
            status, headers, body = treasurer.post(key, int(key.split("-")[1]))
            assert status == 201 and headers.get("Idempotent-Replayed") == "true" and body == api_answered[key]
    finally:
        server.stop()

    from koppontren import create_app
    from koppontren.extensions import db
    from koppontren.ledger.integrity import check_cooperative
    from koppontren.ledger.models import JournalEntry
    from koppontren.tenancy.services import get_by_slug

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=crash_db)
    with app.app_context():
        coop = get_by_slug("tahan")
        rows = db.session.execute(select(JournalEntry.idempotency_key, JournalEntry.number)
                                  .where(JournalEntry.cooperative_id == coop.id, JournalEntry.journal_type == "PJ")).all()
        by_key = Counter(key for key, _ in rows)
        numbers = {key: number for key, number in rows}
        assert all(count == 1 for count in by_key.values()), "a sale was posted twice"
        stored_keys = {k for k in by_key if k}
        assert stored_keys == set(answered) | set(retried)  # everything answered or retried, and nothing else
        assert len(rows) == len(stored_keys)
        for key, body in {**answered, **retried}.items():
            assert body["voucher"] == numbers[key]
        journal = db.session.execute(select(JournalEntry.idempotency_key, JournalEntry.number)
                                     .where(JournalEntry.cooperative_id == coop.id, JournalEntry.journal_type == "JU")).all()
        assert Counter(k for k, _ in journal).most_common(1)[0][1] == 1, "a posting was stored twice"
        assert {k for k, _ in journal} == {f"api:{k}" for k in {**api_answered, **api_retried}}
        for key, body in {**api_answered, **api_retried}.items():
            assert body["number"] == dict(journal)[f"api:{key}"]
        report = check_cooperative(coop)
        assert report.ok, [(r.name, r.problems) for r in report.results if not r.ok]
        assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == len(rows) + len(journal) + 2  # + the capital and the purchase
        db.session.remove()
        db.engine.dispose()
    print(f"\ncrash test: {sum(sent.values())} sales and {len(api_answered)} API postings answered before the kill, "
          f"{len(unanswered)} + {len(api_retried)} unanswered and retried, {len(stored_keys)} + {len(journal)} in the ledger, "
          f"0 lost, 0 duplicated")
