"""The POS's JSON sale paid with a santri's card: a sale, a refused card and a limit answer JSON
(never a 500), and a return of a wallet sale from the sale page credits the wallet."""

from __future__ import annotations

from decimal import Decimal

import pytest

from koppontren.shop import pos_views
from koppontren.wallet import services as wallet
from tests.helpers import login
from tests.wallet.conftest import TODAY

BASE = "/alhikmah/shop"


@pytest.fixture(autouse=True)
def _pinned_pages(monkeypatch):
    monkeypatch.setattr(pos_views, "today", lambda: TODAY)


def _sell(client, items, key=None, **body):
    """POST the sale contract (the API's), paid from a santri's wallet; the key in the Idempotency-Key header."""
    payload = {"lines": [{"product_id": p.id, "quantity": q} for p, q in items], "payment": "wallet", **body}
    return client.post(f"{BASE}/pos/sales", json=payload, headers={"Idempotency-Key": key} if key else {})


def test_the_pos_sells_with_a_card_and_refuses_in_json(client, coop, santri, card, stocked, cashier):
    snack, _kitab = stocked
    wallet.update_settings(coop, limit_daily=Decimal(15_000), limit_weekly=None, limit_monthly=None, exempt_categories=["kitab"])
    login(client, "kasir")
    r = _sell(client, [(snack, 2)], card=card, key="pos-w-1")
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["total"] == "10000"
    refused = _sell(client, [(snack, 1)], card=wallet.new_token())
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "card_refused"
    over = _sell(client, [(snack, 2)], card=card)
    assert over.status_code == 422 and over.get_json()["error"]["code"] == "limit_exceeded"
    assert "Sisa hari ini Rp5.000" in over.get_json()["error"]["message"]
    missing = _sell(client, [(snack, 1)])
    assert missing.status_code == 400 and "card" in missing.get_json()["error"]["fields"]  # invalid_request
    assert wallet.get_by_nis(coop, "1001").balance == 4_000_000


def test_the_till_shows_who_paid_and_a_key_replayed_with_another_card_is_refused(client, coop, santri, card, stocked, cashier, treasurer):
    """After a network error the till keeps the sale's key; the next santri's card must not be told
    "paid" by a replay of the first santri's sale."""
    snack, _kitab = stocked
    other = wallet.create_santri(coop, wallet.SantriData(nis="1002", name="Budi Santoso"), actor=treasurer)
    other_card = wallet.issue_card(coop, other, actor=treasurer).token
    wallet.topup(coop, other, amount=Decimal(50_000), method="cash", actor=treasurer)
    login(client, "kasir")
    r = _sell(client, [(snack, 2)], card=card, key="pos-w-9")
    assert r.status_code == 201 and r.get_json()["wallet"] == {"name": "Ahmad Fauzi", "balance": "40000"}
    again = _sell(client, [(snack, 2)], card=card, key="pos-w-9")
    assert again.status_code == 201 and again.get_json()["replayed"] is True
    stolen = _sell(client, [(snack, 2)], card=other_card, key="pos-w-9")
    assert stolen.status_code == 409 and stolen.get_json()["error"]["code"] == "idempotency_conflict"
    assert wallet.get_by_nis(coop, "1001").balance == 4_000_000 and wallet.get_by_nis(coop, "1002").balance == 5_000_000
    cash = client.post(f"{BASE}/pos/sales", json={"lines": [{"product_id": snack.id, "quantity": 1}], "payment": "cash",
                                                  "cash_received": "5000"})
    assert cash.status_code == 201 and cash.get_json()["wallet"] is None
