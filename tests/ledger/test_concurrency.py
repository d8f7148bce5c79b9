"""Races on PostgreSQL: many writers in one cooperative, and a double submit with one key.

Two-threads-one-wins shape (Cosmic Python): each thread has its own app context, session and
connection, exactly like concurrent requests.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.tenancy.services import get_by_slug

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")


def _run_threads(app, n_threads: int, work) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def runner(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                work(i)
            except BaseException as exc:  # collected and asserted on below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_eight_threads_posting_fifty_each_get_vouchers_1_to_400(app, build):
    build.coop("ramai")
    db.session.commit()

    def work(i: int) -> None:
        coop = get_by_slug("ramai")
        for j in range(50):
            post_entry(coop, entry_date=date(2026, 5, 1 + (j % 28)), description=f"t{i} #{j}", journal_type="KM",
                       lines=[LineSpec("1101", debit=Decimal(1000 + j)), LineSpec("4201", credit=Decimal(1000 + j))])

    assert _run_threads(app, 8, work) == []
    coop = get_by_slug("ramai")
    sequences = sorted(db.session.scalars(select(JournalEntry.sequence).where(JournalEntry.cooperative_id == coop.id)))
    assert sequences == list(range(1, 401))
    assert check_cooperative(coop).ok


def test_a_concurrent_double_submit_with_one_idempotency_key_posts_once(app, build):
    build.coop("ganda")
    db.session.commit()
    results: list[int] = []

    def work(i: int) -> None:
        coop = get_by_slug("ganda")
        entry = post_entry(coop, entry_date=date(2026, 5, 2), description="Setoran tunai", journal_type="KM",
                           idempotency_key="form-7f3a", lines=[LineSpec("1101", debit=Decimal(250_000)), LineSpec("3104", credit=Decimal(250_000))])
        results.append(entry.id)

    assert _run_threads(app, 6, work) == []
    coop = get_by_slug("ganda")
    assert len(set(results)) == 1 and len(results) == 6
    assert len(db.session.scalars(select(JournalEntry.id).where(JournalEntry.cooperative_id == coop.id)).all()) == 1


def test_cooperatives_post_in_parallel_with_their_own_numbering(app, build):
    for slug in ("satu", "dua", "tiga"):
        build.coop(slug)
    db.session.commit()
    slugs = ["satu", "dua", "tiga"] * 2

    def work(i: int) -> None:
        coop = get_by_slug(slugs[i])
        for _ in range(20):
            post_entry(coop, entry_date=date(2026, 6, 1), description="x", lines=[LineSpec("1101", debit=1), LineSpec("4201", credit=1)])

    assert _run_threads(app, 6, work) == []
    for slug in ("satu", "dua", "tiga"):
        coop = get_by_slug(slug)
        assert sorted(db.session.scalars(select(JournalEntry.sequence).where(JournalEntry.cooperative_id == coop.id))) == list(range(1, 41))


def test_a_posting_that_waited_for_the_lock_sees_the_month_closed_meanwhile(app, build):
    """The closed-month check must read after the ledger lock is granted: a statement's snapshot is
    taken when it starts, so a check made by the locking statement itself would miss the close."""
    import time

    from sqlalchemy import text

    from koppontren.ledger.errors import LedgerError
    from koppontren.ledger.periods import close_month
    from koppontren.ledger.posting import lock_ledger

    build.coop("tutup")
    db.session.commit()
    coop = get_by_slug("tutup")
    lock_ledger(coop.id)  # this test's transaction holds the lock until close_month commits
    outcome: list[object] = []

    def post() -> None:
        with app.app_context():
            try:
                other = get_by_slug("tutup")
                outcome.append(post_entry(other, entry_date=date(2026, 3, 31), description="Terlambat",
                                          lines=[LineSpec("1101", debit=1), LineSpec("4201", credit=1)]).number)
            except LedgerError as err:
                outcome.append(err.code)
            finally:
                db.session.remove()

    thread = threading.Thread(target=post)
    thread.start()
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    waited = False
    with db.engine.connect() as probe:
        for _ in range(200):  # until the posting waits for the lock (or 10 s)
            if waited := bool(probe.execute(text(waiting)).scalar()):
                break
            time.sleep(0.05)
    close_month(coop, 2026, 3, actor=None)  # commits, which releases the lock
    thread.join(timeout=60)
    assert waited
    assert outcome == ["period_closed"]
    assert db.session.scalars(select(JournalEntry.id).where(JournalEntry.cooperative_id == coop.id)).all() == []


def test_racing_payments_never_take_cash_below_zero(app, build):
    """Eight tellers pay Rp100.000 each, at once and back-dated at random, from a Kas Besar holding
    Rp500.000: exactly five are paid, the others refused insufficient_funds, and no day ends below zero."""
    from koppontren.ledger.errors import LedgerError

    coop = build.coop("kas")
    post_entry(coop, entry_date=date(2026, 5, 1), description="Modal", journal_type="SA",
               lines=[LineSpec("1101", debit=Decimal(500_000)), LineSpec("3103", credit=Decimal(500_000))])
    db.session.commit()
    refused: list[str] = []

    def work(i: int) -> None:
        try:
            post_entry(get_by_slug("kas"), entry_date=date(2026, 5, 2 + i % 5), description=f"bayar {i}", journal_type="KK",
                       lines=[LineSpec("6102", debit=Decimal(100_000)), LineSpec("1101", credit=Decimal(100_000))])
        except LedgerError as err:
            refused.append(err.code)

    assert _run_threads(app, 8, work) == []
    assert refused == ["insufficient_funds"] * 3
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.journal_type == "KK")) == 5
    assert check_cooperative(get_by_slug("kas")).ok
