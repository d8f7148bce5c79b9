"""The shop over the API: catalogue, parties, purchases, payments, sales, returns, stock counts."""

from __future__ import annotations

from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.shop import services as shop
from koppontren.shop.models import Sale
from koppontren.shop.receivables import owed_by
from tests.helpers import login


def test_products_add_read_list_change_and_stock_card(api, api_for, stocked, day):
    r = api.post("/products", {"sku": "SBN-1", "name": "Sabun", "unit": "pcs", "price": "3500", "business_unit": "toko"})
    assert r.status_code == 201 and r.json["price"] == "3500" and r.json["quantity"] == 0
    dup = api.post("/products", {"sku": "SBN-1", "name": "Sabun", "unit": "pcs", "price": "3500", "business_unit": "toko"})
    assert dup.status_code == 422 and "sku" in dup.json["error"]["fields"]
    assert api.get("/products/BRS-5").json["quantity"] == 10
    assert api.get("/products", q="beras").json["total"] == 1
    assert api.get("/products", business_unit="produk").json["items"][0]["sku"] == "KOPI-PP"
    patched = api.patch("/products/SBN-1", {"price": "4000", "active": False})
    assert patched.status_code == 200 and patched.json["price"] == "4000" and patched.json["active"] is False
    assert api.get("/products", active="false").json["total"] == 1
    card = api.get("/products/BRS-5/stock-card", **{"from": day.replace(day=1).isoformat(), "to": day.isoformat()})
    assert card.status_code == 200 and card.json["closing_quantity"] == 10 and card.json["moves"][0]["kind"] == "purchase"
    assert api.get("/products/NOPE").status_code == 404
    assert api.post("/products", {"sku": "X", "name": "x", "unit": "pcs", "price": "1.5", "business_unit": "toko"}).status_code == 422
    assert api_for("cashier").post("/products", {"sku": "Y", "name": "y", "unit": "pcs", "price": "1", "business_unit": "toko"}).status_code == 403
    assert api_for("cashier").get("/products/BRS-5").status_code == 200


def test_parties(api, api_for):
    r = api.post("/parties", {"code": "SUP-9", "name": "UD Makmur", "kind": "supplier", "phone": "0811111111"})
    assert r.status_code == 201 and r.json["kind"] == "supplier"
    assert api.post("/parties", {"code": "SUP-9", "name": "UD Lain", "kind": "supplier"}).status_code == 409
    assert api.post("/parties", {"code": "K-1", "name": "Penitip", "kind": "consignor"}).status_code == 422
    assert api.get("/parties", kind="supplier").json["total"] == 1
    assert api_for("auditor").post("/parties", {"code": "S", "name": "S", "kind": "supplier"}).status_code == 403


def test_purchases_and_supplier_payments(build, api, stocked, day):
    build.fund(stocked, 1_000_000, day, role="bank")  # the bank the supplier is paid from
    body = {"date": day.isoformat(), "supplier": "SUP-01", "payment": "credit", "invoice": "F-12",
            "lines": [{"sku": "BRS-5", "quantity": 2, "unit_cost": "61000"}]}
    r = api.post("/purchases", body, key="buy-1")
    assert r.status_code == 201 and r.json["total"] == "122000" and r.json["number"].startswith("PB/")
    assert api.post("/purchases", body, key="buy-1").data == r.data
    assert api.get("/products/BRS-5").json["quantity"] == 12
    bad = api.post("/purchases", {**body, "supplier": "C-01"})
    assert bad.status_code == 422 and "supplier" in bad.json["error"]["fields"]
    assert api.post("/purchases", {**body, "lines": [{"sku": "NOPE", "quantity": 1, "unit_cost": "1"}]}).status_code == 422
    assert api.post("/purchases", {**body, "lines": [{"sku": "BRS-5", "quantity": 0, "unit_cost": "1"}]}).status_code == 422
    pay = {"date": day.isoformat(), "supplier": "SUP-01", "amount": "100000", "method": "bank"}
    p = api.post("/supplier-payments", pay, key="pay-1")
    assert p.status_code == 201 and p.json["amount"] == "100000" and p.json["supplier"] == "SUP-01"
    assert api.post("/supplier-payments", pay, key="pay-1").data == p.data
    over = api.post("/supplier-payments", {**pay, "amount": "22001"})
    assert over.status_code == 422 and over.json["error"]["code"] == "overpayment"


def test_a_sale_returns_its_number_totals_and_cost_of_goods(api, api_for, stocked, day):
    body = {"date": day.isoformat(), "payment": "cash", "cash_received": "200000",
            "lines": [{"sku": "BRS-5", "quantity": 2, "unit_price": "75000"}, {"sku": "KOPI-PP", "quantity": 1}]}
    cashier = api_for("cashier")
    r = cashier.post("/sales", body, key="sale-1")
    assert r.status_code == 201, r.json
    assert r.json["number"].startswith(f"PJ/{day.year}/") and r.json["total"] == "180000"
    assert r.json["cost_of_goods"] == "138000" and r.json["change"] == "20000"
    again = cashier.post("/sales", body, key="sale-1")
    assert again.status_code == 201 and again.data == r.data
    assert cashier.post("/sales", {**body, "cash_received": "180000"}, key="sale-1").status_code == 409
    assert api.get("/products/BRS-5").json["quantity"] == 8


def test_member_sales_on_credit_and_the_pelunasan(api, coop, stocked, member, day):
    shop.set_credit_limit(coop, "santri", 1_000_000)
    body = {"date": day.isoformat(), "payment": "credit", "member": member.number, "lines": [{"sku": "BRS-5", "quantity": 1}]}
    r = api.post("/sales", body)
    assert r.status_code == 201 and r.json["total"] == "72000" and r.json["member"] == member.number
    wrong_price = api.post("/sales", {**body, "lines": [{"sku": "BRS-5", "quantity": 1, "unit_price": "75000"}]})
    assert wrong_price.status_code == 422 and wrong_price.json["error"]["code"] == "price_mismatch"
    assert api.post("/sales", {**body, "member": None}).status_code == 422
    anonymous_credit = api.post("/sales", {"date": day.isoformat(), "payment": "credit", "lines": [{"sku": "BRS-5", "quantity": 1}]})
    assert anonymous_credit.status_code == 422 and anonymous_credit.json["error"]["code"] == "member_required"
    pay = {"date": day.isoformat(), "member": member.number, "amount": "50000", "method": "cash"}
    p = api.post("/receivable-payments", pay, key="lunas-1")
    assert p.status_code == 201 and p.json["member"] == member.number
    assert api.post("/receivable-payments", pay, key="lunas-1").data == p.data
    assert owed_by(coop, member.id) == 2_200_000
    too_much = api.post("/receivable-payments", {**pay, "amount": "22001"})
    assert too_much.status_code == 422 and too_much.json["error"]["code"] == "exceeds_receivable"
    assert api.post("/receivable-payments", {**pay, "member": "NOPE"}).status_code == 422
    owes_nothing = api.post("/receivable-payments", {"date": day.isoformat(), "customer": "C-01", "amount": "1", "method": "cash"})
    assert owes_nothing.status_code == 422 and owes_nothing.json["error"]["code"] == "exceeds_receivable"


def test_sale_refusals(api, stocked, day):
    base = {"date": day.isoformat(), "payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 11}]}
    r = api.post("/sales", base)
    assert r.status_code == 422 and r.json["error"]["code"] == "insufficient_stock"
    assert api.post("/sales", {**base, "lines": [{"sku": "BRS-5", "quantity": 10**12}]}).status_code == 422
    for quantity in ("1.5", "0", "-1", "1e3", " 1", "10000000000", 1.0, 1.5, True):  # whole units only, never a float
        refused = api.post("/sales", {**base, "lines": [{"sku": "BRS-5", "quantity": quantity}]})
        assert refused.status_code == 422 and refused.json["error"]["code"] == "validation_error", quantity
        assert "lines.1.quantity" in refused.json["error"]["fields"], quantity
    both = api.post("/sales", {**base, "lines": [{"sku": "BRS-5", "product_id": 1, "quantity": 1}]})
    assert both.status_code == 422 and "lines.1.sku" in both.json["error"]["fields"]
    unknown = api.post("/sales", {**base, "lines": [{"sku": "BRS-5", "quantity": 1}, {"product_id": 2**31 - 1, "quantity": 1}]})
    assert unknown.status_code == 422 and unknown.json["error"] == {
        "code": "unknown_product", "message": "Produk 2147483647 tidak ada.", "fields": {"lines.2.product_id": "Tidak ada."}}
    assert api.post("/sales", {**base, "lines": []}).status_code == 422
    assert api.post("/sales", {**base, "member": "A-1", "customer": "C-01"}).status_code == 422
    assert api.post("/sales", {**base, "date": "2999-01-01", "lines": [{"sku": "BRS-5", "quantity": 1}]}).status_code == 422


def test_the_sale_contract_takes_quantities_as_text_and_products_by_id_and_a_day_by_default(api, coop, stocked, day):
    """The POS's body is the API's: a product by id, a quantity as a decimal string, no date (today)."""
    beras_id = shop.find_product(coop, "BRS-5").id
    r = api.post("/sales", {"payment": "cash", "lines": [{"product_id": beras_id, "quantity": "2"}, {"sku": "BRS-5", "quantity": "1.000"}]})
    assert r.status_code == 201, r.json
    assert r.json["date"] == day.isoformat() and r.json["total"] == "225000"
    assert [(ln["sku"], ln["quantity"]) for ln in r.json["lines"]] == [("BRS-5", 3)]  # one product, its lines added up
    assert api.get("/products/BRS-5").json["quantity"] == 7


def test_sales_returns(api, stocked, day):
    sale = api.post("/sales", {"date": day.isoformat(), "payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 3}]}).json
    body = {"date": day.isoformat(), "lines": [{"sku": "BRS-5", "quantity": 1}]}
    r = api.post(f"/sales/{sale['number']}/returns", body, key="ret-1")
    assert r.status_code == 201, r.json
    assert r.json["returns"] == sale["number"] and r.json["total"] == "75000"
    assert api.post(f"/sales/{sale['number']}/returns", body, key="ret-1").data == r.data
    too_many = api.post(f"/sales/{sale['number']}/returns", {**body, "lines": [{"sku": "BRS-5", "quantity": 3}]})
    assert too_many.status_code == 422 and too_many.json["error"]["code"] == "return_too_much"
    assert api.post("/sales/PJ/2026/999999/returns", body).status_code == 404
    assert api.get("/products/BRS-5").json["quantity"] == 8


def test_stock_counts(api, api_for, stocked, day):
    body = {"date": day.isoformat(), "lines": [{"sku": "BRS-5", "counted": 9}, {"sku": "KOPI-PP", "counted": 20}]}
    assert api_for("cashier").post("/stock-counts", body).status_code == 403
    r = api.post("/stock-counts", body, key="count-1")
    assert r.status_code == 201 and r.json["number"] and r.json["differences"] == [{"sku": "BRS-5", "difference": -1, "value": "-60000"}]
    assert api.post("/stock-counts", body, key="count-1").data == r.data
    same = api.post("/stock-counts", body)
    assert same.status_code == 201 and same.json["number"] is None
    assert api.post("/stock-counts", {**body, "lines": [{"sku": "BRS-5", "counted": -1}]}).status_code == 422
    assert api.get("/check").json["ok"] is True


def test_another_cooperatives_token_sees_none_of_the_shop(api, other_coop, stocked):
    from tests.api.conftest import Api

    other, token = other_coop
    assert Api(api.client, token, "alhikmah").get("/products/BRS-5").status_code == 404
    assert Api(api.client, token, other.slug).get("/products/BRS-5").status_code == 404


BAD_SALES = [  # (body, the field both doors name)
    ({"payment": "cash"}, "lines"),
    ({"payment": "cash", "lines": [{"sku": "BRS-5"}]}, "lines.1.quantity"),
    ({"payment": "cash", "lines": [{"sku": "BRS-5", "quantity": "2.5"}]}, "lines.1.quantity"),
    ({"payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 1, "colour": "red"}]}, "lines.1.colour"),
    ({"payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 1, "unit_price": "75000.001"}]}, "lines.1.unit_price"),
    ({"payment": "tempo", "lines": [{"sku": "BRS-5", "quantity": 1}]}, "payment"),
    ({"payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 1}], "cash_received": 200000}, "cash_received"),
    ({"payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 1}], "member": "A-1", "customer": "C-01"}, "customer"),
    ({"payment": "wallet", "lines": [{"sku": "BRS-5", "quantity": 1}]}, "card"),
    ({"payment": "bank", "lines": [{"sku": "BRS-5", "quantity": 1}], "card": "x"}, "card"),
    ({"payment": "credit", "lines": [{"sku": "BRS-5", "quantity": 1}], "customer": "C-01", "cash_account": "1101"}, "cash_account"),
    ({"payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 1}], "date": "2026-13-01"}, "date"),
]
UNKNOWN = [  # (body, code, field) refused after the shape, by the rows it names
    ({"payment": "cash", "lines": [{"sku": "NOPE", "quantity": 1}]}, "unknown_product", "lines.1.sku"),
    ({"payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 1}, {"product_id": 99_999, "quantity": 1}]}, "unknown_product",
     "lines.2.product_id"),
    ({"payment": "credit", "lines": [{"sku": "BRS-5", "quantity": 1}], "member": "NOPE"}, "unknown_member", "member"),
    ({"payment": "credit", "lines": [{"sku": "BRS-5", "quantity": 1}], "customer": "SUP-01"}, "unknown_customer", "customer"),
    ({"payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 1, "unit_price": "70000"}]}, "price_mismatch", "lines.1.unit_price"),
    ({"payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 1}], "cash_account": "4101"}, "not_cash_account", "cash_account"),
]


def test_the_pos_and_the_api_take_one_sale_contract_and_name_the_same_fields(client, build, coop, api_for, stocked, day):
    """One parser for both doors: the same bad body is refused at the same field — as the POS's
    invalid_request (400) and the API's validation_error (422) — and a row it names that does not
    exist with the same code; nothing is written by either."""
    cashier = api_for("cashier")
    login(client, "cashier.alhikmah")
    before = db.session.scalar(select(func.count()).select_from(Sale))
    for body, field in BAD_SALES:
        pos = client.post("/alhikmah/shop/pos/sales", json=body)
        api = cashier.post("/sales", body)
        assert (pos.status_code, pos.json["error"]["code"]) == (400, "invalid_request"), (body, pos.json)
        assert (api.status_code, api.json["error"]["code"]) == (422, "validation_error"), (body, api.json)
        assert field in pos.json["error"]["fields"] and field in api.json["error"]["fields"], (body, pos.json, api.json)
    for body, code, field in UNKNOWN:
        pos, api = client.post("/alhikmah/shop/pos/sales", json=body), cashier.post("/sales", body)
        assert pos.status_code == api.status_code == 422, (body, pos.json, api.json)
        assert pos.json["error"]["code"] == api.json["error"]["code"] == code, (body, pos.json, api.json)
        assert field in pos.json["error"]["fields"] and field in api.json["error"]["fields"], (body, pos.json, api.json)
    assert db.session.scalar(select(func.count()).select_from(Sale)) == before
    same = {"payment": "cash", "cash_received": "100000", "lines": [{"sku": "BRS-5", "quantity": "1"}]}
    by_pos = client.post("/alhikmah/shop/pos/sales", json=same, headers={"Idempotency-Key": "one-contract"})
    by_api = cashier.post("/sales", same)
    assert by_pos.status_code == by_api.status_code == 201
    assert (by_pos.json["total"], by_pos.json["change"]) == (by_api.json["total"], by_api.json["change"]) == ("75000", "25000")
