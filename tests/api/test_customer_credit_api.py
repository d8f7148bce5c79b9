"""Credit to a non-member customer over the API (issue #8): POST /sales with ``customer`` and
``payment: credit`` (Dr 1122 naming the customer), POST /receivable-payments with ``customer``."""

from __future__ import annotations

from koppontren.api.shop_api import party_by_code
from koppontren.ledger import queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.shop import services as shop
from koppontren.shop.receivables import owed_by_customer


def _sale(day, **extra):
    return {"date": day.isoformat(), "payment": "credit", "customer": "C-01",
            "lines": [{"sku": "BRS-5", "quantity": 2, "unit_price": "75000"}, {"sku": "KOPI-PP", "quantity": 1}], **extra}


def test_a_customer_buys_on_credit_and_pays_it_off(api, api_for, coop, stocked, day):
    cashier = api_for("cashier")
    r = cashier.post("/sales", _sale(day), key="cs-1")
    assert r.status_code == 201, r.json
    assert r.json["customer"] == "C-01" and r.json["member"] is None and r.json["payment"] == "credit" and r.json["total"] == "180000"
    assert cashier.post("/sales", _sale(day), key="cs-1").data == r.data  # a replay: the same answer, one sale
    assert cashier.post("/sales", _sale(day, lines=[{"sku": "BRS-5", "quantity": 1}]), key="cs-1").status_code == 409
    customer = party_by_code(coop, "C-01")
    assert owed_by_customer(coop, customer.id) == 180_000_00
    entry = queries.get_entry_by_number(coop, r.json["number"])
    assert [(ln.account.code, ln.debit, ln.credit, ln.party_id) for ln in entry.lines][:2] == [
        ("1122", 180_000_00, 0, customer.id), ("4201", 0, 150_000_00, None)]
    assert api.get("/products/BRS-5").json["quantity"] == 8

    pay = {"date": day.isoformat(), "customer": "C-01", "amount": "100000", "method": "cash"}
    p = cashier.post("/receivable-payments", pay, key="cp-1")
    assert p.status_code == 201, p.json
    assert p.json["customer"] == "C-01" and p.json["member"] is None and p.json["amount"] == "100000"
    assert cashier.post("/receivable-payments", pay, key="cp-1").data == p.data
    assert cashier.post("/receivable-payments", {**pay, "amount": "1000"}, key="cp-1").status_code == 409
    assert owed_by_customer(coop, customer.id) == 80_000_00
    over = cashier.post("/receivable-payments", {**pay, "amount": "80001"})
    assert over.status_code == 422 and over.json["error"]["code"] == "exceeds_receivable" and "amount" in over.json["error"]["fields"]
    assert cashier.post("/receivable-payments", {**pay, "amount": "80000", "method": "bank"}).status_code == 201
    assert owed_by_customer(coop, customer.id) == 0
    assert check_cooperative(coop).ok


def test_a_return_of_a_customer_credit_sale_takes_it_off_the_receivable(api, coop, stocked, day):
    r = api.post("/sales", _sale(day))
    ret = api.post(f"/sales/{r.json['number']}/returns", {"date": day.isoformat(), "lines": [{"sku": "KOPI-PP", "quantity": 1}]})
    assert ret.status_code == 201 and ret.json["customer"] == "C-01" and ret.json["total"] == "30000"
    assert owed_by_customer(coop, party_by_code(coop, "C-01").id) == 150_000_00
    assert check_cooperative(coop).ok


def test_credit_refusals(api, coop, stocked, day, other_coop):
    anonymous = api.post("/sales", {k: v for k, v in _sale(day).items() if k != "customer"})
    assert anonymous.status_code == 422 and anonymous.json["error"]["code"] == "member_required"
    supplier = api.post("/sales", _sale(day, customer="SUP-01"))
    assert supplier.status_code == 422 and supplier.json["error"]["code"] == "unknown_customer" and "customer" in supplier.json["error"]["fields"]
    other, _token = other_coop
    shop.create_party(other, kind="customer", code="C-77", name="Pelanggan An-Nur")
    foreign = api.post("/sales", _sale(day, customer="C-77"))
    assert foreign.status_code == 422 and foreign.json["error"]["code"] == "unknown_customer"
    assert "An-Nur" not in foreign.get_data(as_text=True)
    pay = {"date": day.isoformat(), "customer": "C-77", "amount": "1000", "method": "cash"}
    assert api.post("/receivable-payments", pay).json["error"]["code"] == "unknown_customer"
    assert api.post("/receivable-payments", {**pay, "customer": "SUP-01"}).json["error"]["code"] == "unknown_customer"
    assert api.post("/receivable-payments", {**pay, "customer": "C-01", "member": "A-1"}).status_code == 422
    assert api.post("/receivable-payments", {k: v for k, v in pay.items() if k != "customer"}).status_code == 422
    assert api.get("/products/BRS-5").json["quantity"] == 10
    assert check_cooperative(coop).ok


def test_roles_for_customer_credit(api_for, stocked, day):
    assert api_for("auditor").post("/sales", _sale(day)).status_code == 403
    assert api_for("member").post("/receivable-payments", {"date": day.isoformat(), "customer": "C-01", "amount": "1",
                                                          "method": "cash"}).status_code == 403
    assert api_for(None).post("/sales", _sale(day)).status_code == 401


def test_the_openapi_schema_says_customers_may_buy_on_credit(api):
    spec = api.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    assert "1122" in schemas["SaleInput"]["description"] and "credit only for a member" not in schemas["SaleInput"]["description"]
    assert "customer" in schemas["ReceivablePaymentInput"]["description"] and "customer" in schemas["Payment"]["properties"]
