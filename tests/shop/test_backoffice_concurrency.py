"""Back-office races on PostgreSQL: two treasurers paying the same supplier's debt, or returning the
same purchased units, at the same moment — exactly one succeeds, the books never go past the limit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.shop import purchasing
from koppontren.shop import services as shop
from koppontren.shop.services import ShopError
from koppontren.tenancy.services import get_by_slug
from tests.ledger.test_concurrency import _run_threads

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")


def _outcomes(app, n, call) -> list[str]:
    outcomes: list[str] = []

    def work(i: int) -> None:
        try:
            call(get_by_slug("alhikmah"))
            outcomes.append("ok")
        except ShopError as err:
            outcomes.append(err.code)

    assert _run_threads(app, n, work) == []
    return sorted(outcomes)


def test_paying_the_same_supplier_debt_twice_at_once_pays_it_once(app, build, coop, supplier, beras):
    build.fund(coop, 1_000_000, date(2026, 11, 30))  # Kas Besar could pay the debt four times over
    shop.record_purchase(coop, party_id=supplier.id, payment="credit", day=date(2026, 12, 1),
                         items=[shop.PurchaseItem(beras.id, 2, Decimal(50_000))])
    party_id = supplier.id
    db.session.commit()
    outcomes = _outcomes(app, 4, lambda c: purchasing.pay_supplier(c, party_id, amount=Decimal(100_000), day=date(2026, 12, 2)))
    assert outcomes == ["ok", "overpayment", "overpayment", "overpayment"]
    coop = get_by_slug("alhikmah")
    assert purchasing.supplier_owed(coop, party_id) == 0 and check_cooperative(coop).ok


def test_returning_the_same_units_twice_at_once_returns_them_once(app, build, coop, supplier, beras):
    build.fund(coop, 1_000_000, date(2026, 11, 30))
    purchase = shop.record_purchase(coop, party_id=supplier.id, day=date(2026, 12, 1), items=[shop.PurchaseItem(beras.id, 3, Decimal(50_000))])
    purchase_id, product_id = purchase.id, beras.id
    db.session.commit()
    outcomes = _outcomes(app, 4, lambda c: purchasing.record_purchase_return(
        c, purchase_id, items=[purchasing.ReturnItem(product_id, 2)], day=date(2026, 12, 2)))
    assert outcomes == ["ok", "return_too_much", "return_too_much", "return_too_much"]
    coop = get_by_slug("alhikmah")
    assert shop.get_product(coop, product_id).qty == 1 and check_cooperative(coop).ok
