"""Wallet test helpers: a cooperative with a cashier and a treasurer, a snack (not exempt) and a
kitab (exempt) in stock, and santri Ahmad (NIS 1001) with a card and Rp50.000 topped up by bank —
all made through the services. Today is pinned to Tuesday 15 December 2026."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.ledger import posting
from koppontren.members import services as members
from koppontren.shop import services as shop
from koppontren.wallet import limits, reconcile
from koppontren.wallet import services as wallet

TODAY = date(2026, 12, 15)  # a Tuesday: the ISO week began on Monday the 14th


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    for module in (shop, members, wallet, limits, reconcile, posting):
        monkeypatch.setattr(module, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def coop(build):
    return build.coop("alhikmah")


@pytest.fixture
def cashier(build, coop):
    return build.user("kasir", coop, "cashier", name="Ani Kasir")


@pytest.fixture
def treasurer(build, coop):
    return build.user("bendahara", coop, "treasurer", name="Budi Bendahara")


@pytest.fixture
def snack(coop):
    return shop.create_product(coop, shop.ProductData(sku="CHIKI", name="Chiki", price=Decimal(5_000), category="Jajanan"))


@pytest.fixture
def kitab(coop):
    return shop.create_product(coop, shop.ProductData(sku="SAFINAH", name="Kitab Safinah", price=Decimal(20_000),
                                                      member_price=Decimal(18_000), category="  KITAB "))


@pytest.fixture
def stocked(build, coop, snack, kitab):
    build.fund(coop, 5_000_000, date(2026, 11, 30))
    supplier = shop.create_party(coop, kind="supplier", code="SUP-01", name="CV Sumber Rezeki")
    shop.record_purchase(coop, party_id=supplier.id, day=date(2026, 12, 1), items=[
        shop.PurchaseItem(snack.id, 100, Decimal(3_000)), shop.PurchaseItem(kitab.id, 20, Decimal(12_000))])
    return snack, kitab


@pytest.fixture
def santri(coop, treasurer):
    s = wallet.create_santri(coop, wallet.SantriData(nis="1001", name="Ahmad Fauzi", kelas="7A", asrama="Al-Fatih"), actor=treasurer)
    s.card_token = wallet.issue_card(coop, s, actor=treasurer).token  # what the printed card carries (the database keeps its hash)
    wallet.topup(coop, s, amount=Decimal(50_000), method="bank", day=TODAY, reference="TRF-001", actor=treasurer)
    return s


@pytest.fixture
def card(coop, santri):
    return santri.card_token


def buy(coop, card_token, *items, actor=None, day=TODAY, **kw):
    """A wallet sale of (product, qty) pairs."""
    return shop.record_sale(coop, items=[shop.SaleItem(p.id, q) for p, q in items], payment="wallet", card=card_token, actor=actor,
                            day=day, **kw)
