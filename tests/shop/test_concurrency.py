"""Two cashiers selling the last unit at the same moment, on PostgreSQL: exactly one succeeds, the
other is told the stock is short, and the stock never goes below zero."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.shop import services as shop
from koppontren.shop.services import ShopError
from koppontren.tenancy.services import get_by_slug
from tests.ledger.test_concurrency import _run_threads

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")


def test_two_cashiers_selling_the_last_unit_exactly_one_succeeds(app, build, coop, supplier, beras, kopi):
    build.fund(coop, 1_000_000, date(2026, 11, 30))
    shop.record_purchase(coop, party_id=supplier.id, day=date(2026, 12, 1), items=[shop.PurchaseItem(beras.id, 1, Decimal(60_000))])
    product_id = beras.id
    db.session.commit()
    outcomes: list[str] = []

    def work(i: int) -> None:
        try:
            shop.record_sale(get_by_slug("alhikmah"), items=[shop.SaleItem(product_id, 1)], day=date(2026, 12, 2))
            outcomes.append("ok")
        except ShopError as err:
            outcomes.append(err.code)

    assert _run_threads(app, 6, work) == []
    assert sorted(outcomes) == ["insufficient_stock"] * 5 + ["ok"]
    coop = get_by_slug("alhikmah")
    product = shop.get_product(coop, product_id)
    assert (product.qty, product.stock_value) == (0, 0)
    assert check_cooperative(coop).ok
