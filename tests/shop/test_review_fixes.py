"""Found in review: double submits of returns and settlements record once, returns of one sale
queue, a purchase return can't take a consignor's goods, a cashier's closed day takes no more
sales, and odd digits or huge ids are clear refusals, never a 500."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.shop import cashier as closing
from koppontren.shop import consignment, purchasing
from koppontren.shop import services as shop
from koppontren.shop.models import Purchase, Sale, ShopPayment
from koppontren.shop.services import ShopError
from tests.helpers import login
from tests.ledger.test_concurrency import _run_threads

BASE = "/alhikmah/shop"


@pytest.fixture
def staff(build, stocked, cashier):
    build.user("bendahara", stocked, "treasurer")
    return stocked


def _key(page: str) -> str:
    return re.search(r'name="(?:s-)?idempotency_key" type="hidden" value="([^"]+)"', page).group(1)


def test_a_double_submitted_sale_return_records_once(client, staff, beras, cashier):
    sale = shop.record_sale(staff, items=[shop.SaleItem(beras.id, 3)], day=date(2026, 12, 14))
    login(client, "kasir")
    key = _key(client.get(f"{BASE}/sales/{sale.id}").get_data(as_text=True))
    data = {"date": "2026-12-15", "idempotency_key": key, f"qty-{beras.id}": "1"}
    assert client.post(f"{BASE}/sales/{sale.id}/return", data=data).status_code == 302
    assert client.post(f"{BASE}/sales/{sale.id}/return", data=data).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Sale).where(Sale.returns_sale_id == sale.id)) == 1


def test_a_double_submitted_purchase_return_records_once(client, staff, beras):
    purchase = db.session.scalar(select(Purchase).order_by(Purchase.id))
    login(client, "bendahara")
    key = _key(client.get(f"/alhikmah/shop/purchases/{purchase.id}").get_data(as_text=True))
    data = {"date": "2026-12-15", "idempotency_key": key, f"return-{beras.id}": "2"}
    for _ in range(2):
        assert client.post(f"{BASE}/purchases/{purchase.id}/return", data=data).status_code in (302, 303)
    assert db.session.scalar(select(func.count()).select_from(Purchase).where(Purchase.returns_purchase_id == purchase.id)) == 1


def test_a_consignors_goods_cannot_go_back_to_the_supplier_as_a_purchase_return(build, coop, supplier, beras):
    build.fund(coop, 1_000_000, date(2026, 11, 30))
    purchase = shop.record_purchase(coop, party_id=supplier.id, day=date(2026, 12, 1), items=[shop.PurchaseItem(beras.id, 2, Decimal(40_000))])
    shop.record_sale(coop, items=[shop.SaleItem(beras.id, 2)], day=date(2026, 12, 2))
    owner = shop.create_party(coop, kind="consignor", code="PNT-1", name="Santri Penitip")
    consignment.set_consignment(coop, shop.get_product(coop, beras.id), consignor_id=owner.id, commission_bp=1000)
    consignment.receive_consignment(coop, consignor_id=owner.id, items=[(beras.id, 5)], day=date(2026, 12, 3))
    with pytest.raises(ShopError) as err:
        purchasing.record_purchase_return(coop, purchase.id, items=[purchasing.ReturnItem(beras.id, 2)], day=date(2026, 12, 4))
    assert err.value.code == "consignment_product"


def test_a_double_submitted_consignor_settlement_pays_once(build, coop, beras):
    build.fund(coop, 1_000_000, date(2026, 12, 1))  # Kas Besar pays the consignor
    owner = shop.create_party(coop, kind="consignor", code="PNT-1", name="Santri Penitip")
    consignment.set_consignment(coop, beras, consignor_id=owner.id, commission_bp=1000)
    consignment.receive_consignment(coop, consignor_id=owner.id, items=[(beras.id, 5)], day=date(2026, 12, 3))
    shop.record_sale(coop, items=[shop.SaleItem(beras.id, 1)], day=date(2026, 12, 4))
    first = consignment.settle_consignor(coop, owner.id, amount=Decimal(20_000), day=date(2026, 12, 5), idempotency_key="k")
    again = consignment.settle_consignor(coop, owner.id, amount=Decimal(20_000), day=date(2026, 12, 5), idempotency_key="k")
    assert again.id == first.id and db.session.scalar(select(func.count()).select_from(ShopPayment)) == 1


def test_a_cashier_who_closed_the_day_records_no_more_sales_for_it(stocked, beras, cashier):
    shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], day=date(2026, 12, 15), actor=cashier)
    closing.close_day(stocked, cashier_id=cashier.id, day=date(2026, 12, 15), counted_cash=Decimal(75_000), actor=cashier)
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], day=date(2026, 12, 15), actor=cashier)
    assert err.value.code == "already_closed"


@pytest.mark.parametrize("qty", ["²", "٣", "99999999999999999999"])
def test_odd_digits_are_refused_not_a_server_error(client, staff, beras, qty):
    sale = shop.record_sale(staff, items=[shop.SaleItem(beras.id, 1)], day=date(2026, 12, 14))
    login(client, "bendahara")
    key = _key(client.get(f"{BASE}/sales/{sale.id}").get_data(as_text=True))
    assert client.post(f"{BASE}/sales/{sale.id}/return", data={"date": "2026-12-15", "idempotency_key": key, f"qty-{beras.id}": qty}).status_code == 422
    assert client.post(f"{BASE}/stock-count", data={f"count-{beras.id}": qty}).status_code < 500
    assert client.post(f"{BASE}/purchases/new", data={"lines-0-product": qty, "lines-0-qty": qty}).status_code < 500


@pytest.mark.parametrize("body", [{"lines": [{"product_id": 10**20, "quantity": 1}]}, {"lines": [{"product_id": 1, "quantity": 10**20}]},
                                  {"lines": [{"product_id": 1, "quantity": "1" * 30}]}])
def test_out_of_range_ids_are_400(client, staff, body):
    login(client, "kasir")
    response = client.post(f"{BASE}/pos/sales", json={"payment": "cash", **body})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_request"


def test_two_returns_of_one_sale_at_once_return_it_once(app, stocked, beras, is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL")
    sale_id = shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 3)], day=date(2026, 12, 14)).id
    product_id = beras.id
    db.session.commit()
    outcomes = []

    def work(i: int) -> None:
        from koppontren.tenancy.services import get_by_slug

        try:
            shop.record_sale_return(get_by_slug("alhikmah"), sale_id, items=[shop.SaleItem(product_id, 3)], day=date(2026, 12, 15))
            outcomes.append("ok")
        except ShopError as err:
            outcomes.append(err.code)

    assert _run_threads(app, 2, work) == []
    assert sorted(outcomes) == ["ok", "return_too_much"]
