"""The wallet's API: wallets, their transactions, top-ups and refunds, and sales paid with a card —
permissions, another cooperative, bad input as structured JSON, Idempotency-Key replays."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.tenancy.services import get_by_slug
from koppontren.wallet import services as wallet
from koppontren.wallet.models import WalletTransaction


@pytest.fixture
def opened(api, coop):
    """Wallet 1001 opened by the treasurer through the API, with a card."""
    r = api.post("/wallets", {"nis": "1001", "name": "Ahmad Fauzi", "kelas": "7A", "asrama": "Al-Fatih"})
    assert r.status_code == 201, r.get_json()
    santri = wallet.get_by_nis(coop, "1001")
    return wallet.issue_card(coop, santri).token


def _topup(api, day, amount="50000", key=None, method="bank", **extra):
    return api.post("/wallets/1001/topups", {"date": day.isoformat(), "amount": amount, "method": method, **extra}, key=key)


def _txs(coop) -> int:
    return db.session.scalar(select(func.count()).select_from(WalletTransaction).where(WalletTransaction.cooperative_id == coop.id))


def test_the_treasurer_opens_a_wallet_and_tops_it_up_once_per_key(api, coop, opened, day):
    r = _topup(api, day, key="topup-1", reference="TRF-001")
    assert r.status_code == 201
    body = r.get_json()
    assert (body["kind"], body["method"], body["amount"], body["balance_after"], body["reference"]) == ("topup", "bank", "50000", "50000",
                                                                                                       "TRF-001")
    again = _topup(api, day, key="topup-1", reference="TRF-001")
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true" and again.get_json() == body
    other = _topup(api, day, amount="1000", key="topup-1")
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "idempotency_conflict"
    detail = api.get("/wallets/1001").get_json()
    assert (detail["balance"], detail["has_card"], detail["spent"], detail["limits"]) == (
        "50000", True, {"today": "0", "week": "0", "month": "0"}, {"daily": None, "weekly": None, "monthly": None})
    assert detail["remaining_today"] is None and detail["available_today"] == "50000"
    assert _txs(coop) == 1 and check_cooperative(coop).ok


@pytest.mark.parametrize("body, field", [
    ({"date": "2026-12-01", "amount": 50000, "method": "bank"}, "amount"),
    ({"date": "2026-12-01", "amount": "50000.123", "method": "bank"}, "amount"),
    ({"date": "2026-12-01", "amount": "abc", "method": "bank"}, "amount"),
    ({"date": "2026-12-01", "amount": "0", "method": "bank"}, "amount"),
    ({"date": "2026-12-01", "amount": "5000", "method": "gopay"}, "method"),
    ({"date": "kemarin", "amount": "5000", "method": "cash"}, "date"),
    ({"amount": "5000", "method": "cash"}, "date"),
    ({"date": "2026-12-01", "amount": "5000", "method": "cash", "extra": 1}, "extra"),
])
def test_bad_topups_answer_4xx_json_naming_the_field_and_write_nothing(api, coop, opened, body, field):
    r = api.post("/wallets/1001/topups", body)
    assert 400 <= r.status_code < 500
    error = r.get_json()["error"]
    assert error["code"] and error["message"] and field in error["fields"]
    assert _txs(coop) == 0


def test_a_topup_dated_after_today_is_refused(api, coop, opened, day):
    r = _topup(api, day.replace(year=day.year + 1))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "future_date"


def test_opening_a_wallet_validates_and_refuses_a_duplicate_nis(api, opened):
    r = api.post("/wallets", {"nis": "1001", "name": "Kembar"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate_nis" and "nis" in r.get_json()["error"]["fields"]
    r = api.post("/wallets", {"nis": "1002"})
    assert r.status_code == 422 and "name" in r.get_json()["error"]["fields"]
    for nis in ("10#2", "١٠٠٢", "-12"):
        r = api.post("/wallets", {"nis": nis, "name": "Aneh"})
        assert r.status_code == 422 and "nis" in r.get_json()["error"]["fields"], nis
    r = api.post("/wallets", {"nis": "1003", "name": "Anggota", "member": "A-9999"})
    assert r.status_code == 422 and "member_number" in r.get_json()["error"]["fields"]


def test_who_may_do_what(api_for, opened, day, other_coop):
    for role in ("cashier", "auditor", "treasurer", "admin"):
        assert api_for(role).get("/wallets/1001").status_code == 200, role
    for role in ("cashier", "auditor", "member"):
        r = _topup(api_for(role), day)
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden", role
        assert api_for(role).post("/wallets/1001/refunds", {"date": day.isoformat(), "amount": "1", "method": "cash"}).status_code == 403
        assert api_for(role).post("/wallets", {"nis": "1009", "name": "X"}).status_code == 403
    assert api_for("member").get("/wallets/1001").status_code == 403
    assert api_for(None).get("/wallets/1001").status_code == 401
    _other, their_token = other_coop
    from tests.api.conftest import Api

    theirs = Api(api_for("treasurer").client, their_token, "alhikmah")
    assert theirs.get("/wallets/1001").status_code == 404
    assert _topup(theirs, day).status_code == 404
    assert api_for("treasurer").get("/wallets/9999").get_json()["error"]["code"] == "not_found"


def test_refunds_never_go_below_zero(build, api, coop, opened, day):
    build.fund(coop, 1_000_000, day)  # Kas Besar pays the refund (the top-up came by bank)
    _topup(api, day, amount="20000")
    r = api.post("/wallets/1001/refunds", {"date": day.isoformat(), "amount": "20001", "method": "cash"})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "insufficient_balance" and "amount" in r.get_json()["error"]["fields"]
    r = api.post("/wallets/1001/refunds", {"date": day.isoformat(), "amount": "20000", "method": "cash", "reference": "pulang"}, key="r1")
    assert r.status_code == 201 and r.get_json()["balance_after"] == "0"
    assert api.get("/wallets/1001").get_json()["balance"] == "0"


def test_a_sale_paid_with_a_card(api_for, coop, opened, stocked, day):
    treasurer, cashier = api_for("treasurer"), api_for("cashier")
    _topup(treasurer, day, amount="100000")
    sale = {"date": day.isoformat(), "payment": "wallet", "card": opened, "lines": [{"sku": "KOPI-PP", "quantity": 2}]}
    r = cashier.post("/sales", sale, key="sale-1")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["payment"], body["total"], body["santri"], body["wallet_balance"], body["member"]) == ("wallet", "60000", "1001", "40000",
                                                                                                        None)
    assert cashier.post("/sales", sale, key="sale-1").get_json() == body  # replayed, charged once
    r = cashier.post("/sales", {**sale, "lines": [{"sku": "KOPI-PP", "quantity": 2}]}, key="sale-2")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "insufficient_balance"
    txs = treasurer.get("/wallets/1001/transactions").get_json()
    assert [(t["kind"], t["amount"], t["sale"]) for t in txs["items"]] == [("purchase", "60000", body["number"]), ("topup", "100000", None)]
    assert txs["total"] == 2
    assert treasurer.get("/wallets/1001/transactions", kind="topup").get_json()["total"] == 1
    assert check_cooperative(get_by_slug("alhikmah")).ok


def test_a_refused_card_says_nothing_about_whose_it_is(api_for, coop, opened, stocked, day, build):
    cashier = api_for("cashier")
    _topup(api_for("treasurer"), day)
    other = build.coop("annur2")
    their_card = wallet.issue_card(other, wallet.create_santri(other, wallet.SantriData(nis="1001", name="Lain"))).token
    santri = wallet.get_by_nis(coop, "1001")
    wallet.reissue_card(coop, santri)
    answers = []
    for token in (wallet.new_token(), opened, their_card):
        r = cashier.post("/sales", {"date": day.isoformat(), "payment": "wallet", "card": token, "lines": [{"sku": "KOPI-PP", "quantity": 1}]})
        assert r.status_code == 422
        answers.append(r.get_json())
    assert answers[0] == answers[1] == answers[2] and answers[0]["error"]["code"] == "card_refused"
    r = cashier.post("/sales", {"date": day.isoformat(), "payment": "wallet", "lines": [{"sku": "KOPI-PP", "quantity": 1}]})
    assert r.status_code == 422 and "card" in r.get_json()["error"]["fields"]
    r = cashier.post("/sales", {"date": day.isoformat(), "payment": "cash", "card": opened, "lines": [{"sku": "KOPI-PP", "quantity": 1}]})
    assert r.status_code == 422 and "card" in r.get_json()["error"]["fields"]
    assert wallet.get_by_nis(coop, "1001").balance == 5_000_000


def test_list_wallets_filters_and_pages(api, coop, opened):
    api.post("/wallets", {"nis": "1002", "name": "Zainab", "kelas": "8B"})
    assert [w["nis"] for w in api.get("/wallets").get_json()["items"]] == ["1001", "1002"]
    assert [w["nis"] for w in api.get("/wallets", q="zain").get_json()["items"]] == ["1002"]
    assert [w["nis"] for w in api.get("/wallets", kelas="7A").get_json()["items"]] == ["1001"]
    page = api.get("/wallets", per_page=1, page=2).get_json()
    assert (page["total"], [w["nis"] for w in page["items"]]) == (2, ["1002"])


def test_the_openapi_document_describes_the_wallet(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/coops/{coop}/wallets", "/coops/{coop}/wallets/{nis}", "/coops/{coop}/wallets/{nis}/transactions",
                 "/coops/{coop}/wallets/{nis}/topups", "/coops/{coop}/wallets/{nis}/refunds"):
        assert any(p.endswith(path) for p in doc["paths"]), path
    assert "wallet" in doc["components"]["schemas"]["SaleInput"]["properties"]["payment"]["enum"]
