"""What each role may do through the API (the same permissions as the pages), and replays of the
remaining POSTs."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("role, method, path, status", [
    ("cashier", "post", "/opening-balances", 403),
    ("auditor", "post", "/opening-balances", 403),
    ("auditor", "post", "/members/{m}/savings/sukarela/deposits", 403),
    ("auditor", "post", "/members/{m}/savings/sukarela/withdrawals", 403),
    ("member", "get", "/members/{m}/savings", 403),
    ("member", "get", "/members/{m}/savings/sukarela/transactions", 403),
    ("auditor", "get", "/members/{m}/savings", 200),
    ("cashier", "post", "/members/{m}/exit", 403),
    ("cashier", "post", "/purchases", 403),
    ("cashier", "post", "/supplier-payments", 403),
    ("auditor", "post", "/sales", 403),
    ("member", "post", "/sales", 403),
    ("auditor", "post", "/sales/PJ/2026/000001/returns", 403),
    ("auditor", "post", "/receivable-payments", 403),
    ("member", "get", "/products", 403),
    ("auditor", "get", "/products/BRS-5/stock-card", 200),
    ("cashier", "post", "/parties", 403),
    ("cashier", "patch", "/products/BRS-5", 403),
    ("treasurer", "post", "/periods/2026/1/reopen", 403),
])
def test_each_role_gets_exactly_its_permissions(api_for, stocked, member, role, method, path, status):
    client = api_for(role)
    path = path.replace("{m}", member.number)
    r = {"get": client.get, "post": lambda p: client.post(p, {}), "patch": lambda p: client.patch(p, {})}[method](path)
    assert r.status_code == status, (r.status_code, r.json)


def test_replays_of_reversal_member_product_and_party(build, coop, api, day):
    build.fund(coop, 1_000_000, day)
    number = api.post("/journal-entries", {"date": day.isoformat(), "description": "x", "lines": [
        {"account": "6102", "debit": "10"}, {"account": "1101", "credit": "10"}]}).json["number"]
    for path, body in ((f"/journal-entries/{number}/reverse", {"date": day.isoformat()}),
                       ("/members", {"name": "Ahmad", "category": "santri", "join_date": day.isoformat()}),
                       ("/products", {"sku": "S-1", "name": "Sabun", "unit": "pcs", "price": "3500", "business_unit": "toko"}),
                       ("/parties", {"code": "S-9", "name": "UD Makmur", "kind": "supplier"})):
        first = api.post(path, body, key=f"k-{path}")
        again = api.post(path, body, key=f"k-{path}")
        assert first.status_code == 201 and again.status_code == 201 and again.data == first.data, path
    assert api.get("/members").json["total"] == 1
