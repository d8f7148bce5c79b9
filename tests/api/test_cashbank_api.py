"""Cash transfers over the API (POST/GET /cash-transfers, POST …/arrive) and a sale into a chosen
cash account (``cash_account`` of POST /sales)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.cashbank.models import CashTransfer
from koppontren.extensions import db
from koppontren.ledger import chart, periods, queries
from koppontren.ledger.models import JournalEntry
from koppontren.ledger.posting import LineSpec, post_entry


def _balance(coop, code: str) -> int:
    return queries.balance_of(coop, chart.account_by_code(coop, code)) // 100


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


@pytest.fixture
def funded(coop, day):
    post_entry(coop, entry_date=day - timedelta(days=5), description="Modal awal", journal_type="JU",
               lines=[LineSpec("1103", debit=Decimal(1_000_000)), LineSpec("1111", debit=Decimal(5_000_000)),
                      LineSpec("3104", credit=Decimal(6_000_000))])
    return coop


def _body(day, **changes):
    return {"date": day.isoformat(), "from_account": "1103", "to_account": "1111", "amount": "750000", **changes}


def test_a_transfer_is_201_with_its_number_and_moves_the_money(api, funded, day):
    r = api.post("/cash-transfers", _body(day, description="Setor hasil toko", fee="2500"), key="mk-1")
    assert r.status_code == 201, r.json
    assert r.json == {"number": f"MK/{day.year}/000001", "date": day.isoformat(), "from_account": "1103", "to_account": "1111",
                      "amount": "750000", "fee": "2500", "description": "Setor hasil toko", "in_transit": False,
                      "expected_arrival": None, "arrival_date": None, "arrival_number": None,
                      "entries": [f"MK/{day.year}/000001"], "reversed": False}
    assert (_balance(funded, "1103"), _balance(funded, "1111"), _balance(funded, "6109")) == (247_500, 5_750_000, 2_500)
    one = api.get(f"/cash-transfers/{r.json['number']}")
    assert one.status_code == 200 and one.json == r.json
    entry = api.get(f"/journal-entries/{r.json['number']}")
    assert entry.json["journal_type"] == "MK" and [ln["account"] for ln in entry.json["lines"]] == ["1111", "6109", "1103"]


def test_the_same_key_replays_the_first_response_and_posts_once(api, funded, day):
    first = api.post("/cash-transfers", _body(day), key="mk-replay")
    before = _entries()
    again = api.post("/cash-transfers", _body(day), key="mk-replay")
    assert again.status_code == 201 and again.data == first.data and again.headers["Idempotent-Replayed"] == "true"
    assert _entries() == before and _balance(funded, "1111") == 5_750_000
    other = api.post("/cash-transfers", _body(day, amount="1"), key="mk-replay")
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_conflict"


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"from_account": "9999"}, "invalid_account", "from_account"),
    ({"to_account": "11"}, "invalid_account", "to_account"),
    ({"to_account": "4101"}, "not_cash_account", "to_account"),
    ({"from_account": "1105"}, "not_cash_account", "from_account"),
    ({"to_account": "1103"}, "same_account", "to_account"),
    ({"amount": "0"}, "invalid_amount", "amount"),
    ({"fee": "-1"}, "validation_error", "fee"),
    ({"amount": "1.5"}, "too_many_decimals", "amount"),
    ({"amount": 1000}, "validation_error", "amount"),
    ({"date": "2026-13-01"}, "validation_error", "date"),
    ({"arrival_date": "2000-01-01"}, "invalid_date", "arrival_date"),
    ({"note": "x"}, "validation_error", "note"),
])
def test_refusals_are_422_with_code_and_field(api, funded, day, changes, code, field):
    before = _entries()
    r = api.post("/cash-transfers", _body(day, **changes))
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == code and field in r.json["error"]["fields"]
    assert _entries() == before
    assert db.session.scalar(select(func.count()).select_from(CashTransfer)) == 0


def test_a_ledger_refusal_is_422_with_the_ledgers_code_and_fields(api, users, funded, day):
    old = day - timedelta(days=70)
    periods.close_month(funded, old.year, old.month, actor=users["admin"])
    r = api.post("/cash-transfers", _body(day, date=old.isoformat()))
    assert r.status_code == 422 and r.json["error"]["code"] == "period_closed" and "date" in r.json["error"]["fields"]


@pytest.mark.parametrize("role", ["cashier", "auditor", "member"])
def test_only_treasurer_and_admin_post_transfers(api_for, funded, day, role):
    r = api_for(role).post("/cash-transfers", _body(day))
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert _entries() == 1


def test_admin_may_post_and_auditor_may_read(api_for, funded, day):
    assert api_for("admin").post("/cash-transfers", _body(day)).status_code == 201
    listed = api_for("auditor").get("/cash-transfers")
    assert listed.status_code == 200 and listed.json["total"] == 1
    assert api_for("cashier").get("/cash-transfers").status_code == 403
    assert api_for("member").get("/cash-transfers").status_code == 403


def test_another_cooperative_is_404(api, client, other_coop, funded, day):
    other, other_token = other_coop
    from tests.api.conftest import Api

    stranger = Api(client, other_token, funded.slug)
    assert stranger.post("/cash-transfers", _body(day)).status_code == 404
    assert stranger.get("/cash-transfers").status_code == 404
    assert api.post(f"/api/v1/coops/{other.slug}/cash-transfers", _body(day)).status_code == 404
    assert api.get("/cash-transfers/MK/2026/000099").status_code == 404


def test_in_transit_then_arrive(api, funded, day):
    r = api.post("/cash-transfers", _body(day, arrival_date=(day + timedelta(days=1)).isoformat()), key="transit-1")
    assert r.status_code == 201 and r.json["in_transit"] is True and r.json["expected_arrival"] == (day + timedelta(days=1)).isoformat()
    assert _balance(funded, "1105") == 750_000
    listed = api.get("/cash-transfers", in_transit="true")
    assert [t["number"] for t in listed.json["items"]] == [r.json["number"]]
    number = r.json["number"]
    early = api.post(f"/cash-transfers/{number}/arrive", {"date": (day - timedelta(days=1)).isoformat()})
    assert early.status_code == 422 and early.json["error"]["code"] == "invalid_date"
    done = api.post(f"/cash-transfers/{number}/arrive", {"date": day.isoformat()}, key="arrive-1")
    assert done.status_code == 200 and done.json["in_transit"] is False and done.json["arrival_date"] == day.isoformat()
    assert done.json["entries"] == [number, done.json["arrival_number"]]
    assert (_balance(funded, "1105"), _balance(funded, "1111")) == (0, 5_750_000)
    assert api.post(f"/cash-transfers/{number}/arrive", {"date": day.isoformat()}, key="arrive-1").data == done.data
    twice = api.post(f"/cash-transfers/{number}/arrive", {"date": day.isoformat()})
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_arrived"
    assert api.get("/cash-transfers", in_transit="true").json["total"] == 0
    assert api.post("/cash-transfers/MK/2026/000099/arrive", {"date": day.isoformat()}).status_code == 404


def test_the_list_is_paged_newest_first(api, funded, day):
    for n in range(3):
        assert api.post("/cash-transfers", _body(day - timedelta(days=2 - n), amount=str(n + 1))).status_code == 201
    page = api.get("/cash-transfers", per_page=2)
    assert page.json["total"] == 3 and [t["amount"] for t in page.json["items"]] == ["3", "2"]
    assert [t["amount"] for t in api.get("/cash-transfers", per_page=2, page=2).json["items"]] == ["1"]


def test_openapi_lists_the_cash_transfer_paths(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"post", "get"} <= set(paths["/coops/{coop}/cash-transfers"])
    assert "post" in paths["/coops/{coop}/cash-transfers/{number}/arrive"]
    assert "cash_account" in client.get("/api/v1/openapi.json").json["components"]["schemas"]["SaleInput"]["properties"]


# --- sales into a chosen cash account ---------------------------------------------------------------

def _sale(day, **changes):
    return {"date": day.isoformat(), "payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 1}], **changes}


def test_a_sale_goes_to_the_till_by_default_and_to_the_cash_account_named(api_for, stocked, day):
    cashier = api_for("cashier")
    kas_besar = _balance(stocked, "1101")  # the stock was bought in cash
    assert cashier.post("/sales", _sale(day)).status_code == 201
    assert (_balance(stocked, "1103"), _balance(stocked, "1101")) == (75_000, kas_besar)
    r = cashier.post("/sales", _sale(day, cash_account="1101"), key="sale-kas-besar")
    assert r.status_code == 201
    assert (_balance(stocked, "1103"), _balance(stocked, "1101")) == (75_000, kas_besar + 75_000)
    assert cashier.post("/sales", _sale(day, cash_account="1101"), key="sale-kas-besar").data == r.data
    assert _balance(stocked, "1101") == kas_besar + 75_000
    assert cashier.post("/sales", _sale(day, payment="bank", cash_account="1102")).status_code == 201
    assert _balance(stocked, "1102") == 75_000


@pytest.mark.parametrize(("changes", "code"), [
    ({"cash_account": "9999"}, "invalid_account"),
    ({"cash_account": "4101"}, "not_cash_account"),
    ({"cash_account": "1112"}, "not_cash_account"),  # the santri deposit bank holds the santri's money
    ({"cash_account": "1105"}, "not_cash_account"),
    ({"cash_account": "1101", "payment": "credit", "member": "A-0001"}, "validation_error"),
    ({"cash_account": ""}, "validation_error"),
])
def test_a_sale_into_a_non_cash_or_unknown_account_is_422(api_for, stocked, member, day, changes, code):
    before = _entries()
    r = api_for("cashier").post("/sales", _sale(day, **changes))
    assert r.status_code == 422 and r.json["error"]["code"] == code and "cash_account" in r.json["error"]["fields"]
    assert _entries() == before
