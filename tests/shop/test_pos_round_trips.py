"""What a POS sale sends to the database (bench/RESULTS.md, issue 5): the user, the cooperative and
the roles in one query; no idempotency lookup for a fresh key; the cashier's close read by the
product lock; on PostgreSQL the sale's own rows in one statement; nothing after the commit — and the
replays that the dropped lookup used to answer still come out right."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.shop import pos_views
from koppontren.shop import services as shop
from koppontren.shop.models import Sale, SaleLine, StockMove
from tests.helpers import login
from tests.shop.conftest import TODAY

BASE = "/alhikmah/shop"


@pytest.fixture(autouse=True)
def _pinned_pages(monkeypatch):
    monkeypatch.setattr(pos_views, "today", lambda: TODAY)


def _sell(client, items, key=None):
    return client.post(f"{BASE}/pos/sales", json={"items": [{"product_id": p.id, "qty": q} for p, q in items], "member_id": None,
                                                   "payment": "cash", "cash_received": None, "idempotency_key": key})


@contextmanager
def _recorded():
    """Every statement the engine sends, and "COMMIT" where the transaction commits."""
    seen: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    def on_commit(_conn) -> None:
        seen.append("COMMIT")

    event.listen(db.engine, "before_cursor_execute", on_execute)
    event.listen(db.engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
        event.remove(db.engine, "commit", on_commit)


def test_what_one_pos_sale_sends(app, client, stocked, cashier, beras, kopi, is_postgres):
    login(client, "kasir")
    beras_id, kopi_id, cashier_id = beras.id, kopi.id, cashier.id
    body = {"items": [{"product_id": beras_id, "qty": 2}, {"product_id": kopi_id, "qty": 1}], "payment": "cash",
            "idempotency_key": "fresh-key"}
    db.session.commit()
    with _recorded() as seen:  # the test client runs the request in an application context of its own, as in production
        response = client.post(f"{BASE}/pos/sales", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert seen.count("COMMIT") == 1 and seen[-1] == "COMMIT", seen  # the answer is built without reading anything back
    who = [s for s in seen if "role_assignment" in s or "FROM user_account" in s]
    assert len(who) == 1 and "cooperative" in who[0] and "user_account" in who[0], who  # user, cooperative and roles at once
    assert not [s for s in seen if s.startswith("SELECT") and "FROM journal_entry" in s]  # a fresh key is not looked up
    closes = [s for s in seen if "cashier_close" in s]
    assert len(closes) == 1 and "FROM product" in closes[0]  # the close is read by the product lock
    if is_postgres:
        writes = [s for s in seen if "INSERT INTO sale " in s]
        assert len(writes) == 1 and all(part in writes[0] for part in ("INSERT INTO sale_line", "UPDATE product", "INSERT INTO stock_move",
                                                                        "INSERT INTO audit_event"))
        # the request's cooperative for row-level security, once it is resolved (the transaction began
        # with the user loader's query; each later one begins with it, like BEGIN: tenancy.rls)
        assert len([s for s in seen if "set_config('app.cooperative_id'" in s]) == 1, seen
        assert len(seen) == 8, seen  # user, the cooperative's setting, product lock, accounts, the ledger's two, the sale's rows, COMMIT
    sale = db.session.get(Sale, response.json["sale_id"])
    assert (sale.voucher, sale.total, sale.cost, sale.cashier_id) == (response.json["voucher"], 180_000_00, sale.cost, cashier_id)
    lines = db.session.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()
    assert [(ln.line_no, ln.product_id, ln.qty, ln.unit_price, ln.total) for ln in lines] == [
        (1, beras_id, 2, 75_000_00, 150_000_00), (2, kopi_id, 1, 30_000_00, 30_000_00)]
    assert sum(ln.cost for ln in lines) == sale.cost
    moves = db.session.scalars(select(StockMove).where(StockMove.entry_id == sale.entry_id).order_by(StockMove.product_id)).all()
    assert sorted((m.product_id, m.qty, m.qty_after) for m in moves) == sorted([(beras_id, -2, 11), (kopi_id, -1, 19)])
    assert (shop.get_product(stocked, beras_id).qty, shop.get_product(stocked, kopi_id).qty) == (11, 19)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.sale"))
    assert audit.actor_id == cashier_id and audit.detail["number"] == sale.voucher and audit.ip_address == "127.0.0.1"
    assert check_cooperative(stocked).ok


def test_a_service_result_and_the_cooperative_stay_loaded_after_the_commit(stocked, beras):
    sale = shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)])
    with _recorded() as seen:
        assert (stocked.slug, stocked.currency_decimals, sale.voucher, sale.total) == ("alhikmah", 0, "PJ/2026/000001", 75_000_00)
    assert seen == []


def test_a_retry_while_stock_is_left_is_replayed_through_the_ledger_and_gives_its_number_back(app, client, stocked, cashier, beras):
    login(client, "kasir")
    first = _sell(client, [(beras, 1)], key="retry")
    again = _sell(client, [(beras, 1)], key="retry")
    assert first.status_code == again.status_code == 201
    assert again.json["replayed"] is True and again.json["sale_id"] == first.json["sale_id"] and again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Sale).where(Sale.returns_sale_id.is_(None))) == 1
    assert shop.get_product(stocked, beras.id).qty == 12
    assert _sell(client, [(beras, 1)], key="next").json["voucher"] == "PJ/2026/000002"  # the replay took no number


def test_the_same_key_for_another_cart_with_the_same_entry_is_still_a_conflict(app, client, stocked, cashier, supplier):
    """Two products of the same price and cost: the ledger sees the same lines (it would replay), the
    POS compares the carts and refuses."""
    gula = shop.create_product(stocked, shop.ProductData(sku="GULA-1", name="Gula 1 kg", price=Decimal(15_000)))
    garam = shop.create_product(stocked, shop.ProductData(sku="GARAM-1", name="Garam 1 kg", price=Decimal(15_000)))
    shop.record_purchase(stocked, party_id=supplier.id, day=date(2026, 12, 3),
                         items=[shop.PurchaseItem(gula.id, 5, Decimal(12_000)), shop.PurchaseItem(garam.id, 5, Decimal(12_000))])
    login(client, "kasir")
    assert _sell(client, [(gula, 1)], key="same-lines").status_code == 201
    response = _sell(client, [(garam, 1)], key="same-lines")
    assert response.status_code == 409 and response.json["error"]["code"] == "idempotency_conflict"
    assert (shop.get_product(stocked, gula.id).qty, shop.get_product(stocked, garam.id).qty) == (4, 5)


def test_a_closed_day_is_refused_even_when_every_product_is_unknown(client, stocked, cashier):
    from koppontren.shop import cashier as closing

    closing.close_day(stocked, cashier_id=cashier.id, day=TODAY, counted_cash=Decimal(0), actor=cashier)
    with pytest.raises(shop.ShopError) as refused:
        shop.record_sale(stocked, items=[shop.SaleItem(999_999, 1)], actor=cashier)
    assert refused.value.code == "already_closed"
