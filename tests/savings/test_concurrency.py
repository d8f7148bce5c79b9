"""Races on PostgreSQL: withdrawals racing on one sukarela balance, two pokok deposits at once, and
a bulk collection racing a single wajib payment of the same month. Each thread has its own app
context and connection, like concurrent requests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.savings import services as savings
from koppontren.savings.models import SavingsTransaction, WajibMonth
from koppontren.savings.services import SavingsError
from koppontren.tenancy.services import get_by_slug
from tests.ledger.test_concurrency import _run_threads

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")


def _race(app, n: int, work) -> tuple[int, list[str]]:
    """Run ``work`` in n threads; return (successes, refusal codes). Anything else fails the test."""
    outcomes: list[object] = []

    def runner(i: int) -> None:
        try:
            work(i)
            outcomes.append("ok")
        except SavingsError as err:
            outcomes.append(err.code)

    assert _run_threads(app, n, runner) == []
    return outcomes.count("ok"), [o for o in outcomes if o != "ok"]


def test_withdrawals_racing_on_one_sukarela_balance_never_overdraw_it(app, configured, member, treasurer):
    savings.deposit(configured, member, "sukarela", amount=Decimal(100_000), day=date(2026, 10, 1), actor=treasurer)
    member_id = member.id
    db.session.commit()

    def work(i: int) -> None:
        savings.withdraw(get_by_slug("alhikmah"), member_id, amount=Decimal(30_000), day=date(2026, 10, 2))

    ok, refused = _race(app, 8, work)
    assert ok == 3 and refused == ["insufficient_balance"] * 5
    coop = get_by_slug("alhikmah")
    assert savings.balances(coop, member_id).sukarela == 10_000_00
    assert check_cooperative(coop).ok


def test_two_pokok_deposits_at_once_give_one_pokok(app, configured, member):
    member_id = member.id
    db.session.commit()

    def work(i: int) -> None:
        savings.deposit(get_by_slug("alhikmah"), member_id, "pokok", day=date(2026, 10, 2))

    ok, refused = _race(app, 4, work)
    assert ok == 1 and refused == ["pokok_already_paid"] * 3
    assert savings.balances(get_by_slug("alhikmah"), member_id).pokok == 100_000_00


def test_a_bulk_collection_racing_a_single_payment_of_the_same_month_pays_it_once(app, configured, new_member):
    ids = [new_member(f"Santri {i}").id for i in range(5)]
    db.session.commit()

    def work(i: int) -> None:
        coop = get_by_slug("alhikmah")
        if i == 0:
            savings.collect_wajib_bulk(coop, month=(2026, 11), member_ids=ids, day=date(2026, 11, 30))
        else:
            savings.deposit(coop, ids[i], "wajib", months=[(2026, 11)], day=date(2026, 11, 30))

    ok, refused = _race(app, 3, work)
    coop = get_by_slug("alhikmah")
    rows = db.session.scalar(select(func.count()).select_from(WajibMonth).where(WajibMonth.cooperative_id == coop.id))
    if "bulk_refused" in refused:  # a single payment came first: the whole batch was refused, nothing of it written
        assert rows == ok and set(refused) == {"bulk_refused"}
    else:  # the batch came first: both single payments were refused
        assert rows == 5 and refused == ["month_paid", "month_paid"]
    for i in ids:  # whichever writer won, each member's November is paid at most once and the ledger agrees
        assert savings.balances(coop, i).wajib == 10_000_00 * len(savings.paid_months(coop, i))
    assert db.session.scalar(select(func.count()).select_from(SavingsTransaction)) == rows
