"""The shop's back office through the API: purchase returns, the cashier's daily close, consignment
(products, goods in and out, settlements) and wajib collected in bulk — the pages' services and
rules, their permissions, another cooperative, and an Idempotency-Key replay for every operation
that records money."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.members import services as members
from koppontren.shop import cashier, consignment, purchasing
from koppontren.shop import services as shop
from koppontren.shop.models import Purchase
from tests.api.conftest import Api


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["code"] == code
    return error


def _entries(coop) -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.cooperative_id == coop.id))


def _purchase_number(coop) -> str:
    return db.session.scalar(select(Purchase.voucher).where(Purchase.cooperative_id == coop.id, Purchase.returns_purchase_id.is_(None)))


def _replayed(again, first) -> bool:
    return again.status_code == first.status_code and again.headers.get("Idempotent-Replayed") == "true" and again.json == first.json


# --- purchase returns -------------------------------------------------------------------------------------

def test_goods_go_back_to_the_supplier_once_per_key(api, stocked, coop, day):
    number = _purchase_number(coop)
    body = {"date": day.isoformat(), "lines": [{"sku": "BRS-5", "quantity": 2}]}
    entries = _entries(coop)
    first = api.post(f"/purchases/{number}/returns", body, key="retur-1")
    assert first.status_code == 201, first.get_json()
    ret = first.get_json()
    assert (ret["returns"], ret["supplier"], ret["total"], ret["lines"]) == (
        number, "SUP-01", "120000", [{"sku": "BRS-5", "quantity": 2, "unit_cost": "60000", "total": "120000"}])
    assert _replayed(api.post(f"/purchases/{number}/returns", body, key="retur-1"), first)
    _error(api.post(f"/purchases/{number}/returns", {**body, "lines": [{"sku": "BRS-5", "quantity": 3}]}, key="retur-1"), 409,
           "idempotency_conflict")
    assert _entries(coop) == entries + 1 and check_cooperative(coop).ok
    original = purchasing.get_purchase(coop, purchasing.get_purchase(coop, ret["id"]).returns_purchase_id)
    assert original.voucher == number
    assert purchasing.returned_qty(coop, original) == {shop.find_product(coop, "BRS-5").id: 2}


@pytest.mark.parametrize("lines, status, code, field", [
    ([{"sku": "BRS-5", "quantity": 11}], 422, None, None),
    ([{"sku": "TIDAK-ADA", "quantity": 1}], 422, "unknown_product", "lines.1.sku"),
    ([{"sku": "BRS-5", "quantity": 0}], 422, "validation_error", "lines.1.quantity"),
    ([{"sku": "BRS-5", "quantity": "2"}], 422, "validation_error", "lines.1.quantity"),
    ([], 422, "validation_error", "lines"),
])
def test_a_bad_purchase_return_is_refused_and_posts_nothing(api, stocked, coop, day, lines, status, code, field):
    entries = _entries(coop)
    r = api.post(f"/purchases/{_purchase_number(coop)}/returns", {"date": day.isoformat(), "lines": lines})
    assert r.status_code == status, r.get_json()
    if code:
        assert r.get_json()["error"]["code"] == code and field in r.get_json()["error"]["fields"]
    assert _entries(coop) == entries


def test_purchase_returns_are_the_managers_and_another_cooperatives_purchase_does_not_exist(api_for, stocked, coop, day, client, other_coop):
    number = _purchase_number(coop)
    body = {"lines": [{"sku": "BRS-5", "quantity": 1}]}
    for role in ("cashier", "auditor", "member"):
        _error(api_for(role).post(f"/purchases/{number}/returns", body), 403, "forbidden")
    _error(Api(client, other_coop[1], coop.slug).post(f"/purchases/{number}/returns", body), 404, "not_found")
    _error(Api(client, other_coop[1], other_coop[0].slug).post(f"/purchases/{number}/returns", body), 404, "not_found")
    _error(api_for("treasurer").post("/purchases/PB/2026/999999/returns", body), 404, "not_found")


# --- the cashier's daily close ---------------------------------------------------------------------------------

def test_a_cashier_closes_their_own_day_once_and_a_replay_returns_the_first_close(api_for, stocked, coop, users, day):
    till = api_for("cashier")
    sale = till.post("/sales", {"date": day.isoformat(), "payment": "cash", "lines": [{"sku": "KOPI-PP", "quantity": 2}]})
    assert sale.status_code == 201
    body = {"date": day.isoformat(), "counted_cash": "59000"}
    first = till.post("/cashier-closes", body, key="tutup-1")
    assert first.status_code == 201, first.get_json()
    close = first.get_json()
    assert (close["cashier"], close["cash_sales"], close["expected_cash"], close["counted_cash"], close["difference"]) == (
        "cashier.alhikmah", "60000", "60000", "59000", "-1000")
    assert close["number"]
    assert _replayed(till.post("/cashier-closes", body, key="tutup-1"), first)
    _error(till.post("/cashier-closes", body), 409, "already_closed")
    assert cashier.get_close(coop, users["cashier"].id, day).counted_cash == 5_900_000 and check_cooperative(coop).ok


def test_another_cashiers_day_is_closed_by_a_manager_only(api_for, coop, users, day):
    body = {"date": day.isoformat(), "counted_cash": "0", "cashier": "admin.alhikmah"}
    _error(api_for("cashier").post("/cashier-closes", body), 403, "forbidden")
    r = api_for("treasurer").post("/cashier-closes", {**body, "cashier": "cashier.alhikmah"})
    assert r.status_code == 201 and r.get_json()["cashier"] == "cashier.alhikmah"
    error = _error(api_for("treasurer").post("/cashier-closes", {**body, "cashier": "bendahara.annur"}), 422, "unknown_user")
    assert "cashier" in error["fields"]
    error = _error(api_for("treasurer").post("/cashier-closes", {"date": day.isoformat(), "counted_cash": "-1"}), 422, "validation_error")
    assert "counted_cash" in error["fields"]
    _error(api_for("auditor").post("/cashier-closes", body), 403, "forbidden")


# --- consignment --------------------------------------------------------------------------------------------

@pytest.fixture
def consigned(api, build, coop, day):
    """Consignor TTP-01 with its product KRP (price 10.000, commission 10 %), 20 received through the API."""
    build.fund(coop, 1_000_000, day)
    shop.create_party(coop, kind="consignor", code="TTP-01", name="Bu Siti (keripik)")
    shop.create_product(coop, shop.ProductData(sku="KRP", name="Keripik", price=Decimal(10_000)))
    r = api.client.put(api.url("/products/KRP/consignment"), data=json.dumps({"consignor": "TTP-01", "commission_bp": 1000}),
                       content_type="application/json", headers=api.headers())
    assert r.status_code == 200 and r.get_json() == {"sku": "KRP", "consignor": "TTP-01", "commission_bp": 1000}, r.get_json()
    r = api.post("/consignment-moves", {"date": day.isoformat(), "consignor": "TTP-01", "direction": "in", "lines": [{"sku": "KRP", "quantity": 20}]})
    assert r.status_code == 201, r.get_json()
    return coop


def test_consigned_goods_sold_are_settled_with_the_consignor_once_per_key(api, consigned, coop, day):
    assert shop.find_product(coop, "KRP").qty == 20
    shop.record_sale(coop, items=[shop.SaleItem(shop.find_product(coop, "KRP").id, 5)], day=day)
    owed = consignment.owed_to_consignors(coop)
    assert sum(owed.values()) == 4_500_000  # 5 × 10.000 less 10 %
    body = {"date": day.isoformat(), "consignor": "TTP-01", "amount": "30000", "account": "1101"}
    first = api.post("/consignment-settlements", body, key="titip-1")
    assert first.status_code == 201, first.get_json()
    assert (first.get_json()["amount"], first.get_json()["consignor"]) == ("30000", "TTP-01")
    assert _replayed(api.post("/consignment-settlements", body, key="titip-1"), first)
    error = _error(api.post("/consignment-settlements", {**body, "amount": "15001"}), 422, "more_than_owed")
    assert "amount" in error["fields"]
    assert sum(consignment.owed_to_consignors(coop).values()) == 1_500_000 and check_cooperative(coop).ok
    r = api.post("/consignment-moves", {"date": day.isoformat(), "consignor": "TTP-01", "direction": "out", "lines": [{"sku": "KRP", "quantity": 16}]})
    assert _error(r, 422, "insufficient_stock") and shop.find_product(coop, "KRP").qty == 15


def test_consignment_refusals_name_their_field(api, api_for, consigned, coop, day, client, other_coop):
    _error(api.post("/consignment-settlements", {"date": day.isoformat(), "consignor": "SUP-X", "amount": "1"}), 422, "unknown_consignor")
    error = _error(api.client.put(api.url("/products/KRP/consignment"), data=json.dumps({"consignor": None, "commission_bp": 0}),
                                  content_type="application/json", headers=api.headers()), 422, "has_stock")
    assert "consignor" in error["fields"]
    _error(api_for("cashier").post("/consignment-settlements", {"date": day.isoformat(), "consignor": "TTP-01", "amount": "1"}), 403,
           "forbidden")
    _error(Api(client, other_coop[1], coop.slug).post("/consignment-moves", {}), 404, "not_found")
    assert shop.find_product(coop, "KRP").consignor_id is not None


# --- wajib in bulk ----------------------------------------------------------------------------------------------

def test_one_months_wajib_from_many_members_is_one_entry_and_replays(api, coop, day):
    joined = day.replace(month=1, day=2)
    numbers = [members.register_member(coop, members.MemberData(name=n, category=c, join_date=joined), actor=None).number
               for n, c in (("Ahmad", "santri"), ("Ustadz Hasan", "ustadz"))]
    month = f"{day.year}-{day.month:02d}"
    body = {"month": month, "date": day.isoformat(), "method": "cash", "members": numbers}
    entries = _entries(coop)
    first = api.post("/savings/wajib-collections", body, key="wajib-1")
    assert first.status_code == 201, first.get_json()
    assert (first.get_json()["total"], len(first.get_json()["items"])) == ("35000", 2)
    assert _replayed(api.post("/savings/wajib-collections", body, key="wajib-1"), first)
    error = _error(api.post("/savings/wajib-collections", body), 422, "bulk_refused")
    assert set(error["fields"]) == set(numbers)
    error = _error(api.post("/savings/wajib-collections", {**body, "members": [numbers[0], "Z-9999"]}), 422, "unknown_member")
    assert set(error["fields"]) == {"members.2"}
    assert _entries(coop) == entries + 1 and check_cooperative(coop).ok
