"""Races on PostgreSQL: bulk payouts racing each other pay every member once; two approvals at once
post one allocation entry. Each thread has its own app context and connection, like concurrent
requests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.shu import services as shu
from koppontren.shu.models import ShuPayout
from koppontren.shu.rules import ShuError
from koppontren.tenancy.services import get_by_slug
from tests.ledger.test_concurrency import _run_threads
from tests.shu.conftest import RAT

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")


def _race(app, n: int, work) -> list[str]:
    outcomes: list[str] = []

    def runner(i: int) -> None:
        try:
            work(i)
            outcomes.append("ok")
        except ShuError as err:
            outcomes.append(err.code)

    assert _run_threads(app, n, runner) == []
    return outcomes


def test_bulk_payouts_racing_pay_each_member_once(app, coop, treasurer, admin, year_2025):
    shu.compute_run(coop, 2025, actor=treasurer)
    shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=admin)
    treasurer_id = treasurer.id
    db.session.commit()

    def work(i: int) -> None:
        from koppontren.auth.services import user_by_id
        shu.pay(get_by_slug("alhikmah"), 2025, day=RAT, method="cash", actor=user_by_id(treasurer_id))

    assert set(_race(app, 4, work)) <= {"ok", "already_paid"}
    coop = get_by_slug("alhikmah")
    assert db.session.scalar(select(func.count()).select_from(ShuPayout).where(ShuPayout.cooperative_id == coop.id)) == 3
    assert queries.balance_of(coop, chart.account_for(coop, "shu_payable")) == 0
    assert check_cooperative(coop).ok


def test_two_approvals_at_once_post_one_allocation_entry(app, coop, treasurer, admin, year_2025):
    shu.compute_run(coop, 2025, actor=treasurer)
    admin_id = admin.id
    db.session.commit()

    def work(i: int) -> None:
        from koppontren.auth.services import user_by_id
        shu.approve_run(get_by_slug("alhikmah"), 2025, day=RAT, decision="01/RAT/2026", actor=user_by_id(admin_id))

    outcomes = _race(app, 3, work)
    assert outcomes.count("ok") >= 1 and set(outcomes) <= {"ok", "not_draft"}
    coop = get_by_slug("alhikmah")
    assert queries.balance_of(coop, chart.account_for(coop, "shu_current")) == 0  # 3108 emptied once, not twice
    assert check_cooperative(coop).ok
