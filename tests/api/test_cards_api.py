"""Wallet cards, one santri's limits and details, walis and transfers in transit through the API —
wallet.cards and wallet.services with the wallet pages' rules (wallet.manage)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from koppontren.shop import services as shop
from koppontren.wallet import cards
from koppontren.wallet import services as wallet
from tests.api.conftest import Api


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["code"] == code
    return error


def put(api: Api, path: str, body):
    return api.client.put(api.url(path), data=json.dumps(body), content_type="application/json", headers=api.headers())


@pytest.fixture
def santri(coop):
    return wallet.create_santri(coop, wallet.SantriData(nis="1001", name="Ahmad Fauzi", kelas="7A"))


def test_a_card_is_issued_once_replaced_with_a_new_token_and_the_old_one_stops_paying(api, coop, santri):
    r = api.post("/santri/1001/cards")
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert (first["nis"], first["status"]) == ("1001", "active") and len(first["token"]) >= 16
    assert cards.find_by_token(coop, first["token"]).id == santri.id
    _error(api.post("/santri/1001/cards"), 409, "card_exists")
    r = api.post(f"/cards/{first['id']}/replace")
    assert r.status_code == 201
    second = r.get_json()
    assert second["token"] != first["token"] and second["id"] != first["id"]
    with pytest.raises(Exception, match="tidak dikenali"):
        cards.find_by_token(coop, first["token"])
    _error(api.post(f"/cards/{first['id']}/replace"), 409, "card_replaced")  # only the latest card is replaced
    r = api.post(f"/cards/{second['id']}/block")
    assert r.status_code == 200 and r.get_json()["status"] == "blocked" and r.get_json()["token"] is None
    assert cards.active_card(coop, santri) is None
    _error(api.post(f"/cards/{second['id']}/block"), 409, "already_blocked")
    # a blocked card (lost) is replaced by a new one
    assert api.post(f"/cards/{second['id']}/replace").status_code == 201 and cards.active_card(coop, santri) is not None


def test_card_batches_make_the_missing_cards_of_a_class_or_replace_them_all(api, coop, santri):
    wallet.create_santri(coop, wallet.SantriData(nis="1002", name="Budi", kelas="7A"))
    wallet.create_santri(coop, wallet.SantriData(nis="2001", name="Citra", kelas="8B"))
    cards.issue_card(coop, santri)
    r = api.post("/card-batches", {"kelas": "7A"})
    assert r.status_code == 201 and [c["nis"] for c in r.get_json()["items"]] == ["1002"]
    r = api.post("/card-batches", {"kelas": "7A", "replace": True})
    assert sorted(c["nis"] for c in r.get_json()["items"]) == ["1001", "1002"]
    assert cards.active_cards(coop, [santri.id])[santri.id].id == next(c["id"] for c in r.get_json()["items"] if c["nis"] == "1001")
    _error(api.post("/card-batches", {"kelas": 7}), 422, "validation_error")


def test_cards_are_the_wallet_managers_and_never_another_cooperatives(api_for, coop, santri, client, other_coop):
    card = cards.issue_card(coop, santri)
    for role in ("cashier", "auditor", "member"):
        _error(api_for(role).post("/santri/1001/cards"), 403, "forbidden")
        _error(api_for(role).post(f"/cards/{card.id}/block"), 403, "forbidden")
    foreign = Api(client, other_coop[1], coop.slug)
    _error(foreign.post(f"/cards/{card.id}/block"), 404, "not_found")
    # the other cooperative's treasurer on their own paths, with this cooperative's card id: no such card there
    _error(Api(client, other_coop[1], other_coop[0].slug).post(f"/cards/{card.id}/block"), 404, "not_found")
    _error(api_for("treasurer").post("/santri/9999/cards"), 404, "not_found")
    assert cards.active_card(coop, santri).id == card.id


def test_one_santris_limits_are_set_and_cleared_to_the_default(api, api_for, coop, santri):
    r = put(api, "/santri/1001/limits", {"daily": "10000", "weekly": "50000"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"nis": "1001", "daily": "10000", "weekly": "50000", "monthly": None}
    assert api.get("/wallets/1001").get_json()["treasurer_limits"] == {"daily": "10000", "weekly": "50000", "monthly": None}
    error = _error(put(api, "/santri/1001/limits", {"daily": "10000.555"}), 422, "validation_error")
    assert "daily" in error["fields"]
    assert put(api, "/santri/1001/limits", {}).get_json()["daily"] is None
    _error(put(api_for("cashier"), "/santri/1001/limits", {"daily": "1"}), 403, "forbidden")


def test_a_santris_details_change_and_a_wallet_with_money_does_not_close(api, coop, santri, day):
    r = api.patch("/wallets/1001", {"kelas": "8A", "asrama": "Al-Fatih"})
    assert r.status_code == 200 and (r.get_json()["kelas"], r.get_json()["name"]) == ("8A", "Ahmad Fauzi")
    wallet.topup(coop, santri, amount=Decimal(5_000), method="cash", day=day)
    error = _error(api.patch("/wallets/1001", {"active": False}), 422, "not_empty")
    assert "active" in error["fields"] and wallet.get_by_nis(coop, "1001").active


def test_an_existing_user_becomes_a_wali_and_stops_being_one(api, build, coop, santri):
    build.user("wali.ahmad", None)
    r = api.post("/wallets/1001/walis", {"login": "wali.ahmad"})
    assert r.status_code == 201 and r.get_json()["walis"] == [{"login": "wali.ahmad", "name": "Wali Ahmad"}]
    _error(api.post("/wallets/1001/walis", {"login": "wali.ahmad"}), 409, "already_linked")
    _error(api.post("/wallets/1001/walis", {"login": "tidak.ada"}), 422, "unknown_user")
    r = api.client.delete(api.url("/wallets/1001/walis/wali.ahmad"), headers=api.headers())
    assert r.status_code == 200 and r.get_json()["walis"] == []
    _error(api.client.delete(api.url("/wallets/1001/walis/wali.ahmad"), headers=api.headers()), 404, "not_found")


def test_a_transfer_in_transit_is_recorded_and_cleared_once(api, coop, day):
    r = api.post("/wallet-transits", {"date": day.isoformat(), "amount": "75000", "direction": "to_wallets", "description": "Transfer wali"})
    assert r.status_code == 201, r.get_json()
    item = r.get_json()
    assert (item["amount"], item["cleared_on"]) == ("-75000", None)
    r = api.post(f"/wallet-transits/{item['id']}/clear", {})
    assert r.status_code == 200 and r.get_json()["cleared_on"] == day.isoformat()
    _error(api.post(f"/wallet-transits/{item['id']}/clear", {}), 409, "already_cleared")
    _error(api.post("/wallet-transits/999999/clear", {}), 404, "not_found")
    error = _error(api.post("/wallet-transits", {"date": day.isoformat(), "amount": "0", "direction": "to_bank", "description": "x"}), 422,
                   "zero_amount")
    assert "amount" in error["fields"]


def test_the_shop_paid_by_a_replaced_card_refuses_the_old_token(api, stocked, coop, santri, day):
    old = cards.issue_card(coop, santri)
    wallet.topup(coop, santri, amount=Decimal(200_000), method="cash", day=day)
    api.post(f"/cards/{old.id}/replace")
    with pytest.raises(Exception, match="tidak dikenali"):
        shop.record_sale(coop, payment="wallet", card=old.token, items=[shop.SaleItem(shop.find_product(coop, "KOPI-PP").id, 1)], day=day)
