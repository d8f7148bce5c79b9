"""Races on PostgreSQL: two settlements of one consignor never pay more than is owed, and two
closes of the same cashier's day leave exactly one close and one entry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.shop import cashier as closing
from koppontren.shop import consignment
from koppontren.shop import services as shop
from koppontren.shop.services import ShopError
from koppontren.tenancy.services import get_by_slug
from tests.ledger.test_concurrency import _run_threads

pytestmark = pytest.mark.postgres_only
TODAY = date(2026, 12, 15)


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")


def test_two_settlements_at_once_never_pay_more_than_is_owed(app, build, coop):
    build.fund(coop, 1_000_000, date(2026, 12, 1))  # Kas Besar could pay the consignor four times over
    penitip = shop.create_party(coop, kind="consignor", code="TTP-01", name="Santri Ahmad")
    product = shop.create_product(coop, shop.ProductData(sku="KRP", name="Kerupuk", price=Decimal(10_000)))
    consignment.set_consignment(coop, product, consignor_id=penitip.id, commission_bp=1000)
    consignment.receive_consignment(coop, consignor_id=penitip.id, items=[(product.id, 5)])
    shop.record_sale(coop, items=[shop.SaleItem(product.id, 5)])  # owed 45.000
    party_id = penitip.id
    db.session.commit()
    outcomes: list[str] = []

    def work(i: int) -> None:
        try:
            consignment.settle_consignor(get_by_slug("alhikmah"), party_id, amount=Decimal(45_000))
            outcomes.append("ok")
        except ShopError as err:
            outcomes.append(err.code)

    assert _run_threads(app, 4, work) == []
    assert sorted(outcomes) == ["more_than_owed"] * 3 + ["ok"]
    coop = get_by_slug("alhikmah")
    assert consignment.owed_to_consignors(coop) == {party_id: 0} and check_cooperative(coop).ok


def test_two_closes_of_one_day_at_once_leave_exactly_one(app, build, coop, cashier, supplier, beras):
    build.fund(coop, 1_000_000, date(2026, 11, 30))
    shop.record_purchase(coop, party_id=supplier.id, day=date(2026, 12, 1), items=[shop.PurchaseItem(beras.id, 2, Decimal(60_000))])
    shop.record_sale(coop, items=[shop.SaleItem(beras.id, 1)], actor=cashier)
    cashier_id = cashier.id
    db.session.commit()
    outcomes: list[str] = []

    def work(i: int) -> None:
        try:
            closing.close_day(get_by_slug("alhikmah"), cashier_id=cashier_id, day=TODAY, counted_cash=Decimal(75_000), actor=None)
            outcomes.append("ok")
        except ShopError as err:
            outcomes.append(err.code)

    assert _run_threads(app, 4, work) == []
    assert sorted(outcomes) == ["already_closed"] * 3 + ["ok"]
    coop = get_by_slug("alhikmah")
    assert len(closing.recent_closes(coop)) == 1 and check_cooperative(coop).ok
