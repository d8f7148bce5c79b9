"""Shop test helpers: a cooperative with a cashier, a supplier, two products (one per business
unit, the shop's with a member price) and a member, all made through the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.ledger import posting
from koppontren.members import services as members
from koppontren.shop import services as shop

TODAY = date(2026, 12, 15)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    for module in (shop, members, posting):
        monkeypatch.setattr(module, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def coop(build):
    return build.coop("alhikmah")


@pytest.fixture
def cashier(build, coop):
    return build.user("kasir", coop, "cashier")


@pytest.fixture
def supplier(coop):
    return shop.create_party(coop, kind="supplier", code="SUP-01", name="CV Sumber Rezeki")


@pytest.fixture
def beras(coop):
    return shop.create_product(coop, shop.ProductData(sku="BRS-5", name="Beras 5 kg", price=Decimal(75_000), member_price=Decimal(72_000),
                                                      barcode="8991234500011"))


@pytest.fixture
def kopi(coop):
    return shop.create_product(coop, shop.ProductData(sku="KOPI-PP", name="Kopi Pesantren 250 g", price=Decimal(30_000),
                                                      business_unit="produk"))


@pytest.fixture
def member(coop):
    return members.register_member(coop, members.MemberData(name="Siti Aminah", category="santri", join_date=date(2026, 9, 1)), actor=None)


@pytest.fixture
def stocked(build, coop, supplier, beras, kopi):
    """10 beras bought at Rp60.000 and 3 at Rp63.000 (average 60.692,3…); 20 kopi at Rp18.000, paid
    from the Rp5.000.000 of participation capital paid into Kas Besar on 30/11."""
    build.fund(coop, 5_000_000, date(2026, 11, 30))
    shop.record_purchase(coop, party_id=supplier.id, day=date(2026, 12, 1), items=[
        shop.PurchaseItem(beras.id, 10, Decimal(60_000)), shop.PurchaseItem(kopi.id, 20, Decimal(18_000))])
    shop.record_purchase(coop, party_id=supplier.id, day=date(2026, 12, 2), payment="credit",
                         items=[shop.PurchaseItem(beras.id, 3, Decimal(63_000))])
    return coop
