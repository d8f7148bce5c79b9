"""SHU test helpers: a small cooperative year (2025) posted through the services — savings, a
purchase, member and non-member sales, an expense — and closed. Today is pinned to 20 March 2026
(after the RAT of 15 March 2026).

The year's figures (rupiah): pokok + wajib A 220.000, B 160.000, C 100.000 (total 480.000; A also
has 500.000 sukarela); member purchases A 360.000, B 144.000; a non-member sale 225.000; cost of
goods 10 × 60.000; electricity 50.000. SHU = 729.000 − 600.000 − 50.000 = 79.000.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.ledger import periods, posting
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.members import services as members
from koppontren.savings import services as savings
from koppontren.shop import services as shop
from koppontren.shu import services as shu

TODAY = date(2026, 3, 20)
RAT = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    for module in (shop, members, savings, shu, posting):
        monkeypatch.setattr(module, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def coop(build):
    return build.coop("alhikmah")


@pytest.fixture
def treasurer(build, coop):
    return build.user("bendahara", coop, "treasurer")


@pytest.fixture
def admin(build, coop):
    return build.user("ketua", coop, "admin")


@pytest.fixture
def year_2025(build_year):
    """The posted and closed year; returns the members A, B, C (D joined in 2026, not eligible)."""
    return build_year()


@pytest.fixture
def build_year(coop, treasurer, admin):
    return lambda **kw: _build_year(coop, treasurer, admin, **kw)


def _build_year(coop, treasurer, admin, *, c_leaves: bool = False, produk_sale: bool = False):
    """``c_leaves``: C leaves on 30 November 2025. ``produk_sale``: B also buys Rp30.000 of
    pesantren products (cost Rp18.000) on 10 September 2025."""
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(10_000)},
                            sukarela_earns_shu=False, default_account_id=None, actor=treasurer)

    def reg(name, join):
        return members.register_member(coop, members.MemberData(name=name, category="santri", join_date=join), actor=treasurer)

    a, b, c = reg("Ahmad", date(2025, 1, 1)), reg("Badriyah", date(2025, 1, 1)), reg("Chairul", date(2025, 6, 1))
    for m in (a, b, c):
        savings.deposit(coop, m, "pokok", day=m.join_date, actor=treasurer)
    savings.deposit(coop, a, "wajib", months=[(2025, k) for k in range(1, 13)], day=date(2025, 2, 1), actor=treasurer)
    savings.deposit(coop, b, "wajib", months=[(2025, k) for k in range(1, 7)], day=date(2025, 7, 1), actor=treasurer)
    savings.deposit(coop, a, "sukarela", amount=Decimal(500_000), day=date(2025, 3, 1), actor=treasurer)
    supplier = shop.create_party(coop, kind="supplier", code="SUP-01", name="CV Sumber Rezeki")
    beras = shop.create_product(coop, shop.ProductData(sku="BRS-5", name="Beras 5 kg", price=Decimal(75_000),
                                                       member_price=Decimal(72_000)))
    shop.record_purchase(coop, party_id=supplier.id, day=date(2025, 8, 1), items=[shop.PurchaseItem(beras.id, 10, Decimal(60_000))])
    shop.record_sale(coop, items=[shop.SaleItem(beras.id, 5)], member_id=a.id, day=date(2025, 9, 1))
    shop.record_sale(coop, items=[shop.SaleItem(beras.id, 2)], member_id=b.id, day=date(2025, 9, 2))
    shop.record_sale(coop, items=[shop.SaleItem(beras.id, 3)], day=date(2025, 9, 3))
    post_entry(coop, entry_date=date(2025, 12, 31), description="Listrik Desember", actor=treasurer,
               lines=[LineSpec("6102", debit=Decimal(50_000)), LineSpec("1101", credit=Decimal(50_000))])
    if produk_sale:
        kopi = shop.create_product(coop, shop.ProductData(sku="KOPI", name="Kopi Pesantren", price=Decimal(30_000), business_unit="produk"))
        shop.record_purchase(coop, party_id=supplier.id, day=date(2025, 8, 1), items=[shop.PurchaseItem(kopi.id, 1, Decimal(18_000))])
        shop.record_sale(coop, items=[shop.SaleItem(kopi.id, 1)], member_id=b.id, day=date(2025, 9, 10))
    if c_leaves:
        savings.exit_member(coop, c, effective_date=date(2025, 11, 30), actor=treasurer)
    reg("Dewi", date(2026, 1, 10))
    periods.close_year(coop, 2025, actor=admin)
    return a, b, c
