"""The cashier's races on PostgreSQL: a double click arriving as two simultaneous requests with one
idempotency key sells once; two cashiers taking the same member's pelunasan cannot together take
more than the member owes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.shop import receivables, sale_contract
from koppontren.shop import services as shop
from koppontren.shop.models import Sale
from koppontren.shop.services import ShopError
from koppontren.tenancy.services import get_by_slug
from tests.ledger.test_concurrency import _run_threads

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")


def test_two_simultaneous_requests_with_one_key_sell_once(app, stocked, beras):
    order = shop.SaleOrder(items=(shop.SaleItem(beras.id, 3),), payment="cash")
    db.session.commit()
    sale_ids: list[int] = []

    def work(i: int) -> None:
        sale, _replayed = sale_contract.sell(get_by_slug("alhikmah"), order, idempotency_key="double-click-race")
        sale_ids.append(sale.id)

    assert _run_threads(app, 4, work) == []
    assert len(sale_ids) == 4 and len(set(sale_ids)) == 1
    coop = get_by_slug("alhikmah")
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 1
    assert shop.get_product(coop, beras.id).qty == 10
    assert check_cooperative(coop).ok


def test_two_cashiers_taking_one_members_payment_never_take_more_than_owed(app, stocked, beras, member):
    shop.set_credit_limit(stocked, "santri", Decimal(500_000))
    shop.record_sale(stocked, member_id=member.id, payment="credit", items=[shop.SaleItem(beras.id, 2)])  # owes 144.000
    member_id = member.id
    db.session.commit()
    outcomes: list[str] = []

    def work(i: int) -> None:
        try:
            receivables.pay_receivable(get_by_slug("alhikmah"), member_id, amount=Decimal(100_000))
            outcomes.append("ok")
        except ShopError as err:
            outcomes.append(err.code)

    assert _run_threads(app, 2, work) == []
    assert sorted(outcomes) == ["exceeds_receivable", "ok"]
    coop = get_by_slug("alhikmah")
    assert receivables.owed_by(coop, member_id) == 44_000_00
    assert check_cooperative(coop).ok
